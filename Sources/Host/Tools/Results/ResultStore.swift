import NRLCore
import Foundation
import GRDB

/// One run as the store keeps it.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    /// Identifies the run's full spec: the same key is the same run, in any store.
    public var key: String
    public var experiment: String
    public var group: String
    public var label: String
    public var rule: String
    public var script: String?
    public var environment: String
    public var hidden: Int
    public var layers: Int
    public var seed: Int
    public var initSeed: Int
    public var protocolName: String
    public var episodes: Int
    public var specJSON: String
    public var status: String
    public var message: String?
    public var seconds: Double?
    public var steps: Int?
    public var finalPerformance: Double?
    /// SHA-256 of the rule script's text (the text is in the store's `scripts` table).
    public var ruleScriptHash: String? = nil
    public var environmentScriptHash: String? = nil
    /// A run whose slot (experiment, group, label, environment, shape, seed, protocol) was planned
    /// again with a different spec (an edited script, a changed parameter, new numerics): kept,
    /// never pooled with the runs of the current spec.
    public var superseded = false

    /// "1x64"
    public var shape: String { "\(layers)x\(hidden)" }

    /// The full spec the run was recorded with (nil: unreadable).
    public var spec: RunSpec? { try? JSONDecoder().decode(RunSpec.self, from: Data(specJSON.utf8)) }
}

/// What a finished (or failed) run hands to the store.
public struct RunResult: Sendable {
    public var records: [EpisodeRecord]
    public var seconds: Double
    public var steps: Int
    public var failure: String?

    public init(records: [EpisodeRecord], seconds: Double, steps: Int, failure: String?) {
        self.records = records
        self.seconds = seconds
        self.steps = steps
        self.failure = failure
    }

    public var finalPerformance: Double? {
        guard !records.isEmpty else { return nil }
        let last = records.suffix(50)
        return last.reduce(0) { $0 + $1.totalReward } / Double(last.count)
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The results of sweeps in SQLite (through GRDB): a `runs` table (full spec, seeds, status, times,
/// final performance, the command line and host that ran it, whether it is superseded),
/// `episodes` (return and length per episode), `metrics` (what scripts logged), `scripts` (the
/// full text of every script a run used, by content hash) and `reloads` (a watched script's new
/// versions). A sweep records each episode as it finishes (`appendEpisode`, one small transaction,
/// with the run still marked "running"), so a killed sweep keeps every finished episode; the run is
/// marked "completed" (or "failed") only after its last episode. Running the sweep again redoes the
/// runs that are not completed from scratch, replacing their partial episodes (never duplicating
/// them). The sweep's store is in WAL mode with `synchronous = NORMAL`: a commit survives a killed
/// process without an fsync per episode. Users can query the file with `sqlite3`.
///
/// Non-finite numbers: SQLite keeps ±infinity as a REAL; NaN has no SQLite value, so a NaN return or
/// final performance is NULL and a NaN metric value is not stored.
public final class ResultStore: @unchecked Sendable {
    /// 1: nrlhost 0.1 and 0.2; 2: scripts, reloads, provenance and superseded runs (0.3).
    public static let schemaVersion = 2
    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating if needed) the store at `path`. A schema-1 store is migrated in place, in one
    /// transaction, after a copy of it is written to `<path>.schema1.bak` (`notice` is told, one
    /// line). Any other file is refused with a clear message and left untouched.
    public init(path: String, create: Bool = true,
                notice: (String) -> Void = { FileHandle.standardError.write(Data(("nrlhost: " + $0 + "\n").utf8)) }) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create { throw StoreError("no store at \(path)") }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT {
            throw StoreError("\(path) is not a readable SQLite database (corrupt or another kind of file); nothing was changed")
        } catch {
            throw StoreError("cannot open \(path) as a results store: \(error)")
        }
        do {
            try queue.write { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                if tables.isEmpty {
                    try Self.createSchema(db)
                    return
                }
                guard tables.contains("nrlhost_meta") else {
                    throw StoreError("\(path) is an SQLite file but not an nrlhost results store (no nrlhost_meta table); nothing was changed")
                }
                let version = try Int.fetchOne(db, sql: "SELECT value FROM nrlhost_meta WHERE key = 'schema_version'")
                if version == 1 { return }  // migrated below, outside this transaction (VACUUM INTO needs none)
                guard version == Self.schemaVersion else {
                    throw StoreError("\(path) is a results store of schema version \(version.map(String.init) ?? "?"), this nrlhost reads version \(Self.schemaVersion); nothing was changed")
                }
            }
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT {
            throw StoreError("\(path) is not a readable SQLite database (corrupt or another kind of file); nothing was changed")
        } catch {
            throw StoreError("cannot read \(path): \(error)")
        }
        if try queue.read({ db in try Int.fetchOne(db, sql: "SELECT value FROM nrlhost_meta WHERE key = 'schema_version'") }) == 1 {
            try migrateFromSchema1(notice: notice)
        }
    }

    /// Schema 1 → 2: copies the store to `<path>.schema1.bak` (VACUUM INTO: a consistent copy, the
    /// write-ahead log included), then adds the new tables and columns in one transaction. Runs of
    /// builtin rules and environments whose numerics are current get the new key of their spec (the
    /// same run, so `compare` keeps them); runs of scripts keep their old key, since the text they
    /// ran was not recorded: `compare` runs them again and marks the old rows superseded.
    private func migrateFromSchema1(notice: (String) -> Void) throws {
        let backup = path + ".schema1.bak"
        do {
            try? FileManager.default.removeItem(atPath: backup)  // an earlier copy of this same schema-1 store
            try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [backup]) }
            let migrated = try queue.write { db -> Bool in
                // Another process may have migrated it meanwhile.
                guard try Int.fetchOne(db, sql: "SELECT value FROM nrlhost_meta WHERE key = 'schema_version'") == 1 else { return false }
                try db.execute(sql: """
                    CREATE TABLE scripts (hash TEXT PRIMARY KEY, text TEXT NOT NULL);
                    ALTER TABLE runs ADD COLUMN rule_script_hash TEXT REFERENCES scripts(hash);
                    ALTER TABLE runs ADD COLUMN environment_script_hash TEXT REFERENCES scripts(hash);
                    ALTER TABLE runs ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE runs ADD COLUMN command TEXT;
                    ALTER TABLE runs ADD COLUMN host TEXT;
                    \(Self.reloadsTable)
                    \(Self.slotIndex)
                    UPDATE nrlhost_meta SET value = '\(Self.schemaVersion)' WHERE key = 'schema_version';
                    INSERT OR REPLACE INTO nrlhost_meta VALUES ('migrated_by', 'nrlhost \(NRLHostVersion.current) from schema 1');
                    """)
                for row in try Row.fetchAll(db, sql: "SELECT id, experiment, group_name, label, protocol, spec FROM runs") {
                    guard let spec = try? JSONDecoder().decode(RunSpec.self, from: Data((row["spec"] as String).utf8)),
                          spec.script == nil, !spec.environment.hasSuffix(".lua"),
                          NRLHostVersion.numerics(of: spec.version) == NRLHostVersion.numerics else { continue }
                    let key = PlannedRun(experiment: row["experiment"], group: row["group_name"], label: row["label"], spec: spec,
                                         protocolName: row["protocol"]).key
                    try db.execute(sql: "UPDATE OR IGNORE runs SET key = ? WHERE id = ?", arguments: [key, row["id"] as Int64])
                }
                return true
            }
            guard migrated else { return }
        } catch {
            throw StoreError("\(path) is a store of schema 1 (nrlhost 0.1/0.2) and could not be migrated: \(error); the original is unchanged\(FileManager.default.fileExists(atPath: backup) ? " (a copy is in \(backup))" : "")")
        }
        notice("\(path) was written by nrlhost 0.1/0.2 (store schema 1): migrated to schema \(Self.schemaVersion); the original is kept in \(backup)")
    }

    /// `plan` looks runs up by slot.
    private static let slotIndex = """
        CREATE INDEX runs_slot ON runs (experiment, group_name, label, environment, layers, hidden, seed, protocol);
        """

    private static let reloadsTable = """
        CREATE TABLE reloads (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            episode INTEGER NOT NULL,
            version INTEGER NOT NULL,
            hash TEXT NOT NULL REFERENCES scripts(hash),
            parameters TEXT NOT NULL,
            PRIMARY KEY (run_id, version)
        ) WITHOUT ROWID;
        """

    private static func createSchema(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE nrlhost_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO nrlhost_meta VALUES ('schema_version', '\(schemaVersion)'), ('created_by', 'nrlhost \(NRLHostVersion.current)');
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                experiment TEXT NOT NULL,
                group_name TEXT NOT NULL,
                label TEXT NOT NULL,
                rule TEXT NOT NULL,
                script TEXT,
                environment TEXT NOT NULL,
                hidden INTEGER NOT NULL,
                layers INTEGER NOT NULL,
                seed INTEGER NOT NULL,
                init_seed INTEGER NOT NULL,
                protocol TEXT NOT NULL,
                episodes INTEGER NOT NULL,
                spec TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
                message TEXT,
                started TEXT,
                finished TEXT,
                seconds REAL,
                steps INTEGER,
                final_performance REAL,
                rule_script_hash TEXT REFERENCES scripts(hash),
                environment_script_hash TEXT REFERENCES scripts(hash),
                superseded INTEGER NOT NULL DEFAULT 0,
                command TEXT,
                host TEXT
            );
            CREATE TABLE scripts (hash TEXT PRIMARY KEY, text TEXT NOT NULL);
            \(reloadsTable)
            \(slotIndex)
            CREATE TABLE episodes (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                episode INTEGER NOT NULL,
                return REAL,
                length INTEGER NOT NULL,
                PRIMARY KEY (run_id, episode)
            ) WITHOUT ROWID;
            CREATE TABLE metrics (
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                episode INTEGER NOT NULL,
                name TEXT NOT NULL,
                value REAL NOT NULL,
                PRIMARY KEY (run_id, episode, name)
            ) WITHOUT ROWID;
            """)
    }

    // MARK: Planning and recording runs

    /// Adds the runs not yet in the store (as pending), and turns runs left "running" by a killed
    /// sweep back into pending ones, dropping what they had recorded. Returns the runs still to do.
    public func prepare(_ runs: [StoredRun], scripts: [ScriptSource] = []) throws -> [StoredRun] {
        try plan(runs, scripts: scripts).todo
    }

    /// `prepare`, and what changed: the rows of a planned run's slot (experiment, group, label,
    /// environment, shape, seed, protocol) whose key differs from the planned run's are marked
    /// superseded (kept, never deleted; a row of the planned key that was superseded becomes
    /// current again), and each such slot is described (`StorePlan.changes`). `scripts`: the text of
    /// every script the runs name by hash, kept once each.
    public func plan(_ runs: [StoredRun], scripts: [ScriptSource] = []) throws -> StorePlan {
        try useWriteAheadLog()
        return try queue.write { db in
            try db.execute(sql: "DELETE FROM episodes WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')")
            try db.execute(sql: "DELETE FROM metrics WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')")
            try db.execute(sql: "DELETE FROM reloads WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')")
            try db.execute(sql: "UPDATE runs SET status = 'pending', started = NULL WHERE status = 'running'")
            for source in scripts {
                try db.execute(sql: "INSERT OR IGNORE INTO scripts (hash, text) VALUES (?, ?)", arguments: [source.hash, source.text])
            }
            var todo: [StoredRun] = []
            var changes: [String: Int] = [:]
            var order: [String] = []
            for run in runs {
                // The slot's current rows that are not this run: superseded, and why.
                let others = try Row.fetchAll(db, sql: """
                    SELECT id, spec FROM runs WHERE experiment = ? AND group_name = ? AND label = ? AND environment = ?
                      AND layers = ? AND hidden = ? AND seed = ? AND protocol = ? AND key != ? AND superseded = 0 ORDER BY id DESC
                    """, arguments: [run.experiment, run.group, run.label, run.environment, run.layers, run.hidden, run.seed,
                                     run.protocolName, run.key])
                if let latest = others.first {
                    let why = SpecChanges.describe(from: latest["spec"], to: run.specJSON).joined(separator: "; ")
                    if changes[why] == nil { order.append(why) }
                    changes[why, default: 0] += 1
                    for row in others {
                        try db.execute(sql: "UPDATE runs SET superseded = 1 WHERE id = ?", arguments: [row["id"] as Int64])
                    }
                }
                if let row = try Row.fetchOne(db, sql: "SELECT id, status FROM runs WHERE key = ?", arguments: [run.key]) {
                    try db.execute(sql: "UPDATE runs SET superseded = 0 WHERE id = ?", arguments: [row["id"] as Int64])
                    let status: String = row["status"]
                    if status == "pending" || status == "failed" {
                        var r = run
                        r.id = row["id"]
                        todo.append(r)
                    }
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO runs (key, experiment, group_name, label, rule, script, environment, hidden, layers, seed,
                                      init_seed, protocol, episodes, spec, status, rule_script_hash, environment_script_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                    """, arguments: [run.key, run.experiment, run.group, run.label, run.rule, run.script, run.environment,
                                     run.hidden, run.layers, run.seed, run.initSeed, run.protocolName, run.episodes, run.specJSON,
                                     run.ruleScriptHash, run.environmentScriptHash])
                var r = run
                r.id = db.lastInsertedRowID
                r.superseded = false
                todo.append(r)
            }
            return StorePlan(todo: todo, changes: order.map { (changes[$0]!, $0) })
        }
    }

    /// WAL with `synchronous = NORMAL`: a commit is in the log (with the OS) when it returns, so a
    /// killed process loses nothing committed, and commits need no fsync each (only checkpoints do).
    /// Set by the writer of a sweep only: reading a store (export, report, merge's inputs) changes nothing.
    private func useWriteAheadLog() throws {
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
    }

    /// Marks a run as started, by `provenance` (its command line and host), dropping anything an
    /// earlier attempt recorded.
    public func markRunning(_ id: Int64, provenance: RunProvenance = RunProvenance()) throws {
        let host = (try? JSONEncoder.sorted.encode(provenance.host)).map { String(decoding: $0, as: UTF8.self) }
        let command = (try? JSONEncoder.sorted.encode(provenance.command)).map { String(decoding: $0, as: UTF8.self) }
        try queue.write { db in
            try Self.forget(db, id)
            try db.execute(sql: "UPDATE runs SET status = 'running', message = NULL, started = ?, command = ?, host = ? WHERE id = ?",
                           arguments: [Self.timestamp(), command, host, id])
        }
    }

    /// Drops what a run recorded (episodes, metrics, reloads).
    private static func forget(_ db: Database, _ id: Int64) throws {
        try db.execute(sql: "DELETE FROM episodes WHERE run_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM metrics WHERE run_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM reloads WHERE run_id = ?", arguments: [id])
    }

    /// Records that a running run's script was reloaded (its text kept in `scripts`).
    public func recordReload(_ id: Int64, episode: Int, version: Int, source: ScriptSource, parameters: Parameters) throws {
        let json = (try? JSONEncoder.sorted.encode(parameters)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try queue.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO scripts (hash, text) VALUES (?, ?)", arguments: [source.hash, source.text])
            try db.execute(sql: "INSERT OR REPLACE INTO reloads (run_id, episode, version, hash, parameters) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, episode, version, source.hash, json])
        }
    }

    /// Puts a run back to pending, dropping what it recorded (an interrupted run).
    public func reset(_ id: Int64) throws {
        try queue.write { db in
            try Self.forget(db, id)
            try db.execute(sql: "UPDATE runs SET status = 'pending', started = NULL WHERE id = ?", arguments: [id])
        }
    }

    /// Records one finished episode of a running run (its return, length and metrics), at once: a
    /// killed sweep keeps it. An episode recorded again replaces the earlier row.
    public func appendEpisode(_ id: Int64, _ record: EpisodeRecord) throws {
        try queue.write { db in try Self.insert(db, id, [record]) }
    }

    /// Records how a run ended (its episodes are already in, through `appendEpisode`).
    public func complete(_ id: Int64, seconds: Double, steps: Int, failure: String?, finalPerformance: Double?) throws {
        try queue.write { db in
            try Self.complete(db, id, seconds: seconds, steps: steps, failure: failure, finalPerformance: finalPerformance)
        }
    }

    /// Records a run's episodes, metrics and outcome in one transaction.
    public func finish(_ id: Int64, _ result: RunResult) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM episodes WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM metrics WHERE run_id = ?", arguments: [id])
            try Self.insert(db, id, result.records)
            try Self.complete(db, id, seconds: result.seconds, steps: result.steps, failure: result.failure,
                              finalPerformance: result.finalPerformance)
        }
    }

    private static func insert(_ db: Database, _ id: Int64, _ records: [EpisodeRecord]) throws {
        let episode = try db.cachedStatement(sql: "INSERT OR REPLACE INTO episodes (run_id, episode, return, length) VALUES (?, ?, ?, ?)")
        let metric = try db.cachedStatement(sql: "INSERT OR REPLACE INTO metrics (run_id, episode, name, value) VALUES (?, ?, ?, ?)")
        for r in records {
            try episode.execute(arguments: [id, r.episode, r.totalReward.isNaN ? nil : r.totalReward, r.length])
            for (name, value) in r.metrics where !value.isNaN {
                try metric.execute(arguments: [id, r.episode, name, value])
            }
        }
    }

    private static func complete(_ db: Database, _ id: Int64, seconds: Double, steps: Int, failure: String?,
                                 finalPerformance: Double?) throws {
        try db.execute(sql: """
            UPDATE runs SET status = ?, message = ?, finished = ?, seconds = ?, steps = ?, final_performance = ? WHERE id = ?
            """, arguments: [failure == nil ? "completed" : "failed", failure.map { ScriptText.capped($0) }, timestamp(),
                             seconds, steps, finalPerformance.flatMap { $0.isNaN ? nil : $0 }, id])
    }

    // MARK: Reading

    public func runs() throws -> [StoredRun] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(Self.run)
        }
    }

    /// The returns of a run, in episode order (NaN where a return was not finite).
    public func returns(ofRun id: Int64) throws -> [Double] {
        try queue.read { db in
            try Double?.fetchAll(db, sql: "SELECT return FROM episodes WHERE run_id = ? ORDER BY episode", arguments: [id])
                .map { $0 ?? .nan }
        }
    }

    /// What a run's scripts logged, by metric name: one value per episode in episode order (NaN where
    /// the metric was not logged that episode).
    public func metrics(ofRun id: Int64) throws -> [String: [Double]] {
        try queue.read { db in
            let episodes = try Int.fetchOne(db, sql: "SELECT max(episode) FROM episodes WHERE run_id = ?", arguments: [id]) ?? 0
            var out: [String: [Double]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT episode, name, value FROM metrics WHERE run_id = ?", arguments: [id]) {
                let episode: Int = row["episode"], name: String = row["name"]
                guard episode >= 1 && episode <= episodes else { continue }
                if out[name] == nil { out[name] = [Double](repeating: .nan, count: episodes) }
                out[name]![episode - 1] = row["value"]
            }
            return out
        }
    }

    private static func run(_ row: Row) -> StoredRun {
        StoredRun(id: row["id"], key: row["key"], experiment: row["experiment"], group: row["group_name"], label: row["label"],
                  rule: row["rule"], script: row["script"], environment: row["environment"], hidden: row["hidden"],
                  layers: row["layers"], seed: row["seed"], initSeed: row["init_seed"], protocolName: row["protocol"],
                  episodes: row["episodes"], specJSON: row["spec"], status: row["status"], message: row["message"],
                  seconds: row["seconds"], steps: row["steps"], finalPerformance: row["final_performance"],
                  ruleScriptHash: row["rule_script_hash"], environmentScriptHash: row["environment_script_hash"],
                  superseded: row["superseded"])
    }

    /// The text of a script the store keeps, by its hash.
    public func script(hash: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "SELECT text FROM scripts WHERE hash = ?", arguments: [hash]) }
    }

    /// A run's reloads, in order.
    public func reloads(ofRun id: Int64) throws -> [StoredReload] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT episode, version, hash, parameters FROM reloads WHERE run_id = ? ORDER BY version",
                             arguments: [id]).map {
                StoredReload(episode: $0["episode"], version: $0["version"], hash: $0["hash"], parametersJSON: $0["parameters"])
            }
        }
    }

    /// The command line and host a run was started by (nil: not recorded, e.g. a run from a schema-1 store).
    public func provenance(ofRun id: Int64) throws -> RunProvenance? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT command, host FROM runs WHERE id = ?", arguments: [id]),
                  let command = row["command"] as String?, let host = row["host"] as String?,
                  let argv = try? JSONDecoder().decode([String].self, from: Data(command.utf8)),
                  let machine = try? JSONDecoder().decode(HostDescription.self, from: Data(host.utf8)) else { return nil }
            return RunProvenance(command: argv, host: machine)
        }
    }

    // MARK: Export and merge

    /// Writes runs.csv, episodes.csv and metrics.csv into `folder` (for pandas or R). runs.csv has
    /// one column per parameter: `param.<name>` for the rules' and `env.<name>` for the
    /// environments' (empty where a run's spec lacks it).
    public func exportCSV(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try queue.read { db in
            let runColumns = ["id", "experiment", "group_name", "label", "rule", "script", "environment", "hidden", "layers",
                              "seed", "init_seed", "protocol", "episodes", "status", "message", "seconds", "steps", "final_performance",
                              "superseded", "rule_script_hash", "environment_script_hash"]
            try Self.writeRunsCSV(db, columns: runColumns, to: folder.appendingPathComponent("runs.csv"))
            try Self.writeCSV(db, sql: "SELECT run_id, episode, return, length FROM episodes ORDER BY run_id, episode",
                              header: ["run_id", "episode", "return", "length"], to: folder.appendingPathComponent("episodes.csv"))
            try Self.writeCSV(db, sql: "SELECT run_id, episode, name, value FROM metrics ORDER BY run_id, episode, name",
                              header: ["run_id", "episode", "name", "value"], to: folder.appendingPathComponent("metrics.csv"))
        }
    }

    private static func writeRunsCSV(_ db: Database, columns: [String], to url: URL) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")), spec FROM runs ORDER BY id")
        let specs = rows.map { try? JSONDecoder().decode(RunSpec.self, from: Data(($0["spec"] as String).utf8)) }
        let ruleNames = Set(specs.flatMap { $0?.parameters.values.keys.map { $0 } ?? [] }).sorted()
        let environmentNames = Set(specs.flatMap { $0?.environmentParameters?.values.keys.map { $0 } ?? [] }).sorted()
        guard let file = fopen(url.path, "w") else { throw StoreError("cannot write \(url.path)") }
        defer { fclose(file) }
        fputs(CSV.row(columns + ruleNames.map { "param.\($0)" } + environmentNames.map { "env.\($0)" }), file)
        for (row, spec) in zip(rows, specs) {
            let fields = (0..<columns.count).map { field(row[$0]) }
                + ruleNames.map { spec?.parameters[$0].map(Self.text) ?? "" }
                + environmentNames.map { spec?.environmentParameters?[$0].map(Self.text) ?? "" }
            fputs(CSV.row(fields), file)
        }
    }

    /// A parameter as a CSV field: numbers as the other numbers are written, booleans true/false.
    private static func text(_ value: ParameterValue) -> String {
        switch value {
        case .real(let v): return CSV.number(v)
        case .integer(let v): return String(v)
        case .choice(let v): return v
        case .boolean(let v): return v ? "true" : "false"
        }
    }

    private static func field(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return ""
        case .int64(let v): return String(v)
        case .double(let v): return CSV.number(v)
        case .string(let s): return s
        case .blob: return ""
        }
    }

    private static func writeCSV(_ db: Database, sql: String, header: [String], to url: URL) throws {
        guard let file = fopen(url.path, "w") else { throw StoreError("cannot write \(url.path)") }
        defer { fclose(file) }
        fputs(CSV.row(header), file)
        let cursor = try Row.fetchCursor(db, sql: sql)
        while let row = try cursor.next() {
            fputs(CSV.row((0..<row.count).map { field(row[$0]) }), file)
        }
    }

    /// Copies every finished run of `other` that this store lacks (or has unfinished) into this one,
    /// with its scripts' texts, reloads and provenance; a copied current run supersedes this store's
    /// rows of the same slot with another spec. Returns how many runs were copied.
    @discardableResult
    public func merge(from other: ResultStore) throws -> Int {
        let theirs = try other.runs().filter { $0.status == "completed" || $0.status == "failed" }
        var copied = 0
        for run in theirs {
            let mine = try queue.read { db in
                try Row.fetchOne(db, sql: "SELECT id, status FROM runs WHERE key = ?", arguments: [run.key])
            }
            if let mine, (mine["status"] as String) == "completed" { continue }
            if let mine, run.status == "failed", (mine["status"] as String) == "failed" { continue }
            let (episodes, metrics, reloads, scripts, provenance) = try other.queue.read { db in
                (try Row.fetchAll(db, sql: "SELECT episode, return, length FROM episodes WHERE run_id = ? ORDER BY episode", arguments: [run.id]),
                 try Row.fetchAll(db, sql: "SELECT episode, name, value FROM metrics WHERE run_id = ?", arguments: [run.id]),
                 try Row.fetchAll(db, sql: "SELECT episode, version, hash, parameters FROM reloads WHERE run_id = ?", arguments: [run.id]),
                 try Row.fetchAll(db, sql: """
                    SELECT hash, text FROM scripts WHERE hash IN (SELECT rule_script_hash FROM runs WHERE id = ?1
                      UNION SELECT environment_script_hash FROM runs WHERE id = ?1 UNION SELECT hash FROM reloads WHERE run_id = ?1)
                    """, arguments: [run.id]),
                 try Row.fetchOne(db, sql: "SELECT command, host FROM runs WHERE id = ?", arguments: [run.id]))
            }
            try queue.write { db in
                if let mine { try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [mine["id"] as Int64]) }
                for script in scripts {
                    try db.execute(sql: "INSERT OR IGNORE INTO scripts (hash, text) VALUES (?, ?)",
                                   arguments: [script["hash"] as String, script["text"] as String])
                }
                try db.execute(sql: """
                    INSERT INTO runs (key, experiment, group_name, label, rule, script, environment, hidden, layers, seed, init_seed,
                                      protocol, episodes, spec, status, message, seconds, steps, final_performance, finished,
                                      rule_script_hash, environment_script_hash, superseded, command, host)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.key, run.experiment, run.group, run.label, run.rule, run.script, run.environment, run.hidden,
                                     run.layers, run.seed, run.initSeed, run.protocolName, run.episodes, run.specJSON, run.status,
                                     run.message, run.seconds, run.steps, run.finalPerformance, Self.timestamp(),
                                     run.ruleScriptHash, run.environmentScriptHash, run.superseded,
                                     provenance?["command"] as String?, provenance?["host"] as String?])
                let id = db.lastInsertedRowID
                // A current run of a slot supersedes the rows of other specs there (and a superseded
                // one never un-supersedes anything).
                if !run.superseded {
                    try db.execute(sql: """
                        UPDATE runs SET superseded = 1 WHERE experiment = ? AND group_name = ? AND label = ? AND environment = ?
                          AND layers = ? AND hidden = ? AND seed = ? AND protocol = ? AND id != ?
                        """, arguments: [run.experiment, run.group, run.label, run.environment, run.layers, run.hidden, run.seed,
                                         run.protocolName, id])
                }
                for r in reloads {
                    try db.execute(sql: "INSERT INTO reloads VALUES (?, ?, ?, ?, ?)",
                                   arguments: [id, r["episode"] as Int, r["version"] as Int, r["hash"] as String, r["parameters"] as String])
                }
                for e in episodes {
                    try db.execute(sql: "INSERT INTO episodes VALUES (?, ?, ?, ?)", arguments: [id, e["episode"] as Int, e["return"] as Double?, e["length"] as Int])
                }
                for m in metrics {
                    try db.execute(sql: "INSERT INTO metrics VALUES (?, ?, ?, ?)", arguments: [id, m["episode"] as Int, m["name"] as String, m["value"] as Double])
                }
            }
            copied += 1
        }
        return copied
    }

    private static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}

/// What `ResultStore.plan` found: the runs to do, and how many runs changed since the store was
/// written, by what changed ("rules/x.lua edited", "parameter lambda 0.99 → 0.5").
public struct StorePlan: Sendable {
    public var todo: [StoredRun]
    public var changes: [(count: Int, what: String)]
}

/// A reload of a run's script, as the store keeps it.
public struct StoredReload: Sendable, Equatable {
    public var episode: Int
    public var version: Int
    public var hash: String
    public var parametersJSON: String
}

extension JSONEncoder {
    /// Keys sorted: the same value always gives the same text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension ResultStore {
    /// Folds the write-ahead log into the store file and empties it, so that the `.sqlite` file alone
    /// holds every finished run: tools that copy that one file (GNU parallel's --return, scp) get it all.
    public func checkpoint() throws {
        _ = try queue.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }
}

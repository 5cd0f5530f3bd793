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

    /// "1x64"
    public var shape: String { "\(layers)x\(hidden)" }
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
/// final performance), `episodes` (return and length per episode) and `metrics` (what scripts
/// logged). A sweep records each episode as it finishes (`appendEpisode`, one small transaction,
/// with the run still marked "running"), so a killed sweep keeps every finished episode; the run is
/// marked "completed" (or "failed") only after its last episode. Running the sweep again redoes the
/// runs that are not completed from scratch, replacing their partial episodes (never duplicating
/// them). The sweep's store is in WAL mode with `synchronous = NORMAL`: a commit survives a killed
/// process without an fsync per episode. Users can query the file with `sqlite3`.
///
/// Non-finite numbers: SQLite keeps ±infinity as a REAL; NaN has no SQLite value, so a NaN return or
/// final performance is NULL and a NaN metric value is not stored.
public final class ResultStore: @unchecked Sendable {
    public static let schemaVersion = 1
    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating if needed) the store at `path`. A file that is not a store of this version
    /// is refused with a clear message and left untouched.
    public init(path: String, create: Bool = true) throws {
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
    }

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
                final_performance REAL
            );
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
    public func prepare(_ runs: [StoredRun]) throws -> [StoredRun] {
        try useWriteAheadLog()
        return try queue.write { db in
            try db.execute(sql: "DELETE FROM episodes WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')")
            try db.execute(sql: "DELETE FROM metrics WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')")
            try db.execute(sql: "UPDATE runs SET status = 'pending', started = NULL WHERE status = 'running'")
            var todo: [StoredRun] = []
            for run in runs {
                if let row = try Row.fetchOne(db, sql: "SELECT id, status FROM runs WHERE key = ?", arguments: [run.key]) {
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
                                      init_seed, protocol, episodes, spec, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
                    """, arguments: [run.key, run.experiment, run.group, run.label, run.rule, run.script, run.environment,
                                     run.hidden, run.layers, run.seed, run.initSeed, run.protocolName, run.episodes, run.specJSON])
                var r = run
                r.id = db.lastInsertedRowID
                todo.append(r)
            }
            return todo
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

    public func markRunning(_ id: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM episodes WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM metrics WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE runs SET status = 'running', message = NULL, started = ? WHERE id = ?",
                           arguments: [Self.timestamp(), id])
        }
    }

    /// Puts a run back to pending, dropping what it recorded (an interrupted run).
    public func reset(_ id: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM episodes WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM metrics WHERE run_id = ?", arguments: [id])
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

    private static func run(_ row: Row) -> StoredRun {
        StoredRun(id: row["id"], key: row["key"], experiment: row["experiment"], group: row["group_name"], label: row["label"],
                  rule: row["rule"], script: row["script"], environment: row["environment"], hidden: row["hidden"],
                  layers: row["layers"], seed: row["seed"], initSeed: row["init_seed"], protocolName: row["protocol"],
                  episodes: row["episodes"], specJSON: row["spec"], status: row["status"], message: row["message"],
                  seconds: row["seconds"], steps: row["steps"], finalPerformance: row["final_performance"])
    }

    // MARK: Export and merge

    /// Writes runs.csv, episodes.csv and metrics.csv into `folder` (for pandas or R).
    public func exportCSV(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try queue.read { db in
            let runColumns = ["id", "experiment", "group_name", "label", "rule", "script", "environment", "hidden", "layers",
                              "seed", "init_seed", "protocol", "episodes", "status", "message", "seconds", "steps", "final_performance"]
            try Self.writeCSV(db, sql: "SELECT \(runColumns.joined(separator: ", ")) FROM runs ORDER BY id",
                              header: runColumns, to: folder.appendingPathComponent("runs.csv"))
            try Self.writeCSV(db, sql: "SELECT run_id, episode, return, length FROM episodes ORDER BY run_id, episode",
                              header: ["run_id", "episode", "return", "length"], to: folder.appendingPathComponent("episodes.csv"))
            try Self.writeCSV(db, sql: "SELECT run_id, episode, name, value FROM metrics ORDER BY run_id, episode, name",
                              header: ["run_id", "episode", "name", "value"], to: folder.appendingPathComponent("metrics.csv"))
        }
    }

    private static func writeCSV(_ db: Database, sql: String, header: [String], to url: URL) throws {
        guard let file = fopen(url.path, "w") else { throw StoreError("cannot write \(url.path)") }
        defer { fclose(file) }
        fputs(CSV.row(header), file)
        let cursor = try Row.fetchCursor(db, sql: sql)
        while let row = try cursor.next() {
            let fields = (0..<row.count).map { i -> String in
                let value = row[i] as DatabaseValue
                switch value.storage {
                case .null: return ""
                case .int64(let v): return String(v)
                case .double(let v): return CSV.number(v)
                case .string(let s): return s
                case .blob: return ""
                }
            }
            fputs(CSV.row(fields), file)
        }
    }

    /// Copies every finished run of `other` that this store lacks (or has unfinished) into this one.
    /// Returns how many runs were copied.
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
            let (episodes, metrics) = try other.queue.read { db in
                (try Row.fetchAll(db, sql: "SELECT episode, return, length FROM episodes WHERE run_id = ? ORDER BY episode", arguments: [run.id]),
                 try Row.fetchAll(db, sql: "SELECT episode, name, value FROM metrics WHERE run_id = ?", arguments: [run.id]))
            }
            try queue.write { db in
                if let mine { try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [mine["id"] as Int64]) }
                try db.execute(sql: """
                    INSERT INTO runs (key, experiment, group_name, label, rule, script, environment, hidden, layers, seed, init_seed,
                                      protocol, episodes, spec, status, message, seconds, steps, final_performance, finished)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.key, run.experiment, run.group, run.label, run.rule, run.script, run.environment, run.hidden,
                                     run.layers, run.seed, run.initSeed, run.protocolName, run.episodes, run.specJSON, run.status,
                                     run.message, run.seconds, run.steps, run.finalPerformance, Self.timestamp()])
                let id = db.lastInsertedRowID
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

extension ResultStore {
    /// Folds the write-ahead log into the store file and empties it, so that the `.sqlite` file alone
    /// holds every finished run: tools that copy that one file (GNU parallel's --return, scp) get it all.
    public func checkpoint() throws {
        _ = try queue.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }
}

import Foundation
import TestSupport
import XCTest

/// A run's identity is its content: an edited script or a changed parameter re-runs exactly the
/// runs it affects and `compare` says why; the store keeps the old rows, marked superseded, with
/// every script's full text; a store written by nrlhost 0.1.0 opens, migrated.
final class RunIdentityTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    func sql(_ store: String, _ query: String) throws -> [String] { try sqliteRows(store, query) }

    /// The hash `sha256sum` prints for a file: the outside truth for the content hashes.
    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    static func rule(_ name: String, lr: String, comment: String = "") -> String {
        """
        -- \(comment)
        return rule {
          name = "\(name)",
          params = { lr = \(lr) },
          act = function(ctx, obs) return 1 end,
          learn = function() end,
        }

        """
    }

    static let twoScripts = """
    return experiment { name = "two", rules = { "a.lua", "b.lua" }, envs = { "cartpole" }, seeds = { 1, 2 }, episodes = 5 }

    """

    func testEditingAScriptRerunsExactlyItsRuns() throws {
        let a = try write("a.lua", Self.rule("a", lr: "0.1"))
        let b = try write("b.lua", Self.rule("b", lr: "0.1"))
        let experiment = try write("two.lua", Self.twoScripts)
        let store = dir.appendingPathComponent("two.sqlite").path
        let first = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertFalse(first.stdout.contains("changed since"), first.stdout)
        // Each run names its script by content hash, the one sha256sum gives, and the store keeps the text.
        XCTAssertEqual(try sql(store, "SELECT DISTINCT rule_script_hash FROM runs WHERE label = 'a'"), [try Self.sha256sum(a)])
        XCTAssertEqual(try sql(store, "SELECT DISTINCT rule_script_hash FROM runs WHERE label = 'b'"), [try Self.sha256sum(b)])
        XCTAssertEqual(try sql(store, "SELECT text FROM scripts WHERE hash = '\(try Self.sha256sum(a))'").joined(separator: "\n") + "\n",
                       Self.rule("a", lr: "0.1"))
        let before = try sql(store, "SELECT id FROM runs ORDER BY id")

        // A one-line edit of a.lua (a comment: the text is what counts).
        try Self.rule("a", lr: "0.1", comment: "fixed a bug").write(toFile: a, atomically: true, encoding: .utf8)
        let second = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.stdout.contains("2 runs changed since the store was written: \(a) edited"), second.stdout)
        XCTAssertTrue(second.stdout.contains("4 runs, 2 already in"), second.stdout)
        XCTAssertTrue(second.stdout.contains("2 to run"), second.stdout)
        // The old rows are kept, marked superseded; b's runs were not run again.
        XCTAssertEqual(try sql(store, "SELECT label, seed, superseded FROM runs WHERE id IN (\(before.joined(separator: ","))) ORDER BY id"),
                       ["a|1|1", "a|2|1", "b|1|0", "b|2|0"])
        XCTAssertEqual(try sql(store, "SELECT label, seed, superseded, status FROM runs WHERE id NOT IN (\(before.joined(separator: ","))) ORDER BY id"),
                       ["a|1|0|completed", "a|2|0|completed"])
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM episodes WHERE run_id IN (\(before.joined(separator: ",")))"), ["20"])
        XCTAssertEqual(try sql(store, "SELECT DISTINCT rule_script_hash FROM runs WHERE label = 'a' AND superseded = 0"), [try Self.sha256sum(a)])
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM scripts"), ["3"])

        // Undoing the edit brings the first runs back: nothing to run, the edited version's rows superseded.
        try Self.rule("a", lr: "0.1").write(toFile: a, atomically: true, encoding: .utf8)
        let third = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(third.status, 0, third.output)
        XCTAssertTrue(third.stdout.contains("2 runs changed since the store was written: \(a) edited"), third.stdout)
        XCTAssertTrue(third.stdout.contains("4 already in"), third.stdout)
        XCTAssertEqual(try sql(store, "SELECT id FROM runs WHERE superseded = 0 ORDER BY id"), before)

        // Merged into another store, every row keeps its flag, hashes, provenance, and the texts come along.
        let merged = dir.appendingPathComponent("merged.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["merge", store, "-o", merged]).status, 0)
        let row = "SELECT key, superseded, rule_script_hash, command, host FROM runs ORDER BY key"
        XCTAssertEqual(try sql(merged, row), try sql(store, row))
        XCTAssertEqual(try sql(merged, "SELECT hash, text FROM scripts ORDER BY hash"), try sql(store, "SELECT hash, text FROM scripts ORDER BY hash"))
    }

    func testAChangedParameterIsNamed() throws {
        func experiment(lr: String) -> String {
            """
            return experiment { name = "p", rules = { { "nrl", label = "nrl-tuned", set = { lr = \(lr) } }, "bp" },
                                envs = { "cartpole" }, seeds = { 1, 2, 3 }, episodes = 3 }

            """
        }
        let path = try write("p.lua", experiment(lr: "0.05"))
        let store = dir.appendingPathComponent("p.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["compare", path, "--store", store]).status, 0)
        try experiment(lr: "0.02").write(toFile: path, atomically: true, encoding: .utf8)
        let again = try NRLHostBinary.run(["compare", path, "--store", store])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.stdout.contains("3 runs changed since the store was written: parameter lr 0.05 → 0.02"), again.stdout)
        XCTAssertTrue(again.stdout.contains("6 runs, 3 already in"), again.stdout)
        XCTAssertEqual(try sql(store, "SELECT label, count(*) FROM runs WHERE superseded = 1 GROUP BY label"), ["nrl-tuned|3"])

        // The report: two rows under the label, named by the parameter that differs, and a note; never one pooled row.
        let report = try NRLHostBinary.run(["report", store])
        XCTAssertEqual(report.status, 0, report.output)
        let rows = report.stdout.split(separator: "\n").map(String.init)
        let old = try XCTUnwrap(rows.first { $0.contains("nrl-tuned (lr=0.05, superseded)") }, report.stdout)
        let new = try XCTUnwrap(rows.first { $0.contains("nrl-tuned (lr=0.02)") }, report.stdout)
        for row in [old, new] { XCTAssertTrue(row.hasSuffix("  3       0"), "each row holds its own 3 runs: \(row)") }
        XCTAssertTrue(report.stdout.contains("note: 'nrl-tuned' in main (per-run, cartpole 1x64) covers 2 configurations, shown as separate rows: lr=0.05; lr=0.02"), report.stdout)
    }

    /// runs.csv: one column per parameter, `param.<name>` for rules and `env.<name>` for environments,
    /// empty where a run's rule has no such parameter; the superseded flag and the script hash.
    func testExportHasAColumnPerParameter() throws {
        let a = try write("a.lua", Self.rule("a", lr: "0.25"))
        let experiment = try write("x.lua", """
            return experiment { name = "x", rules = { "a.lua", { "nrl", set = { sigma = 0.002 } } }, envs = { "cartpole" },
                                seeds = { 1 }, episodes = 2, env_params = { cartpole = { sutton_barto_reward = true } } }

            """)
        let store = dir.appendingPathComponent("x.sqlite").path
        let c = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(c.status, 0, c.output)
        let csv = dir.appendingPathComponent("csv")
        XCTAssertEqual(try NRLHostBinary.run(["export", store, "--csv", csv.path]).status, 0)
        let lines = try String(contentsOf: csv.appendingPathComponent("runs.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let rows = lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
        for column in ["superseded", "rule_script_hash", "param.lr", "param.sigma", "param.scaling", "param.gamma", "env.sutton_barto_reward"] {
            XCTAssertTrue(header.contains(column), "\(column) in \(header)")
        }
        let script = try XCTUnwrap(rows.first { $0["label"] == "a" })
        let nrl = try XCTUnwrap(rows.first { $0["rule"] == "nrl" })
        XCTAssertEqual(script["param.lr"], "0.25")
        XCTAssertEqual(script["param.sigma"], "", "the script declares no sigma")
        XCTAssertEqual(script["rule_script_hash"], try Self.sha256sum(a))
        XCTAssertEqual(nrl["param.sigma"], "0.002")
        XCTAssertEqual(nrl["rule_script_hash"], "")
        XCTAssertEqual(Set(rows.map { $0["env.sutton_barto_reward"] }), ["true"])
        XCTAssertEqual(Set(rows.map { $0["superseded"] }), ["0"])
    }

    /// A store written by a real nrlhost 0.1.0 (Tests/Fixtures/store-0.1.0, see its experiment.lua):
    /// it opens, migrated, with a copy of the original beside it; the report reads it; comparing
    /// the same experiment on top runs every run again (0.1.0 computed other numbers) and says so,
    /// keeping the old rows, superseded.
    func testAStoreWrittenBy010OpensAndIsComparedOnTop() throws {
        let fixture = ReferenceData.packageRoot.appendingPathComponent("Tests/Fixtures/store-0.1.0")
        let folder = dir.appendingPathComponent("fixture")
        try FileManager.default.copyItem(at: fixture, to: folder)
        let store = folder.appendingPathComponent("v010.sqlite").path
        XCTAssertEqual(try sql(store, "SELECT value FROM nrlhost_meta ORDER BY key"), ["nrlhost 0.1.0", "1"])
        let originalRuns = try sql(store, "SELECT * FROM runs ORDER BY id")
        let originalEpisodes = try sql(store, "SELECT * FROM episodes ORDER BY run_id, episode")
        XCTAssertEqual(originalRuns.count, 4)

        let report = try NRLHostBinary.run(["report", store, "--no-diagnostics"])
        XCTAssertEqual(report.status, 0, report.output)
        XCTAssertTrue(report.stderr.contains("migrated to schema 2"), report.stderr)
        XCTAssertTrue(report.stdout.contains("4 completed"), report.stdout)
        // The copy is the schema-1 store as it was.
        let backup = store + ".schema1.bak"
        XCTAssertEqual(try sql(backup, "SELECT value FROM nrlhost_meta WHERE key = 'schema_version'"), ["1"])
        XCTAssertEqual(try sql(backup, "SELECT * FROM runs ORDER BY id"), originalRuns)
        XCTAssertEqual(try sql(backup, "SELECT * FROM episodes ORDER BY run_id, episode"), originalEpisodes)
        XCTAssertEqual(try sql(store, "SELECT value FROM nrlhost_meta WHERE key = 'schema_version'"), ["2"])
        XCTAssertEqual(try sql(store, "SELECT * FROM episodes ORDER BY run_id, episode"), originalEpisodes)

        // Opened again: no second migration.
        let again = try NRLHostBinary.run(["report", store, "--no-diagnostics"])
        XCTAssertFalse(again.stderr.contains("migrated"), again.stderr)

        let compare = try NRLHostBinary.run(["compare", folder.appendingPathComponent("experiment.lua").path, "--store", store])
        XCTAssertEqual(compare.status, 0, compare.output)
        XCTAssertTrue(compare.stdout.contains("2 runs changed since the store was written: nrlhost numerics 0.1.0 → 0.2.0"), compare.stdout)
        XCTAssertTrue(compare.stdout.contains("nrl.lua"), compare.stdout)
        XCTAssertTrue(compare.stdout.contains("4 runs, 0 already in"), compare.stdout)
        XCTAssertEqual(try sql(store, "SELECT superseded, count(*) FROM runs GROUP BY superseded"), ["0|4", "1|4"])
        XCTAssertEqual(try sql(store, "SELECT id FROM runs WHERE superseded = 1 ORDER BY id"), ["1", "2", "3", "4"])
        XCTAssertEqual(try sql(store, "SELECT * FROM episodes WHERE run_id <= 4 ORDER BY run_id, episode"), originalEpisodes)
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM episodes WHERE run_id > 4"), ["80"])
    }

    /// A schema-1 store written by 0.2.0, whose numerics are current (simulated: the 0.1.0 fixture
    /// with its specs' version set to 0.2.0, the one field that differs): runs of builtin rules keep
    /// their identity through the migration and are not run again; runs of a script, whose text the
    /// store never had, are, with the reason.
    func testBuiltinRunsOfA020StoreKeepTheirIdentity() throws {
        let folder = dir.appendingPathComponent("fixture")
        try FileManager.default.copyItem(at: ReferenceData.packageRoot.appendingPathComponent("Tests/Fixtures/store-0.1.0"), to: folder)
        let store = folder.appendingPathComponent("v010.sqlite").path
        _ = try sql(store, #"UPDATE runs SET spec = replace(spec, '"version":"0.1.0"', '"version":"0.2.0"')"#)
        XCTAssertEqual(try sql(store, #"SELECT count(*) FROM runs WHERE spec LIKE '%"version":"0.2.0"%'"#), ["4"])
        let compare = try NRLHostBinary.run(["compare", folder.appendingPathComponent("experiment.lua").path, "--store", store])
        XCTAssertEqual(compare.status, 0, compare.output)
        XCTAssertTrue(compare.stderr.contains("migrated to schema 2"), compare.stderr)
        XCTAssertTrue(compare.stdout.contains("4 runs, 2 already in"), compare.stdout)
        XCTAssertTrue(compare.stdout.contains("its text was not recorded (before nrlhost 0.3)"), compare.stdout)
        XCTAssertFalse(compare.stdout.contains("numerics"), compare.stdout)
        XCTAssertEqual(try sql(store, "SELECT label, superseded, count(*) FROM runs GROUP BY label, superseded"), ["bp|0|2", "nrl|0|2", "nrl|1|2"])
        XCTAssertEqual(try sql(store, "SELECT id FROM runs WHERE label = 'bp' ORDER BY id"), ["1", "2"])
    }
}

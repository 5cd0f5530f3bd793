import Foundation
import TestSupport
import XCTest

/// `nrlhost compare`, `merge` and `export` as a user runs them, checked against `nrlhost run` and
/// against the SQLite file itself.
final class CompareTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    func sql(_ store: String, _ query: String) throws -> [String] { try sqliteRows(store, query) }

    static let small = """
    return experiment {
      name = "small",
      groups = {
        { name = "a", rules = { "nrl", "bp", { "nrl", label = "nrl fan_out", set = { scaling = "fan_out" } } },
          envs = { "cartpole" }, seeds = { 3, 4 }, episodes = 40 },
        { name = "b", rules = { "rmhl" }, envs = { "acrobot" }, seeds = { 5 }, episodes = 3, layers = { 1, 2 }, hidden = 8,
          protocols = { "authors", "per-run" } },
      },
    }

    """

    /// A run in a sweep gives exactly the returns `nrlhost run` gives for the same spec.
    func testSweepRunsAreExactlyWhatRunGives() throws {
        let experiment = try write("small.lua", Self.small)
        let store = dir.appendingPathComponent("small.sqlite").path
        let r = try NRLHostBinary.run(["compare", experiment, "--store", store, "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM runs WHERE status = 'completed'"), ["10"])
        let swept = try sql(store, """
            SELECT e.return FROM episodes e JOIN runs r ON r.id = e.run_id
            WHERE r.label = 'nrl fan_out' AND r.seed = 4 ORDER BY e.episode
            """)
        let out = dir.appendingPathComponent("single")
        let single = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--seed", "4", "--episodes", "40",
                                            "--set", "scaling=fan_out", "--out", out.path])
        XCTAssertEqual(single.status, 0, single.output)
        let returns = try String(contentsOf: out.appendingPathComponent("episodes.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
        XCTAssertEqual(swept.map { Double($0)! }, returns.map { Double($0)! })
        // The authors' protocol: initial weights from seed 42, the run seed for everything else.
        XCTAssertEqual(try sql(store, "SELECT DISTINCT init_seed FROM runs WHERE protocol = 'authors'"), ["42"])
        // Running again does nothing new.
        let again = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertTrue(again.stdout.contains("10 already in"), again.stdout)
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM runs"), ["10"])
    }

    /// SIGKILL in the middle of a sweep, then the same command: only the missing runs are run, and
    /// no finished run is lost or duplicated.
    func testKilledSweepResumes() throws {
        let experiment = try write("long.lua", """
            return experiment { name = "long", rules = { "bp" }, envs = { "cartpole" }, seeds = { 1, 2, 3, 4, 5, 6 }, episodes = 5000 }

            """)
        let store = dir.appendingPathComponent("long.sqlite").path
        let (process, out, err) = try NRLHostBinary.start(["compare", experiment, "--store", store, "--jobs", "2"])
        // Wait until some, but not all, runs are done; then kill without warning.
        let deadline = Date().addingTimeInterval(60)
        var completed = 0
        while Date() < deadline {
            completed = Int((try? sql(store, "SELECT count(*) FROM runs WHERE status = 'completed'"))?.first ?? "0") ?? 0
            if completed >= 2 { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        _ = NRLHostBinary.finish(process, out, err)
        let before = try sql(store, "SELECT key || ':' || final_performance FROM runs WHERE status = 'completed' ORDER BY key")
        XCTAssertGreaterThanOrEqual(before.count, 2)
        XCTAssertLessThan(before.count, 6, "the sweep was killed before it finished")

        let resumed = try NRLHostBinary.run(["compare", experiment, "--store", store, "--jobs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stdout.contains("\(before.count) already in"), resumed.stdout)
        let after = try sql(store, "SELECT key || ':' || final_performance FROM runs WHERE status = 'completed' ORDER BY key")
        XCTAssertEqual(after.count, 6)
        XCTAssertTrue(Set(before).isSubset(of: Set(after)), "finished runs are kept as they were")
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM episodes"), ["30000"], "no episode lost or duplicated")
    }

    /// Two shards run as separate processes and merged give the whole sweep.
    func testShardsMergeIntoTheWholeSweep() throws {
        let experiment = try write("small.lua", Self.small)
        let a = dir.appendingPathComponent("a.sqlite").path, b = dir.appendingPathComponent("b.sqlite").path
        let merged = dir.appendingPathComponent("merged.sqlite").path
        let first = try NRLHostBinary.start(["compare", experiment, "--store", a, "--shard", "1/2", "--jobs", "1"])
        let second = try NRLHostBinary.start(["compare", experiment, "--store", b, "--shard", "2/2", "--jobs", "1"])
        XCTAssertEqual(NRLHostBinary.finish(first.0, first.1, first.2).status, 0)
        XCTAssertEqual(NRLHostBinary.finish(second.0, second.1, second.2).status, 0)
        let countA = Int(try sql(a, "SELECT count(*) FROM runs").first!)!, countB = Int(try sql(b, "SELECT count(*) FROM runs").first!)!
        XCTAssertEqual(countA + countB, 10)
        XCTAssertEqual(Set(try sql(a, "SELECT key FROM runs")).intersection(try sql(b, "SELECT key FROM runs")), [])
        let m = try NRLHostBinary.run(["merge", a, b, "-o", merged])
        XCTAssertEqual(m.status, 0, m.output)
        let whole = dir.appendingPathComponent("whole.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["compare", experiment, "--store", whole]).status, 0)
        let query = "SELECT r.key, e.episode, e.return FROM episodes e JOIN runs r ON r.id = e.run_id ORDER BY r.key, e.episode"
        XCTAssertEqual(try sql(merged, query), try sql(whole, query))
        // Merging again adds nothing.
        XCTAssertTrue(try NRLHostBinary.run(["merge", a, b, "-o", merged]).stdout.contains("0 runs copied"))
    }

    func testExportWritesCSVForPandas() throws {
        let experiment = try write("small.lua", Self.small)
        let store = dir.appendingPathComponent("s.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["compare", experiment, "--store", store]).status, 0)
        let csv = dir.appendingPathComponent("csv")
        let r = try NRLHostBinary.run(["export", store, "--csv", csv.path])
        XCTAssertEqual(r.status, 0, r.output)
        let runs = try String(contentsOf: csv.appendingPathComponent("runs.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(runs.count, 11)
        XCTAssertTrue(runs[0].hasPrefix("id,experiment,group_name,label,rule"))
        let episodes = try String(contentsOf: csv.appendingPathComponent("episodes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(episodes.count, 1 + 6 * 40 + 4 * 3)
    }

    /// A failing run is recorded as failed with its message; the sweep goes on.
    func testAFailingRunIsRecordedAndTheSweepGoesOn() throws {
        let rule = try write("explodes.lua", ruleFailingInEpisode3)
        let experiment = try write("mixed.lua", """
            return experiment { name = "mixed", rules = { "\(rule)", "bp" }, envs = { "cartpole" }, seeds = { 1, 2 }, episodes = 5 }

            """)
        let store = dir.appendingPathComponent("m.sqlite").path
        let r = try NRLHostBinary.run(["compare", experiment, "--store", store])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stdout.contains("2 runs completed, 2 failed"), r.stdout)
        XCTAssertTrue(r.stdout.contains("explodes.lua:4: boom in episode 3"), r.stdout)
        XCTAssertEqual(try sql(store, "SELECT status, count(*) FROM runs GROUP BY status ORDER BY status"), ["completed|2", "failed|2"])
        XCTAssertEqual(try sql(store, "SELECT count(*) FROM episodes e JOIN runs r ON r.id = e.run_id WHERE r.status = 'failed'"), ["4"],
                       "the episodes before the failure are kept")
    }

    /// Mistakes in an experiment file are reported with file:line before anything runs.
    func testBadExperimentsAreRefusedBeforeAnyRun() throws {
        let cases: [(String, String)] = [
            ("return experiment { rules = { \"nlr\" }, envs = { \"cartpole\" }, seeds = { 1 } }\n", "unknown rule 'nlr'"),
            ("return experiment { rules = { \"nrl\" }, envs = { \"pong\" }, seeds = { 1 } }\n", "unknown environment 'pong'"),
            ("return experiment { rules = { \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 }, layers = { 0 } }\n", "experiment.layers[1] must be an integer in 1...64, got 0"),
            ("return experiment { groups = { { name = \"x\", rules = { \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 } },\n { name = \"x\", rules = { \"bp\" }, envs = { \"cartpole\" }, seeds = { 1 } } } }\n", "two groups are named 'x'"),
            ("return experiment { rules = { \"nrl\", \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 } }\n", "two rules are labelled 'nrl'"),
            ("return experiment { rules = { { \"nrl\", set = { sigma = -1 } } }, envs = { \"cartpole\" }, seeds = { 1 } }\n", "parameter 'sigma' must be > 0, got '-1'"),
            ("local x = nil\nreturn experiment { rules = x.rules }\n", ":2: attempt to index a nil value"),
            ("return experiment { rules = { \"nrl\" }, envs = { \"cartpole\" } }\n", "experiment needs seeds = { … }, a list of non-negative integers"),
            // Unknown fields are refused, and an environment named twice (under an alias) is one environment.
            ("return experiment { rules = { \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 }, episode = 100 }\n",
             "unknown field 'episode' in experiment; valid fields: env_params, envs, episodes, groups, hidden, layers, name, protocols, rules, seeds"),
            ("return experiment { rules = { \"nrl\" }, envs = { \"cartpole\", \"CartPole-v1\" }, seeds = { 1 } }\n",
             "experiment.envs: environment 'CartPole-v1' is listed twice (as 'cartpole' and 'CartPole-v1')"),
        ]
        for (k, (text, message)) in cases.enumerated() {
            let path = try write("bad\(k).lua", text)
            let store = dir.appendingPathComponent("bad\(k).sqlite").path
            let r = try NRLHostBinary.run(["compare", path, "--store", store])
            XCTAssertEqual(r.status, 1, "\(message): \(r.output)")
            XCTAssertTrue(r.stderr.contains(path + ":"), "\(message): file:line expected in \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "expected «\(message)» in \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: store), "nothing runs, no store is made")
        }
    }

    /// A store from elsewhere is refused with a clear message and left untouched.
    func testForeignAndCorruptStoresAreLeftAlone() throws {
        let experiment = try write("small.lua", Self.small)
        let corrupt = dir.appendingPathComponent("corrupt.sqlite")
        try Data("this is not a database, it is a note".utf8).write(to: corrupt)
        let r = try NRLHostBinary.run(["compare", experiment, "--store", corrupt.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("not a readable SQLite database"), r.stderr)
        XCTAssertEqual(try String(contentsOf: corrupt, encoding: .utf8), "this is not a database, it is a note")

        let foreign = dir.appendingPathComponent("foreign.sqlite").path
        _ = try sql(foreign, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');")
        let f = try NRLHostBinary.run(["compare", experiment, "--store", foreign])
        XCTAssertEqual(f.status, 1)
        XCTAssertTrue(f.stderr.contains("not an nrlhost results store"), f.stderr)
        XCTAssertEqual(try sql(foreign, "SELECT name FROM people"), ["ada"])

        let future = dir.appendingPathComponent("future.sqlite").path
        XCTAssertEqual(try NRLHostBinary.run(["compare", experiment, "--store", future]).status, 0)
        _ = try sql(future, "UPDATE nrlhost_meta SET value = '99' WHERE key = 'schema_version'")
        let v = try NRLHostBinary.run(["export", future, "--csv", dir.appendingPathComponent("x").path])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.stderr.contains("schema version 99"), v.stderr)
    }
}

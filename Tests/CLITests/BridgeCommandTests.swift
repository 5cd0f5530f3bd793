import Foundation
import TestSupport
import XCTest

/// Python tasks by name everywhere a name is taken: `check` (a rule declaring `env = "gym:…"`, `--env neurogym:…`),
/// assignments (`env = "gym:…"`, graded), and `compare`, whose jobs reuse their workers between runs: a sweep on
/// one job and on two (different runs share a worker) stores the same episodes, bit for bit. Needs `make python`'s
/// .venv/ (or NRLHOST_PYTHON).
final class BridgeCommandTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    /// The builtin nrl rule's script with its default environment changed to `env`.
    func nrlRule(env: String) throws -> String {
        let text = try String(contentsOf: scriptsFolder.appendingPathComponent("rules/nrl.lua"), encoding: .utf8)
        let changed = text.replacingOccurrences(of: "env = \"cartpole\"", with: "env = \"\(env)\"")
        XCTAssertNotEqual(changed, text, "rules/nrl.lua should declare env = \"cartpole\"")
        return try write("nrl-\(env.replacingOccurrences(of: ":", with: "-")).lua", changed)
    }

    func testCheckTakesPythonTaskNames() throws {
        let rule = try nrlRule(env: "gym:CartPole-v1")
        let declared = try NRLHostBinary.run(["check", rule])
        XCTAssertEqual(declared.status, 0, declared.output)
        XCTAssertTrue(declared.stdout.contains("dry episodes on gym:CartPole-v1 (4-64-2)"), declared.stdout)
        let given = try NRLHostBinary.run(["check", scriptsFolder.appendingPathComponent("rules/nrl.lua").path, "--env", "neurogym:GoNogo-v0"])
        XCTAssertEqual(given.status, 0, given.output)
        XCTAssertTrue(given.stdout.contains("on neurogym:GoNogo-v0"), given.stdout)
        let unknown = try NRLHostBinary.run(["check", rule, "--env", "gym:NoSuchTask-v9"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.output.contains("NoSuchTask-v9"), unknown.output)
    }

    func testAnAssignmentOnAGymnasiumTaskIsGraded() throws {
        let assignment = try write("gym-cartpole.lua", """
            return assignment {
              name = "nrl-gym-cartpole",
              env = "gym:CartPole-v1",
              hidden = 16,
              episodes = 30,
              seeds = { practice = { 1 }, grading = { 3, 4 } },
              limits = { instructions = 10000000, memory_mb = 64, seconds = 60 },
              scoring = { metric = "final", baseline = 9, pass = 12, full = 100 },
            }

            """)
        let solution = scriptsFolder.appendingPathComponent("rules/nrl.lua").path
        let json = dir.appendingPathComponent("grades.json").path
        let r = try NRLHostBinary.run(["grade", assignment, solution, "--json", json])
        XCTAssertEqual(r.status, 0, r.output)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        XCTAssertEqual((results.first?["environments"] as? [[String: Any]])?.compactMap { $0["env"] as? String }, ["gym:CartPole-v1"], "\(results)")
        XCTAssertEqual((results.first?["runs"] as? [[String: Any]])?.count, 2, "\(results)")
        XCTAssertNotEqual(results.first?["status"] as? String, "error", "\(results)")
        let tried = try NRLHostBinary.run(["try", assignment, solution])
        XCTAssertEqual(tried.status == 0 || tried.status == 1, true, tried.output)
        XCTAssertTrue(tried.stdout.contains("final performance"), tried.output)
    }

    func testASweepStoresTheSameEpisodesOnOneJobAndOnTwo() throws {
        let experiment = try write("bridged.lua", """
            return experiment {
              name = "bridged",
              groups = {
                { name = "gym", rules = { "nrl", "bp" }, envs = { "gym:CartPole-v1" }, seeds = { 1, 2, 3 }, episodes = 15, hidden = 16 },
                { name = "ng", rules = { "nrl" }, envs = { "neurogym:GoNogo-v0" }, seeds = { 1, 2 }, episodes = 10, hidden = 16 },
              },
            }

            """)
        var rows: [[String]] = []
        for jobs in ["1", "2"] {
            let store = dir.appendingPathComponent("jobs\(jobs).sqlite").path
            let r = try NRLHostBinary.run(["compare", experiment, "--store", store, "--jobs", jobs])
            XCTAssertEqual(r.status, 0, r.output)
            rows.append(try sqliteRows(store, """
                SELECT r.label, r.environment, r.seed, e.episode, printf('%.17g', e."return"), e.length FROM episodes e JOIN runs r ON r.id = e.run_id
                ORDER BY r.label, r.environment, r.seed, e.episode
                """))
        }
        XCTAssertEqual(rows[0].count, 3 * 2 * 15 + 2 * 10)
        XCTAssertEqual(rows[0], rows[1])
    }
}

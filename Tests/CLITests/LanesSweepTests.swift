import Foundation
import TestSupport
import XCTest

/// `nrlhost compare` with the lanes engine on and off: the same store rows (everything but timings,
/// dates and the command line), at every lane width.
final class LanesSweepTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// 20 NRL CartPole seeds (more than 16 lanes) in two parameter groups, BP, runs that fill no engine
    /// (one run alone), RMHL, node perturbation and BP on a 2-layer Acrobot network, and NRL (its continuous
    /// form), BP and RMHL on Reaching (learning every step, trials without resets), side by side.
    static let experiment = """
    return experiment {
      name = "lanes",
      groups = {
        { name = "a", rules = { "nrl", { "nrl", label = "nrl fan_out", set = { scaling = "fan_out" } }, "bp" },
          envs = { "cartpole" }, seeds = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 },
          episodes = 60 },
        { name = "b", rules = { "nrl" }, envs = { "cartpole" }, seeds = { 5 }, episodes = 30, hidden = 16 },
        { name = "c", rules = { "rmhl", "np", "bp" }, envs = { "acrobot" }, seeds = { 1, 2, 3, 4, 5, 6, 7, 8, 9 },
          episodes = 4, hidden = 16, layers = 2 },
        { name = "d", rules = { "nrl", "bp", "rmhl" }, envs = { "reaching" }, seeds = { 1, 2, 3, 4, 5, 6, 7, 8, 9 },
          episodes = 3, hidden = 16 },
      },
    }

    """

    func rows(_ store: String) throws -> [String] {
        try sqliteRows(store, """
            SELECT key, status, coalesce(message, ''), steps, printf('%!.17g', final_performance) FROM runs ORDER BY key
            """)
        + sqliteRows(store, """
            SELECT r.key, e.episode, printf('%!.17g', e.return), e.length
            FROM episodes e JOIN runs r ON r.id = e.run_id ORDER BY r.key, e.episode
            """)
    }

    /// `status`: what `compare` exits with (1 when runs failed).
    func sweep(engine: String, width: String? = nil, experiment text: String = experiment, status: Int32 = 0) throws -> [String] {
        let experiment = try writeScratchFile("lanes.lua", text, in: dir)
        let store = dir.appendingPathComponent("\(engine)-\(width ?? "cpu").sqlite").path
        let r = try NRLHostBinary.run(["compare", experiment, "--store", store, "--jobs", "2", "--engine", engine],
                                      environment: width.map { ["NRLHOST_LANES": $0] } ?? [:])
        XCTAssertEqual(r.status, status, r.output)
        return try rows(store)
    }

    func testLanesOnAndOffGiveTheSameStoreRows() throws {
        let scalar = try sweep(engine: "scalar")
        XCTAssertEqual(scalar.count, 61 + 60 * 60 + 30 + 27 * 5 + 27 * 4, "115 runs and all their episodes")
        XCTAssertEqual(try sweep(engine: "lanes"), scalar, "lanes at the default width")
        XCTAssertEqual(try sweep(engine: "lanes", width: "16"), scalar, "16 lanes")
        XCTAssertEqual(try sweep(engine: "lanes", width: "4"), scalar, "4 lanes")
    }

    func testRunsAnEngineCannotTrainFailAsTheyWouldAlone() throws {
        // Reaching refuses this setting when its environment is made: in lanes the engine cannot start, so its
        // runs train alone and each fails with its own message; the rest of the sweep goes on.
        let experiment = """
        return experiment {
          name = "refused",
          groups = {
            { name = "a", rules = { { "nrl", set = { ["env.fail_reward"] = 2 } } }, envs = { "reaching" },
              seeds = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 }, episodes = 2 },
            { name = "b", rules = { "nrl" }, envs = { "cartpole" }, seeds = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, episodes = 5 },
          },
        }

        """
        let scalar = try sweep(engine: "scalar", experiment: experiment, status: 1)
        XCTAssertEqual(scalar.filter { $0.contains("failed|environment 'reaching': correct_reward (1.0) must be above") }.count, 18,
                       scalar.joined(separator: "\n"))
        XCTAssertEqual(scalar.count, 27 + 9 * 5)
        XCTAssertEqual(try sweep(engine: "lanes", experiment: experiment, status: 1), scalar)
    }

    func testBenchRefusesLanesRowsItCannotMeasureBeforeMeasuring() throws {
        for (arguments, message) in [
            (["--lane-rules", "wp"], "the lanes engine does not train wp on cartpole"),
            (["--lane-rules", "nrl", "nrl-noisy"], "the lanes engine does not train nrl-noisy on cartpole"),
            (["--yardsticks", dir.path], "no nrl_cartpole.c and nrl_lanes.c in \(dir.path)"),
        ] {
            let r = try NRLHostBinary.run(["bench", "--lanes-only"] + arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.output)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(arguments): nothing measured")
        }
    }

    func testAnUnknownEngineIsRefused() throws {
        let experiment = try writeScratchFile("lanes.lua", Self.experiment, in: dir)
        let r = try NRLHostBinary.run(["compare", experiment, "--engine", "gpu"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--engine takes scalar or lanes"), r.stderr)
    }
}

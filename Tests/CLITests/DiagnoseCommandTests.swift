import Foundation
import TestSupport
import XCTest

/// `nrlhost diagnose` and the report's rule-alignment diagnostics, as a user runs them.
final class DiagnoseCommandTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The table's rows (episodes, cosine, per layer), without the timing line.
    func rows(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.first == " " && $0.contains("W1") }
    }

    func testBPAndTheLuaTwin() throws {
        let bp = try NRLHostBinary.run(["diagnose", "bp", "--env", "cartpole", "--episodes", "40", "--batch", "3"])
        XCTAssertEqual(bp.status, 0, bp.output)
        XCTAssertTrue(bp.stdout.contains("checkpoints 0, 10, 20, 30, 40, 3 episodes each"), bp.stdout)
        XCTAssertEqual(rows(bp.stdout).count, 5, bp.stdout)
        for row in rows(bp.stdout) { XCTAssertTrue(row.hasSuffix("1.000  W1 1.000, W2 1.000"), row) }

        let native = try NRLHostBinary.run(["diagnose", "nrl", "--env", "cartpole", "--checkpoints", "0,25", "--batch", "4"])
        let twin = try NRLHostBinary.run(["diagnose", Self.repository.appendingPathComponent("scripts/nrl.lua").path,
                                          "--env", "cartpole", "--checkpoints", "0,25", "--batch", "4"])
        XCTAssertEqual(native.status, 0, native.output)
        XCTAssertEqual(twin.status, 0, twin.output)
        XCTAssertEqual(rows(native.stdout).count, 2, native.stdout)
        XCTAssertEqual(rows(native.stdout), rows(twin.stdout))
    }

    func testMistakesAreClearMessages() throws {
        let bad = dir.appendingPathComponent("bad.lua")
        try "return rule {\n  name = 'bad',\n  act = function(ctx, obs) return 1 end,\n  learn = function(ctx, rpe) error('no learning here') end,\n}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let failing = try NRLHostBinary.run(["diagnose", bad.path, "--env", "cartpole", "--checkpoints", "0", "--batch", "1"])
        XCTAssertEqual(failing.status, 1, failing.output)
        XCTAssertTrue(failing.stderr.contains("nrlhost: error:") && failing.stderr.contains("bad.lua:4:")
                      && failing.stderr.contains("no learning here"), failing.stderr)

        let missing = try NRLHostBinary.run(["diagnose", dir.appendingPathComponent("none.lua").path, "--env", "cartpole"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.lua"), missing.stderr)

        let checkpoints = try NRLHostBinary.run(["diagnose", "nrl", "--env", "cartpole", "--checkpoints", "0,ten"])
        XCTAssertEqual(checkpoints.status, 64, checkpoints.output)
        XCTAssertTrue(checkpoints.stderr.contains("--checkpoints takes episode counts"), checkpoints.stderr)
        let batch = try NRLHostBinary.run(["diagnose", "nrl", "--env", "cartpole", "--batch", "0"])
        XCTAssertEqual(batch.status, 64, batch.output)
    }

    /// A CartPole-only store: the diagnostics cover CartPole only (no Acrobot or Reaching rows, no
    /// noisy-pass table), every rule gets a row, and a script rule deleted since is a row saying so.
    /// (One report: the toy gradient-alignment table takes half a minute in a debug build.)
    func testReportMeasuresTheStoresRules() throws {
        let script = dir.appendingPathComponent("twin.lua")
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("scripts/rules/rmhl.lua"), to: script)
        let experiment = dir.appendingPathComponent("x.lua")
        try """
        return experiment {
          name = "x",
          rules = { "nrl", "bp", { "\(script.path)", label = "lua-rmhl" } },
          envs = { "cartpole" },
          seeds = { 1, 2 },
          episodes = 40,
        }

        """.write(to: experiment, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("x.sqlite").path
        let compare = try NRLHostBinary.run(["compare", experiment.path, "--store", store, "--jobs", "1"])
        XCTAssertEqual(compare.status, 0, compare.output)

        try FileManager.default.removeItem(at: script)
        let md = dir.appendingPathComponent("r.md")
        let report = try NRLHostBinary.run(["report", store, "--md", md.path, "--alignment-batch", "2"])
        XCTAssertEqual(report.status, 0, report.output)
        XCTAssertTrue(report.stdout.contains("diagnostics: 3 rules against BP's exact update"), report.stdout)
        let text = try String(contentsOf: md, encoding: .utf8)
        XCTAssertTrue(text.contains("### How gradient-like is each rule?"), text)
        XCTAssertTrue(text.contains("| cartpole | 1x64 | bp | 1 | 40 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"), text)
        XCTAssertTrue(text.contains("| cartpole | 1x64 | nrl | 1 | 40 |"), text)
        // The script was deleted after the sweep: the store kept the text that ran, so it is measured as it ran.
        XCTAssertTrue(text.contains("| cartpole | 1x64 | lua-rmhl | 1 | 40 |"), text)
        XCTAssertFalse(text.contains("no longer exists"), text)
        XCTAssertTrue(text.contains("| cartpole | 4-64-2 | nrl |"), "the toy table on CartPole")
        XCTAssertFalse(text.contains("| acrobot |") || text.contains("| reaching |"), "only the store's environments")
        XCTAssertFalse(text.contains("Noisy passes"), "measured on Acrobot, which the store does not use")
    }
}

import Foundation
import TestSupport
import XCTest

/// Parameters as a user meets them: a Lua rule's values refused at setup like a builtin's (exit 64,
/// same message), environment parameters set with `--set env.KEY=VALUE`.
final class ParameterCommandTests: XCTestCase {
    func testLuaRuleParametersAreCheckedAtSetupLikeABuiltins() throws {
        for rule in [["scripts/nrl.lua"], ["--rule", "nrl"]] {
            let r = try NRLHostBinary.run(["run"] + rule + ["--env", "cartpole", "--episodes", "1", "--set", "sigma=0"])
            XCTAssertEqual(r.status, 64, "\(rule): \(r.output)")
            XCTAssertEqual(r.stderr, "nrlhost: error: parameter 'sigma' must be > 0, got '0'\n", "\(rule)")
        }
        let r = try NRLHostBinary.run(["check", "scripts/nrl.lua", "--set", "sigma=-1"])
        XCTAssertEqual(r.status, 64, r.output)
        XCTAssertTrue(r.stderr.contains("parameter 'sigma' must be > 0, got '-1'"), r.stderr)
    }

    func testUnknownOrBadEnvironmentParametersAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["--env", "cartpole", "--set", "env.gravity=9"],
             "environment 'cartpole' has no parameter 'gravity'; its parameters: sutton_barto_reward"),
            (["--env", "cartpole", "--set", "env.sutton_barto_reward=yes"],
             "environment 'cartpole': parameter 'sutton_barto_reward' must be true or false, got 'yes'"),
            (["--env", "acrobot", "--set", "env.book_or_nips=nips"],
             "environment 'acrobot' has no parameter 'book_or_nips'; it has no parameters"),
        ]
        for (extra, message) in cases {
            let r = try NRLHostBinary.run(["run", "--rule", "nrl", "--episodes", "1"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra): \(r.output)")
            XCTAssertEqual(r.stderr, "nrlhost: error: \(message)\n", "\(extra)")
        }
    }

    func testSetEnvReachesSelfParamsAndRunJSON() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = try writeScratchFile("pay.lua", """
            return env {
              name = "pay", observations = 1, actions = 2, max_steps = 2,
              params = { bonus = { 1.0, help = "paid every step" }, steps = { 2, min = 1 } },
              reset = function(self) return { 0 } end,
              step = function(self, a) return { 0 }, self.params.bonus, false, false end,
            }
            """, in: dir)
        let out = dir.appendingPathComponent("out").path
        let r = try NRLHostBinary.run(["run", "--rule", "bp", "--env", env, "--episodes", "2", "--hidden", "2",
                                       "--set", "env.bonus=2.5", "--out", out])
        XCTAssertEqual(r.status, 0, r.output)
        let csv = try String(contentsOfFile: out + "/episodes.csv", encoding: .utf8)
        XCTAssertEqual(csv, "episode,return,length\n1,5.0,2\n2,5.0,2\n")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as! [String: Any]
        let spec = json["spec"] as! [String: Any]
        let recorded = (spec["environmentParameters"] as? [String: Any])?["values"] as? [String: Any]
        XCTAssertEqual(recorded?["bonus"] as? Double, 2.5)
        XCTAssertEqual(recorded?["steps"] as? Int, 2)

        let check = try NRLHostBinary.run(["check", env, "--set", "env.bonus=3"])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.stdout.contains("params: bonus=3.0 steps=2"), check.stdout)
        XCTAssertTrue(check.stdout.contains("total reward 600.0"), check.stdout)
        let bad = try NRLHostBinary.run(["check", env, "--set", "env.speed=3"])
        XCTAssertEqual(bad.status, 64, bad.output)
        XCTAssertEqual(bad.stderr, "nrlhost: error: environment '\(env)' has no parameter 'speed'; its parameters: bonus, steps\n")
    }

    func testEnvsListsTheBuiltinEnvironmentsParameters() throws {
        let r = try NRLHostBinary.run(["envs"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.stdout.contains("    env.sutton_barto_reward = false  (true or false)"), r.stdout)
    }
}

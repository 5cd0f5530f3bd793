import Foundation
import TestSupport
import XCTest

/// `nrlhost run` as a user sees it: exit codes, messages, files written.
final class RunCommandTests: XCTestCase {
    func testUnknownRuleListsTheKnownOnesWithUsageExitCode() throws {
        let r = try NRLHostBinary.run(["run", "--rule", "nlr", "--env", "cartpole"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("unknown rule 'nlr'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nrl, nrl-noisy, rmhl, bp, np, wp"), r.stderr)
    }

    /// Without --env, an unknown rule is still named as such (not "--env is needed").
    func testUnknownRuleWithoutEnvironmentIsNamed() throws {
        let r = try NRLHostBinary.run(["run", "nrlx"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("nrlhost: error: unknown rule 'nrlx'; known rules: nrl, nrl-noisy, rmhl, bp, np, wp"), r.stderr)
    }

    /// Every command that runs scripts takes the same limit flags, with the same checks.
    func testScriptLimitFlagsAreSharedAndChecked() throws {
        for command in [["run", "--rule", "nrl", "--env", "cartpole"], ["compare", "scripts/experiments/quick.lua"],
                        ["check", "scripts/nrl.lua"]] {
            for (flag, value) in [("--max-seconds", "-1"), ("--max-instructions", "-5"), ("--max-memory", "-1")] {
                let r = try NRLHostBinary.run(command + ["\(flag)=\(value)"])
                XCTAssertEqual(r.status, 64, "\(command) \(flag) \(value): \(r.output)")
                XCTAssertTrue(r.stderr.contains("\(flag) must be ≥ 0"), "\(command) \(flag): \(r.stderr)")
            }
        }
    }

    func testUnknownEnvironmentListsTheKnownOnes() throws {
        let r = try NRLHostBinary.run(["run", "--rule", "nrl", "--env", "pendulum"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("unknown environment 'pendulum'; known environments: cartpole, acrobot, reaching"), r.stderr)
    }

    func testUnknownParameterListsTheRulesParameters() throws {
        let r = try NRLHostBinary.run(["run", "--rule", "bp", "--env", "cartpole", "--set", "sigma=0.1"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("rule 'bp' has no parameter 'sigma'; its parameters: lr, gamma"), r.stderr)
    }

    func testOutOfRangeValuesAreRefused() throws {
        let cases: [([String], String)] = [
            (["--set", "sigma=-0.1"], "parameter 'sigma' must be > 0, got '-0.1'"),
            (["--set", "lr=fast"], "parameter 'lr' must be a number ≥ 0, got 'fast'"),
            (["--set", "scaling=huge"], "parameter 'scaling' must be one of paper, fan_out, unbiased, got 'huge'"),
            (["--set", "lr"], "--set takes key=value, got 'lr'"),
            (["--layers", "0"], "--layers must be at least 1"),
            (["--episodes", "0"], "--episodes must be at least 1"),
        ]
        for (extra, message) in cases {
            let r = try NRLHostBinary.run(["run", "--rule", "nrl", "--env", "cartpole"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
    }

    func testOutFolderHoldsEveryEpisodeAndTheFullSpec() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try NRLHostBinary.run(["run", "--rule", "nrl", "--env", "acrobot", "--episodes", "4", "--seed", "7",
                                       "--init-seed", "42", "--set", "scaling=fan_out", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.stdout.contains("final performance (mean return of the last 4 episodes)"), r.stdout)
        let csv = try String(contentsOf: dir.appendingPathComponent("episodes.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "episode,return,length")
        XCTAssertEqual(lines.count, 5)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run.json"))) as! [String: Any]
        let spec = json["spec"] as! [String: Any], outcome = json["outcome"] as! [String: Any]
        XCTAssertEqual(spec["seed"] as? Int, 7)
        XCTAssertEqual(spec["initSeed"] as? Int, 42)
        XCTAssertEqual(spec["hidden"] as? Int, 64)
        XCTAssertNotNil(spec["version"])
        let parameters = (spec["parameters"] as! [String: Any])["values"] as! [String: Any]
        XCTAssertEqual(parameters["scaling"] as? String, "fan_out")
        XCTAssertEqual(parameters["lr"] as? Double, 0.05)
        XCTAssertEqual(parameters["sigma"] as? Double, 0.001)
        XCTAssertEqual(outcome["status"] as? String, "completed")
        XCTAssertEqual(outcome["episodesCompleted"] as? Int, 4)
    }

    /// Weights that blow up stop the run with the episode named; the episodes before it stay on disk.
    func testNonFiniteWeightsStopTheRunAndKeepTheRecords() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try NRLHostBinary.run(["run", "--rule", "bp", "--env", "cartpole", "--episodes", "100", "--seed", "1",
                                       "--set", "lr=1e300", "--out", dir.path])
        XCTAssertEqual(r.status, 1, r.output)
        let match = r.stderr.range(of: #"became NaN or infinite in episode (\d+)"#, options: .regularExpression)
        XCTAssertNotNil(match, r.stderr)
        let episode = Int(r.stderr[match!].split(separator: " ").last!)!
        let lines = try String(contentsOf: dir.appendingPathComponent("episodes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, episode + 1, "every episode up to the bad one is recorded")
        let json = try String(contentsOf: dir.appendingPathComponent("run.json"), encoding: .utf8)
        XCTAssertTrue(json.contains("\"failed\""), json)
    }

    /// Ctrl-C: the run stops at the next episode boundary, flushes what it has, and exits 130.
    func testInterruptFlushesResults() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (process, out, err) = try NRLHostBinary.start(["run", "--rule", "nrl", "--env", "reaching", "--episodes", "100000",
                                                          "--out", dir.path])
        let runJSON = dir.appendingPathComponent("run.json")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: runJSON.path) && Date() < deadline { usleep(50_000) }
        usleep(1_500_000)
        process.interrupt()
        let r = NRLHostBinary.finish(process, out, err)
        XCTAssertEqual(r.status, 130, r.output)
        XCTAssertTrue(r.stderr.contains("interrupted after"), r.stderr)
        let lines = try String(contentsOf: dir.appendingPathComponent("episodes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 1)
        let json = try String(contentsOf: runJSON, encoding: .utf8)
        XCTAssertTrue(json.contains("\"interrupted\""), json)
        XCTAssertTrue(json.contains("\"episodesCompleted\" : \(lines.count - 1)"), json)
    }

    func testRulesAndEnvsAreListed() throws {
        let rules = try NRLHostBinary.run(["rules"])
        XCTAssertEqual(rules.status, 0)
        for name in ["nrl", "nrl-noisy", "rmhl", "bp", "np", "wp"] {
            XCTAssertTrue(rules.stdout.contains("\n\(name) — ") || rules.stdout.hasPrefix("\(name) — "), name)
        }
        XCTAssertTrue(rules.stdout.contains("on cartpole: lr=0.01 sigma=0.1 hidden=64 episodes=20000"), rules.stdout)
        let envs = try NRLHostBinary.run(["envs"])
        XCTAssertEqual(envs.status, 0)
        for name in ["cartpole", "acrobot", "reaching"] { XCTAssertTrue(envs.stdout.contains(name), envs.stdout) }
    }
}

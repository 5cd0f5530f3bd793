import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import XCTest

/// Every builtin rule has a Lua twin in scripts/rules that uses the host's primitives; for the same
/// spec and seed the two give bit-identical episode returns and final weights.
final class LuaTwinTests: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/rules")

    /// Runs the builtin `rule`, or its twin `script` when given.
    func run(_ rule: String, script: String?, env: String, episodes: Int, seed: UInt64, settings: [String] = []) throws -> ([EpisodeRecord], [[[Double]]]) {
        var plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)
        if let script {
            let descriptor = try ScriptRules.descriptor(path: Self.scripts.appendingPathComponent(script).path)
            XCTAssertEqual(descriptor.name, rule, "the twin declares the builtin's name")
            plugins.rules = RuleRegistry()
            plugins.rules.register(descriptor)
        }
        let spec = try RunRequest(rule: rule, environment: env, episodes: episodes, seed: seed, settings: settings).resolve(in: plugins)
        let session = try Session(spec: spec, plugins: plugins)
        var records: [EpisodeRecord] = []
        try Trainer(session: session).run { records.append($0) }
        return (records, session.network.weights.toArrays())
    }

    func assertTwins(_ rule: String, _ script: String, env: String, episodes: Int, seed: UInt64 = 11, settings: [String] = []) throws {
        let native = try run(rule, script: nil, env: env, episodes: episodes, seed: seed, settings: settings)
        let lua = try run(rule, script: script, env: env, episodes: episodes, seed: seed, settings: settings)
        XCTAssertEqual(native.0.count, episodes)
        XCTAssertEqual(native.0.map(\.totalReward), lua.0.map(\.totalReward), "\(rule) on \(env): returns")
        XCTAssertEqual(native.0.map(\.length), lua.0.map(\.length), "\(rule) on \(env): lengths")
        XCTAssertEqual(native.1, lua.1, "\(rule) on \(env): final weights")
    }

    func testNRL() throws {
        try assertTwins("nrl", "nrl.lua", env: "cartpole", episodes: 300)
        try assertTwins("nrl", "nrl.lua", env: "reaching", episodes: 3)
    }

    /// The step factors go through the twin's option tables (add's and add_noise_outer's `scaling`).
    func testNRLScalings() throws {
        try assertTwins("nrl", "nrl.lua", env: "cartpole", episodes: 100, settings: ["scaling=fan_out"])
        try assertTwins("nrl", "nrl.lua", env: "reaching", episodes: 2, settings: ["scaling=unbiased"])
        try assertTwins("nrl-noisy", "nrl_noisy.lua", env: "cartpole", episodes: 50, settings: ["scaling=unbiased"])
    }

    func testRMHL() throws {
        try assertTwins("rmhl", "rmhl.lua", env: "cartpole", episodes: 200)
        try assertTwins("rmhl", "rmhl.lua", env: "reaching", episodes: 2)
    }

    func testBP() throws {
        try assertTwins("bp", "bp.lua", env: "cartpole", episodes: 200)
        try assertTwins("bp", "bp.lua", env: "reaching", episodes: 2)
    }

    func testNodePerturbation() throws {
        try assertTwins("np", "np.lua", env: "cartpole", episodes: 200)
        try assertTwins("np", "np.lua", env: "reaching", episodes: 2)
    }

    func testWeightPerturbation() throws {
        try assertTwins("wp", "wp.lua", env: "cartpole", episodes: 200)
        try assertTwins("wp", "wp.lua", env: "reaching", episodes: 2)
    }

    func testNRLWithNoisyPasses() throws {
        try assertTwins("nrl-noisy", "nrl_noisy.lua", env: "cartpole", episodes: 200)
        try assertTwins("nrl-noisy", "nrl_noisy.lua", env: "acrobot", episodes: 3)
    }

    /// Command-line settings reach a script's parameters, and the spec records the script.
    func testParameterOverridesReachTheScript() throws {
        var plugins = Plugins()
        plugins.rules.register(try ScriptRules.descriptor(path: Self.scripts.appendingPathComponent("nrl.lua").path))
        let spec = try RunRequest(rule: "nrl", environment: "cartpole", episodes: 1, seed: 1, settings: ["scaling=fan_out", "lr=0.01"]).resolve(in: plugins)
        XCTAssertEqual(spec.parameters["scaling"], .choice("fan_out"))
        XCTAssertEqual(spec.parameters["lr"], .real(0.01))
        XCTAssertNotNil(spec.script)
    }
}

import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import XCTest

/// The rules learn the teaching environments in scripts/envs at their declared defaults (width,
/// episodes) and the rules' default parameters: a fixed seed, a margin between the mean return of
/// the first and the last 200 episodes. No timing is asserted.
final class ScriptEnvironmentLearningTests: XCTestCase {
    /// Tests/BuiltinRulesTests/… → package root → `relative`.
    static func packagePath(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }

    let bandit = packagePath("scripts/envs/bandit.lua")
    let corridor = packagePath("scripts/envs/corridor.lua")

    /// (first 200, last 200) mean returns of a run with the environment's default episode count.
    func firstAndLast(_ rule: String, _ env: String, seed: UInt64, plugins: Plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)) throws -> (Double, Double) {
        let spec = try RunRequest(rule: rule, environment: env, seed: seed).resolve(in: plugins)
        XCTAssertEqual(spec.episodes, 2_000, "the environment's declared episodes")
        var returns: [Double] = []
        try Trainer(session: Session(spec: spec, plugins: plugins)).run { returns.append($0.totalReward) }
        func mean(_ xs: ArraySlice<Double>) -> Double { xs.reduce(0, +) / Double(xs.count) }
        return (mean(returns.prefix(200)), mean(returns.suffix(200)))
    }

    // A random agent earns 0.25 on the 4-armed bandit; a trained one close to 1.

    func testBPLearnsTheBandit() throws {
        let (first, last) = try firstAndLast("bp", bandit, seed: 1)
        XCTAssertLessThan(first, 0.45, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, 0.8, "first 200: \(first), last 200: \(last)")
    }

    func testNRLLearnsTheBandit() throws {
        let (first, last) = try firstAndLast("nrl", bandit, seed: 1)
        XCTAssertLessThan(first, 0.45, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, 0.8, "first 200: \(first), last 200: \(last)")
    }

    /// scripts/nrl.lua, the Lua twin of `nrl`, on a Lua environment: Lua on both sides.
    func testLuaNRLLearnsTheBandit() throws {
        var plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)
        let descriptor = try ScriptRules.descriptor(path: Self.packagePath("scripts/nrl.lua"))
        plugins.rules.register(descriptor)
        let (first, last) = try firstAndLast(descriptor.name, bandit, seed: 1, plugins: plugins)
        XCTAssertLessThan(first, 0.45, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, 0.8, "first 200: \(first), last 200: \(last)")
    }

    // The corridor's return is minus the steps taken: −50 when the time runs out, −9 at best.

    func testBPLearnsTheCorridor() throws {
        let (first, last) = try firstAndLast("bp", corridor, seed: 1)
        XCTAssertGreaterThan(last, -13, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, first + 10, "first 200: \(first), last 200: \(last)")
    }

    func testNRLLearnsTheCorridor() throws {
        let (first, last) = try firstAndLast("nrl", corridor, seed: 1)
        XCTAssertGreaterThan(last, -15, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, first + 10, "first 200: \(first), last 200: \(last)")
    }
}

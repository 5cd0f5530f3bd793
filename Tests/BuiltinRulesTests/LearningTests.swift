import BuiltinRules
import NRLCore
import LuaBridge
import XCTest

/// The rules learn at the paper's settings (Table 2): a fixed seed, a margin on the mean return
/// between the first and the last episodes. No timing is asserted.
final class LearningTests: XCTestCase {
    let plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)

    func returns(_ rule: String, _ env: String, episodes: Int, seed: UInt64) throws -> [Double] {
        let spec = try RunRequest(rule: rule, environment: env, episodes: episodes, seed: seed).resolve(in: plugins)
        var returns: [Double] = []
        try Trainer(session: Session(spec: spec, plugins: plugins)).run { returns.append($0.totalReward) }
        return returns
    }

    func mean(_ xs: ArraySlice<Double>) -> Double { xs.reduce(0, +) / Double(xs.count) }

    func testBPLearnsCartPole() throws {
        let r = try returns("bp", "cartpole", episodes: 2_000, seed: 3)
        let first = mean(r.prefix(200)), last = mean(r.suffix(200))
        XCTAssertGreaterThan(last, 300, "first 200: \(first), last 200: \(last)")
        XCTAssertGreaterThan(last, 4 * first)
    }

    func testNRLLearnsCartPole() throws {
        let r = try returns("nrl", "cartpole", episodes: 3_000, seed: 3)
        let first = mean(r.prefix(300)), last = mean(r.suffix(300))
        XCTAssertGreaterThan(last, 2 * first, "first 300: \(first), last 300: \(last)")
    }
}

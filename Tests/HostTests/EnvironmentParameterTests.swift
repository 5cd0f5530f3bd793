import Foundation
import NRLCore
import XCTest

/// The builtin environments' keyword arguments (`--set env.KEY=VALUE`): their defaults change
/// nothing, and each non-default value does what its Gymnasium/NeuroGym original does.
final class EnvironmentParameterTests: XCTestCase {
    func testDefaultsAreTheGoldenConfiguration() throws {
        let registry = EnvironmentRegistry.builtin
        for name in ["cartpole", "acrobot", "reaching"] {
            let a = try registry.make(name, seed: 5), b = try registry.make(name, seed: 5, parameters: Parameters([:]))
            let size = a.info.observationSize
            let oa = ObservationBuffer(count: size), ob = ObservationBuffer(count: size)
            try a.reset(observation: oa.pointer)
            try b.reset(observation: ob.pointer)
            for k in 0..<100 {
                let action = k % a.info.actionCount
                XCTAssertEqual(try a.step(action, observation: oa.pointer), try b.step(action, observation: ob.pointer), name)
                XCTAssertEqual(oa.values, ob.values, name)
            }
        }
        XCTAssertEqual(try registry.registration("cartpole").resolve([:]), Parameters(["sutton_barto_reward": .boolean(false)]))
        XCTAssertEqual(try registry.registration("reaching").resolve([:]),
                       Parameters(["correct_reward": .real(1), "fail_reward": .real(-0.1)]))
    }

    /// Gymnasium 1.x: 0 per step, −1 on the terminating step and on every step after it.
    func testCartPoleSuttonBartoReward() throws {
        let env = try EnvironmentRegistry.builtin.make("cartpole", seed: 1,
                                                       parameters: Parameters(["sutton_barto_reward": .boolean(true)]))
        let plain = try EnvironmentRegistry.builtin.make("cartpole", seed: 1)
        let o = ObservationBuffer(count: 4), p = ObservationBuffer(count: 4)
        try env.reset(observation: o.pointer)
        try plain.reset(observation: p.pointer)
        var terminatedAt: Int?
        for k in 1...60 {  // always push right: the pole falls within a few dozen steps
            let s = try env.step(1, observation: o.pointer), t = try plain.step(1, observation: p.pointer)
            XCTAssertEqual(o.values, p.values, "the dynamics do not change")
            XCTAssertEqual(s.terminated, t.terminated)
            if s.terminated && terminatedAt == nil { terminatedAt = k }
            XCTAssertEqual(s.reward, terminatedAt == nil ? 0 : -1, "step \(k)")
            XCTAssertEqual(t.reward, terminatedAt == nil || terminatedAt == k ? 1 : 0, "step \(k)")
        }
        XCTAssertNotNil(terminatedAt)
    }

    /// NeuroGym's rewards = {'correct': 2, 'fail': -0.5}: r = max(2 − distance, −0.5).
    func testReachingRewards() throws {
        let env = try XCTUnwrap(EnvironmentRegistry.builtin.make("reaching", seed: 3,
            parameters: Parameters(["correct_reward": .real(2), "fail_reward": .real(-0.5)])) as? Reaching1D)
        let o = ObservationBuffer(count: 32)
        env.reset(observation: o.pointer)
        var clipped = 0, reached = 0
        for k in 0..<900 {
            let r = env.step(k % 7 == 0 ? 0 : 1, observation: o.pointer).reward
            let d = abs(env.positionForReward - Double(env.rewardGroundTruth))
            let expected = max(2 - min(d, 2 * Double.pi - d), -0.5)
            XCTAssertEqual(r, expected, "step \(k)")
            if r == -0.5 { clipped += 1 }
            if r > 1 { reached += 1 }
        }
        XCTAssertGreaterThan(clipped, 0)
        XCTAssertGreaterThan(reached, 0)
        XCTAssertThrowsError(try EnvironmentRegistry.builtin.make("reaching", seed: 3, parameters: Parameters(["fail_reward": .real(1)]))) {
            XCTAssertEqual("\($0)", "environment 'reaching': correct_reward (1.0) must be above fail_reward (1.0)")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.builtin.make("reaching", seed: 3, parameters: Parameters(["dt": .integer(100)]))) {
            XCTAssertEqual("\($0)", "environment 'reaching' has no parameter 'dt'; its parameters: correct_reward, fail_reward")
        }
    }
}

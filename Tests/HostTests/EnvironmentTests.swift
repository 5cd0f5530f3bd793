import Foundation
@testable import NRLCore
@testable import LuaBridge
import XCTest

/// Behaviour of the built-in environments that the golden recordings do not pin down:
/// the Swift-side random start states, the step limit and the trial structure.
final class EnvironmentTests: XCTestCase {

    // MARK: Reset

    func testCartPoleResetDrawsFromTheSpecRange() {
        let observation = ObservationBuffer(count: 4)
        for seed in 0..<500 as Range<UInt64> {
            let env = CartPole(rng: RandomStream.environment.generator(seed: seed))
            env.reset(observation: observation.pointer)
            for v in env.state { XCTAssert(v >= -0.05 && v < 0.05, "seed \(seed): \(v)") }
            XCTAssertEqual(observation.values, env.state.map { Float($0) })
            XCTAssertNil(env.stepsBeyondTerminated)
        }
    }

    func testAcrobotResetDrawsFloat32StatesFromTheSpecRange() {
        let observation = ObservationBuffer(count: 6)
        for seed in 0..<500 as Range<UInt64> {
            let env = Acrobot(rng: RandomStream.environment.generator(seed: seed))
            env.reset(observation: observation.pointer)
            for v in env.state {
                XCTAssert(v >= -0.1 && v <= 0.1, "seed \(seed): \(v)")
                XCTAssertNotNil(Float(exactly: v), "reset state is held as float32 (docs/spec/environments.md §3)")
            }
            let s = env.state
            XCTAssertEqual(observation.values, [Float(cos(s[0])), Float(sin(s[0])), Float(cos(s[1])), Float(sin(s[1])),
                                                Float(s[2]), Float(s[3])])
        }
    }

    func testReachingResetTakesOneInternalStepRight() {
        let observation = ObservationBuffer(count: 32)
        var draws = 0
        let env = Reaching1D(groundTruths: { draws += 1; return 5.9 })
        env.reset(observation: observation.pointer)
        XCTAssertEqual(draws, 1)
        XCTAssertEqual(env.position, 3.0915926535897933, "π − 0.05 after the internal action-2 step")
        XCTAssertEqual(env.stepInTrial, 1)
        XCTAssertEqual(env.trialIndex, 1)
        XCTAssertEqual(env.groundTruth, 5.9)
        XCTAssertEqual(env.groundTruthInt, 5, "the reward aims at trunc(gt) (docs/spec/environments.md §6.8)")
        XCTAssertEqual(observation.values[0], Float(cos(0 - 5.9)))
        XCTAssertEqual(observation.values[16], Float(cos(0 - 3.0915926535897933)))
    }

    func testReachingResetDrawsGroundTruthFromItsGenerator() {
        let observation = ObservationBuffer(count: 32)
        var seen = Set<Int>()
        for seed in 0..<300 as Range<UInt64> {
            let env = Reaching1D(rng: RandomStream.environment.generator(seed: seed))
            env.reset(observation: observation.pointer)
            XCTAssert(env.groundTruth >= 0 && env.groundTruth < 2 * Double.pi)
            XCTAssertEqual(env.groundTruthInt, Int(env.groundTruth))
            seen.insert(env.groundTruthInt)
        }
        XCTAssertEqual(seen, Set(0...6))
    }

    func testSameSeedGivesSameStartAndDifferentSeedsDiffer() throws {
        for name in EnvironmentRegistry.builtin.ids {
            let size = try EnvironmentRegistry.builtin.registration(name).info.observationSize
            func start(_ seed: UInt64) throws -> [Float] {
                let observation = ObservationBuffer(count: size)
                try EnvironmentRegistry.builtin.make(name, seed: seed).reset(observation: observation.pointer)
                return observation.values
            }
            XCTAssertEqual(try start(7), try start(7), name)
            XCTAssertNotEqual(try start(7), try start(8), name)
        }
    }

    // MARK: Step limit and termination

    func testTimeLimitTruncatesAtStep500() throws {
        // Acrobot without torque never reaches the goal; CartPole under a linear controller stays up.
        let policies: [(String, ([Float]) -> Int)] = [
            ("acrobot", { _ in 1 }),
            ("cartpole", { o in 0.1 * o[0] + 0.5 * o[1] + 10 * o[2] + 2 * o[3] > 0 ? 1 : 0 }),
        ]
        for (name, policy) in policies {
            let env = try EnvironmentRegistry.builtin.make(name, seed: 3)
            XCTAssertEqual(env.info.maxEpisodeSteps, 500)
            let observation = ObservationBuffer(count: env.info.observationSize)
            try env.reset(observation: observation.pointer)
            for step in 1...500 {
                let outcome = try env.step(policy(observation.values), observation: observation.pointer)
                XCTAssertFalse(outcome.terminated, "\(name) step \(step)")
                XCTAssertEqual(outcome.truncated, step == 500, "\(name) step \(step)")
            }
            try env.reset(observation: observation.pointer)
            XCTAssertFalse(try env.step(1, observation: observation.pointer).truncated, "\(name): reset restarts the clock")
        }
    }

    func testCartPoleRewardIsZeroAfterTheFirstTerminatedStep() {
        let env = CartPole(rng: Xoshiro256(seed: 1))
        let observation = ObservationBuffer(count: 4)
        env.reset(state: [0, 0, 0.2, 0.5], observation: observation.pointer)
        var rewards: [Double] = []
        var terminated: [Bool] = []
        for _ in 0..<6 {
            // Pushing left (action 0) tips the pole further right.
            let outcome = env.step(0, observation: observation.pointer)
            rewards.append(outcome.reward)
            terminated.append(outcome.terminated)
        }
        let first = try! XCTUnwrap(terminated.firstIndex(of: true))
        XCTAssertTrue(terminated[first...].allSatisfy { $0 }, "the pole keeps falling")
        XCTAssertEqual(rewards[...first], Array(repeating: 1.0, count: first + 1)[...])
        XCTAssertEqual(Array(rewards[(first + 1)...]), Array(repeating: 0.0, count: 5 - first))
        XCTAssertEqual(env.stepsBeyondTerminated, 5 - first)

        // Setting the state keeps the counter (the per-step replay relies on it); reset clears it.
        env.state = [0, 0, 0.3, 0]
        XCTAssertEqual(env.step(0, observation: observation.pointer).reward, 0.0)
        env.reset(state: [0, 0, 0.3, 0], observation: observation.pointer)
        XCTAssertEqual(env.step(0, observation: observation.pointer).reward, 1.0)
    }

    // MARK: Reaching trials

    func testReachingTrialBoundariesAtAgentSteps299_599_899() throws {
        let env = Reaching1D(rng: RandomStream.environment.generator(seed: 11))
        let observation = ObservationBuffer(count: 32)
        env.reset(observation: observation.pointer)
        var actions = Xoshiro256(seed: 5)
        var boundaries: [Int] = []
        // The trial's performance: its normalised rewards / 300, including reset's internal step.
        var performance = env.performance
        for step in 1...900 {
            let trialBefore = env.trialIndex
            let outcome = env.step(Int(actions.next() % 3), observation: observation.pointer)
            XCTAssertFalse(outcome.terminated || outcome.truncated)
            XCTAssert(outcome.reward >= -0.1 && outcome.reward <= 1.0)
            performance = performance + ((outcome.reward - (-0.1)) / 1.1) / 300
            if outcome.trialEnded {
                boundaries.append(step)
                XCTAssertEqual(env.trialIndex, trialBefore + 1)
                XCTAssertEqual(env.stepInTrial, 0)
                XCTAssertEqual(env.position, Double.pi, "the position restarts at π on the boundary step")
                XCTAssertEqual(env.performance, 0)
                XCTAssertEqual(env.lastTrialPerformance, performance)
                performance = 0
                // The observation already shows the new trial's target.
                XCTAssertEqual(observation.values[3], Float(cos(3 * (Double.pi / 8) - env.groundTruth)))
                XCTAssertEqual(observation.values[16 + 3], Float(cos(3 * (Double.pi / 8) - Double.pi)))
            }
        }
        XCTAssertEqual(boundaries, [299, 599, 899])
    }

    func testReachingPositionWrapsLikeNumpyMod() {
        XCTAssertEqual(Reaching1D.npmod(-0.01, 2 * Double.pi), -0.01 + 2 * Double.pi)
        XCTAssertEqual(Reaching1D.npmod(2 * Double.pi + 0.01, 2 * Double.pi), fmod(2 * Double.pi + 0.01, 2 * Double.pi))
        XCTAssertEqual(Reaching1D.npmod(-0.0, 2 * Double.pi).sign, .plus)
    }

    // MARK: Catalog

    func testCatalogNamesAndInfo() throws {
        XCTAssertEqual(EnvironmentRegistry.builtin.canonicalName("CartPole-v1"), "cartpole")
        XCTAssertEqual(EnvironmentRegistry.builtin.canonicalName("ACROBOT-V1"), "acrobot")
        XCTAssertEqual(EnvironmentRegistry.builtin.canonicalName("Reaching1D-v0"), "reaching")
        XCTAssertNil(EnvironmentRegistry.builtin.canonicalName("Pendulum-v1"))
        XCTAssertThrowsError(try EnvironmentRegistry.builtin.make("Pendulum-v1", seed: 0))

        let reaching = try EnvironmentRegistry.builtin.registration("reaching").info
        XCTAssertEqual(reaching.observationSize, 32)
        XCTAssertEqual(reaching.actionCount, 3)
        XCTAssertEqual(reaching.rewardTiming, .immediate)
        XCTAssertTrue(reaching.continuing)
        XCTAssertNil(reaching.maxEpisodeSteps)
        XCTAssertEqual((try? EnvironmentRegistry.builtin.registration("CartPole-v1"))?.info.actionCount, 2)
        XCTAssertEqual((try? EnvironmentRegistry.builtin.registration("acrobot"))?.info.observationSize, 6)
        XCTAssertEqual(EnvironmentRegistry.builtin.all.map(\.id), EnvironmentRegistry.builtin.ids)
        XCTAssertTrue((try EnvironmentRegistry.builtin.make("reaching", seed: 0)) is Reaching1D, "Reaching1D has no step limit")
    }
}

import Foundation
import NRLCore
import NRLTools
import XCTest

/// With the same reset seeds, Gymnasium's CartPole-v1 through the bridge and nrlhost's native CartPole take
/// identical steps for the same actions: every observation (Float32), reward and flag, bit for bit, over whole
/// episodes (and steps past termination), several seeds in one worker. The native environment starts from the
/// float64 state Gymnasium's `reset(seed=s)` draws (read from a separate Python), since the two draw with
/// different generators. Needs `make python`'s .venv/ (or NRLHOST_PYTHON); without it this fails with the
/// locator's message.
final class BridgedCartPoleTests: XCTestCase {
    let seeds: [UInt64] = [0, 1, 2, 7, 11, 42, 1000, 123_456_789, (1 << 63) - 1]

    /// The float64 states `reset(seed=s)` draws, from Gymnasium itself.
    private func resetStates(python: String) throws -> [[Double]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import json, gymnasium
            env = gymnasium.make("CartPole-v1")
            for s in [\(seeds.map(String.init).joined(separator: ", "))]:
                env.reset(seed=s)
                print(json.dumps([float(v) for v in env.unwrapped.state]))
            """]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode([Double].self, from: Data($0.utf8))
        }
    }

    func testBridgedAndNativeCartPoleTakeIdenticalSteps() throws {
        let python = try PythonLocation.find()
        let states = try resetStates(python: python)
        XCTAssertEqual(states.count, seeds.count)
        let bridged = try BridgeEnvironment(python: python, family: "gym", id: "CartPole-v1", kwargs: [],
                                            random: Xoshiro256(seed: 0), timeout: 60)
        XCTAssertEqual(bridged.info.observationSize, 4)
        XCTAssertEqual(bridged.info.actionCount, 2)
        XCTAssertEqual(bridged.info.maxEpisodeSteps, 500)
        let cartpole = CartPole(rng: Xoshiro256(seed: 0))
        let native = TimeLimit(cartpole, maxEpisodeSteps: 500)
        let a = ObservationBuffer(count: 4), b = ObservationBuffer(count: 4)
        var totalSteps = 0
        for (seed, state) in zip(seeds, states) {
            try bridged.reset(seed: seed, observation: a.pointer)
            native.restartClock()
            cartpole.reset(state: state, observation: b.pointer)
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), "seed \(seed): reset")
            var actions = Xoshiro256(seed: seed)
            var pastEnd = 0
            for step in 1...500 {
                let action = Int(actions.next() & 1)
                let x = try bridged.step(action, observation: a.pointer)
                let y = try native.step(action, observation: b.pointer)
                totalSteps += 1
                guard a.values.map(\.bitPattern) == b.values.map(\.bitPattern), x.reward.bitPattern == y.reward.bitPattern,
                      x.terminated == y.terminated, x.truncated == y.truncated else {
                    return XCTFail("seed \(seed), step \(step): bridged \(a.values) \(x), native \(b.values) \(y)")
                }
                if x.truncated { break }
                // Three steps past termination (Gymnasium warns and gives reward 0): the same there too.
                if x.terminated { pastEnd += 1; if pastEnd > 3 { break } }
            }
        }
        XCTAssertGreaterThan(totalSteps, 100)
    }
}

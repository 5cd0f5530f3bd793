import Foundation
import NRLCore
import NRLTools
import XCTest

/// How steps reach the Python worker must not change them: the shared-memory channel and socket frames give
/// the same steps bit for bit, and a worker reused for another environment (`IdleWorkers`: a thread's next
/// bridged environment) runs it exactly as a fresh worker does. Needs `make python`'s .venv/ (or NRLHOST_PYTHON).
final class BridgeTransportTests: XCTestCase {
    override func tearDown() { PythonWorker.stepChannel = true }

    /// Every value of `steps` seeded steps: observations' bits, rewards' bits and flags, one line per step.
    private func trace(_ env: BridgeEnvironment, seed: UInt64, steps: Int) throws -> [String] {
        let observation = ObservationBuffer(count: env.info.observationSize)
        var lines: [String] = []
        try env.reset(seed: seed, observation: observation.pointer)
        var actions = Xoshiro256(seed: seed)
        for _ in 0..<steps {
            let action = Int(actions.next() % UInt64(env.info.actionCount))
            let o = try env.step(action, observation: observation.pointer)
            lines.append("\(observation.values.map(\.bitPattern)) \(o.reward.bitPattern) \(o.terminated) \(o.truncated) \(o.trialEnded)")
            if o.terminated || o.truncated { try env.reset(observation: observation.pointer) }
        }
        return lines
    }

    private func make(_ family: String, _ id: String, python: String) throws -> BridgeEnvironment {
        try BridgeEnvironment(python: python, family: family, id: id, kwargs: [], random: Xoshiro256(seed: 3), timeout: 60)
    }

    /// Runs `body` on a new thread, whose bridged environments therefore start their own worker.
    private func onNewThread<T>(_ body: @escaping () throws -> T) throws -> T {
        let call = ThreadCall(body)
        let done = DispatchSemaphore(value: 0)
        Thread { call.run(); done.signal() }.start()
        done.wait()
        return try call.result!.get()
    }

    func testChannelAndSocketFramesGiveIdenticalSteps() throws {
        let python = try PythonLocation.find()
        for (family, id) in [("gym", "CartPole-v1"), ("gym", "FrozenLake-v1"), ("neurogym", "PerceptualDecisionMaking-v0")] {
            PythonWorker.stepChannel = true
            let (channelSteps, usedChannel) = try onNewThread { () -> ([String], Bool) in
                let env = try self.make(family, id, python: python)
                return (try self.trace(env, seed: 11, steps: 600), env.worker.stepsUseChannel)
            }
            XCTAssertTrue(usedChannel, "\(family):\(id) should step through the shared channel")
            PythonWorker.stepChannel = false
            let (frameSteps, usedFrames) = try onNewThread { () -> ([String], Bool) in
                let env = try self.make(family, id, python: python)
                return (try self.trace(env, seed: 11, steps: 600), !env.worker.stepsUseChannel)
            }
            XCTAssertTrue(usedFrames)
            XCTAssertEqual(channelSteps.count, 600)
            XCTAssertEqual(channelSteps, frameSteps, "\(family):\(id): the channel and frames disagree")
        }
    }

    func testAReusedWorkerRunsATaskExactlyAsAFreshOne() throws {
        let python = try PythonLocation.find()
        try onNewThread {
            var first: pid_t = 0
            do {  // a different task first, dropped mid-episode
                let other = try self.make("neurogym", "GoNogo-v0", python: python)
                first = other.worker.pid
                _ = try self.trace(other, seed: 5, steps: 37)
            }
            let reused = try self.make("gym", "CartPole-v1", python: python)
            XCTAssertEqual(reused.worker.pid, first, "the thread's idle worker should be reused")
            let reusedSteps = try self.trace(reused, seed: 9, steps: 700)
            let freshSteps = try self.onNewThread { () -> [String] in
                let fresh = try self.make("gym", "CartPole-v1", python: python)
                XCTAssertNotEqual(fresh.worker.pid, first)
                return try self.trace(fresh, seed: 9, steps: 700)
            }
            XCTAssertEqual(reusedSteps, freshSteps)
        }
    }

    func testAWorkerWhoseTaskFailedIsNotReused() throws {
        let python = try PythonLocation.find()
        try onNewThread {
            var failed: pid_t = 0
            do {
                let env = try self.make("gym", "CartPole-v1", python: python)
                failed = env.worker.pid
                let observation = ObservationBuffer(count: 4)
                try env.reset(seed: 1, observation: observation.pointer)
                XCTAssertThrowsError(try env.step(7, observation: observation.pointer)) {  // CartPole has actions 0 and 1
                    XCTAssertTrue("\($0)".contains("Python raised AssertionError"), "\($0)")
                }
            }
            let next = try self.make("gym", "CartPole-v1", python: python)
            XCTAssertNotEqual(next.worker.pid, failed, "a worker that raised must not serve another environment")
        }
    }
}

/// A call handed to another thread and its result, read after the thread signals (hence unchecked).
private final class ThreadCall<T>: @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, Error>?
    init(_ body: @escaping () throws -> T) { self.body = body }
    func run() { result = Result { try body() } }
}

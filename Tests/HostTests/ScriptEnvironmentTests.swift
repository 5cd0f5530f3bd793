import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// The environment scripts in scripts/envs: the Lua CartPole against the golden recordings and the
/// native CartPole, the small teaching environments (bandit, corridor), and what a broken
/// environment script is told.
final class ScriptEnvironmentTests: XCTestCase {
    /// Tests/HostTests/ScriptEnvironmentTests.swift → package root → scripts/envs/`name`.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/envs").appendingPathComponent(name).path
    }

    let cartPolePath = script("cartpole.lua")
    let banditPath = script("bandit.lua")
    let corridorPath = script("corridor.lua")


    /// The script environment inside the catalog's TimeLimit wrapper.
    func makeLimited(_ path: String, seed: UInt64 = 0) throws -> (TimeLimit, ScriptEnvironment) {
        let env = try EnvironmentRegistry.withScripts(limits: .standard).make(path, seed: seed)
        let limited = try XCTUnwrap(env as? TimeLimit, "\(path) declares max_steps, so the catalog wraps it in a TimeLimit")
        let script = try XCTUnwrap(limited.inner as? ScriptEnvironment)
        return (limited, script)
    }

    /// Every CartPole recording, shipped or in NRL_SHARED's golden/, whatever its name.
    func cartPoleGoldenFiles() throws -> [(name: String, trajectory: GoldenTrajectory, shipped: Bool)] {
        try ReferenceData.trajectories().compactMap { file in
            let t = try JSONDecoder().decode(GoldenTrajectory.self, from: Data(contentsOf: file.url))
            return t.environment == "cartpole" ? (file.description, t, file.isShipped) : nil
        }
    }

    // MARK: CartPole in Lua is CartPole-v1, bit for bit

    func testCartPoleDeclaration() throws {
        let summary = try ScriptEnvironment.declaration(path: cartPolePath, limits: .standard)
        XCTAssertEqual(summary.info.observationSize, 4)
        XCTAssertEqual(summary.info.actionCount, 2)
        XCTAssertEqual(summary.info.rewardTiming, .delayed)
        XCTAssertEqual(summary.info.maxEpisodeSteps, 500)
        XCTAssertFalse(summary.info.continuing)
        XCTAssertEqual(summary.defaults.hidden, 64)
        XCTAssertEqual(summary.defaults.episodes, 20_000)
    }

    /// Free run from the recorded start state with the recorded actions: every observation bit,
    /// reward and flag as Gymnasium 0.29.1 produced them (Tests/Golden/README.md, check 3).
    func testLuaCartPoleReplaysEveryGoldenFileExactly() throws {
        let files = try cartPoleGoldenFiles()
        XCTAssertGreaterThanOrEqual(files.filter(\.shipped).count, 3, "the repository ships 3 CartPole recordings in \(ReferenceData.shippedTrajectoryFolder.path)")
        var sawTruncation = false, sawOverrun = false
        for (name, t, _) in files {
            let (limited, script) = try makeLimited(cartPolePath)
            XCTAssertEqual(limited.maxEpisodeSteps, t.config?.maxEpisodeSteps ?? 500, name)
            let observation = ObservationBuffer(count: 4)
            try script.reset(state: XCTUnwrap(t.start.state, name), observation: observation.pointer)
            limited.restartClock()
            XCTAssertEqual(observation.bits, t.start.observation.map { Float($0).bitPattern }, "\(name): reset observation")
            for record in t.steps {
                let outcome = try limited.step(record.action, observation: observation.pointer)
                let want = record.observation.map { Float($0) }
                guard observation.bits == want.map(\.bitPattern),
                      outcome.reward == record.reward, outcome.terminated == record.terminated,
                      outcome.truncated == record.truncated
                else {
                    XCTFail("\(name) step \(record.t): got \(observation.values) \(outcome), expected \(want) "
                        + "reward \(record.reward) terminated \(record.terminated) truncated \(record.truncated)")
                    break
                }
                sawTruncation = sawTruncation || record.truncated
                sawOverrun = sawOverrun || (record.terminated && record.reward == 0)
            }
        }
        XCTAssertTrue(sawTruncation, "a recording reaches the 500-step limit")
        XCTAssertTrue(sawOverrun, "a recording steps past termination (reward 0.0)")
    }

    /// The observations are float32, so a replay cannot see the last bits of the float64 state.
    /// This probe wraps cartpole.lua and hands `self.state[component]` out as the reward, which
    /// the host passes on as a Double, unrounded.
    func stateProbe(component: Int) throws -> String {
        var source = try String(contentsOfFile: cartPolePath, encoding: .utf8)
        let declaration = try XCTUnwrap(source.range(of: "return env {"), "cartpole.lua ends with `return env {`")
        source.replaceSubrange(declaration, with: "local inner = env {")
        source += """

        return env {
          name = "cartpole_probe", observations = 4, actions = 2, max_steps = 500,
          reset = function(self, options) inner.rng = self.rng; return inner:reset(options) end,
          step = function(self, action)
            local obs, _, terminated, truncated = inner:step(action)
            return obs, inner.state[\(component)], terminated, truncated
          end,
        }

        """
        let url = try temporaryFolder().appendingPathComponent("cartpole_probe_\(component).lua")
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The float64 state after every step equals the recorded one exactly, in all four components.
    func testLuaCartPoleStateIsTheRecordedFloat64State() throws {
        let recordings = try cartPoleGoldenFiles()
        for component in 1...4 {
            let probe = try stateProbe(component: component)
            for (name, t, _) in recordings {
                let env = try ScriptEnvironment(path: probe, random: RandomStream.environment.generator(seed: 0), limits: .standard)
                let observation = ObservationBuffer(count: 4)
                try env.reset(state: XCTUnwrap(t.start.state), observation: observation.pointer)
                for record in t.steps {
                    let got = try env.step(record.action, observation: observation.pointer).reward
                    let want = try XCTUnwrap(record.state)[component - 1]
                    guard got.bitPattern == want.bitPattern else {
                        XCTFail("\(name) step \(record.t): state[\(component - 1)] is \(got), expected \(want)")
                        break
                    }
                }
            }
        }
    }

    /// The recordings never meet a case where pow(v, 2) ≠ v·v changes the state; this step does
    /// (the fixture of EnvironmentGoldenTests: with v·v θ̇ would end in …683). It fails if the
    /// script squares with `v^2` or `v*v` instead of nrl.pow(v, 2.0).
    func testLuaCartPoleSquaresWithLibmPow() throws {
        let env = try ScriptEnvironment(path: try stateProbe(component: 4), random: RandomStream.environment.generator(seed: 0), limits: .standard)
        let observation = ObservationBuffer(count: 4)
        try env.reset(state: [-0.12010929882766375, 1.033722033145645, -0.13639107447520166, 1.2249660764136445],
                      observation: observation.pointer)
        XCTAssertEqual(try env.step(1, observation: observation.pointer).reward, 0.8928465763015684)
    }

    /// Same seed, same actions: the Lua and the native CartPole give identical observations,
    /// rewards and flags, across resets (both draw start states from the environment stream),
    /// truncation at 500 steps and steps past termination.
    func testLuaCartPoleMatchesNativeCartPole() throws {
        for seed: UInt64 in [1, 7] {
            let native = try EnvironmentRegistry.builtin.make("cartpole", seed: seed)
            let lua = try EnvironmentRegistry.withScripts(limits: .standard).make(cartPolePath, seed: seed)
            XCTAssertEqual(lua.info.maxEpisodeSteps, 500)
            let a = ObservationBuffer(count: 4), b = ObservationBuffer(count: 4)
            try native.reset(observation: a.pointer)
            try lua.reset(observation: b.pointer)
            XCTAssertEqual(a.bits, b.bits, "seed \(seed): first reset")
            var actions = Xoshiro256(seed: seed)
            var controlled = false   // alternate episodes: random actions, then a balancing controller
            var extra = 0, resets = 0, truncations = 0, overruns = 0
            for step in 1...2_000 {
                let o = a.values.map(Double.init)
                let action = controlled
                    ? (0.1 * o[0] + 0.5 * o[1] + 10 * o[2] + 2 * o[3] > 0 ? 1 : 0)
                    : Int(actions.next() >> 63)
                let x = try native.step(action, observation: a.pointer)
                let y = try lua.step(action, observation: b.pointer)
                guard a.bits == b.bits, x == y else {
                    XCTFail("seed \(seed), step \(step) (after \(resets) resets): native \(a.values) \(x), Lua \(b.values) \(y)")
                    return
                }
                if x.terminated && x.reward == 0 { overruns += 1 }
                if x.terminated || x.truncated {
                    if x.truncated { truncations += 1 }
                    // Sometimes step on past the end (Gymnasium allows it) before resetting.
                    if extra < resets % 3 { extra += 1; continue }
                    try native.reset(observation: a.pointer)
                    try lua.reset(observation: b.pointer)
                    XCTAssertEqual(a.bits, b.bits, "seed \(seed): reset \(resets + 1)")
                    resets += 1; extra = 0
                    controlled.toggle()
                }
            }
            XCTAssertGreaterThan(resets, 5, "seed \(seed)")
            XCTAssertGreaterThan(truncations, 0, "seed \(seed): the controller reaches the 500-step limit")
            XCTAssertGreaterThan(overruns, 0, "seed \(seed): steps past termination give 0.0")
        }
    }

    // MARK: The teaching environments

    func testBanditDeclaration() throws {
        let summary = try ScriptEnvironment.declaration(path: banditPath, limits: .standard)
        XCTAssertEqual(summary.info.name, "bandit")
        XCTAssertEqual(summary.info.observationSize, 4)
        XCTAssertEqual(summary.info.actionCount, 4)
        XCTAssertEqual(summary.info.rewardTiming, .immediate)
        XCTAssertEqual(summary.info.maxEpisodeSteps, 1)
        XCTAssertFalse(summary.info.continuing)
        XCTAssertEqual(summary.defaults.hidden, 16)
        XCTAssertEqual(summary.defaults.episodes, 2_000)
    }

    /// One lit lamp per episode, drawn from the seeded stream; the matching button pays 1, others 0;
    /// every episode ends after its single step.
    func testBanditPaysForTheMatchingButtonAndEndsAfterOneStep() throws {
        let (env, _) = try makeLimited(banditPath, seed: 3)
        let observation = ObservationBuffer(count: 4)
        var lampsSeen = Set<Int>()
        for episode in 0..<200 {
            try env.reset(observation: observation.pointer)
            let lit = try XCTUnwrap(observation.values.firstIndex(of: 1), "episode \(episode): \(observation.values)")
            XCTAssertEqual(observation.values.filter { $0 == -1 }.count, 3, "episode \(episode): \(observation.values)")
            lampsSeen.insert(lit)
            let action = episode % 4   // 0-based, as the host passes them
            let outcome = try env.step(action, observation: observation.pointer)
            XCTAssertEqual(outcome.reward, action == lit ? 1 : 0, "episode \(episode): lamp \(lit), button \(action)")
            XCTAssertTrue(outcome.terminated, "episode \(episode)")
            XCTAssertTrue(outcome.truncated, "episode \(episode): max_steps = 1")
        }
        XCTAssertEqual(lampsSeen, [0, 1, 2, 3])

        // The same seed lights the same lamps; another seed others.
        func lamps(seed: UInt64) throws -> [Int] {
            let (env, _) = try makeLimited(banditPath, seed: seed)
            return try (0..<30).map { _ in
                try env.reset(observation: observation.pointer)
                return observation.values.firstIndex(of: 1) ?? -1
            }
        }
        XCTAssertEqual(try lamps(seed: 3), try lamps(seed: 3))
        XCTAssertNotEqual(try lamps(seed: 3), try lamps(seed: 4))
    }

    func testCorridorDeclaration() throws {
        let summary = try ScriptEnvironment.declaration(path: corridorPath, limits: .standard)
        XCTAssertEqual(summary.info.name, "corridor")
        XCTAssertEqual(summary.info.observationSize, 10)
        XCTAssertEqual(summary.info.actionCount, 2)
        XCTAssertEqual(summary.info.rewardTiming, .delayed)
        XCTAssertEqual(summary.info.maxEpisodeSteps, 50)
        XCTAssertFalse(summary.info.continuing)
        XCTAssertEqual(summary.defaults.hidden, 32)
        XCTAssertEqual(summary.defaults.episodes, 2_000)
    }

    /// Walking right reaches the exit in 9 steps (return −9); the wall stops a left step; walking
    /// left for ever is cut off by the TimeLimit at step 50 (return −50), without termination.
    func testCorridorEndsAtTheExitOrAtTheStepLimit() throws {
        let (env, _) = try makeLimited(corridorPath)
        let observation = ObservationBuffer(count: 10)
        func position() -> Int? {
            let v = observation.values
            return v.filter { $0 == 1 }.count == 1 && v.filter { $0 == 0 }.count == 9 ? v.firstIndex(of: 1) : nil
        }

        try env.reset(observation: observation.pointer)
        XCTAssertEqual(position(), 0)
        var outcome = try env.step(0, observation: observation.pointer)   // into the wall
        XCTAssertEqual(position(), 0)
        XCTAssertEqual(outcome, StepOutcome(reward: -1))

        try env.reset(observation: observation.pointer)
        var total = 0.0
        for step in 1...9 {
            outcome = try env.step(1, observation: observation.pointer)
            total += outcome.reward
            XCTAssertEqual(position(), step)
            XCTAssertEqual(outcome.terminated, step == 9, "step \(step)")
            XCTAssertFalse(outcome.truncated, "step \(step)")
        }
        XCTAssertEqual(total, -9)

        try env.reset(observation: observation.pointer)
        XCTAssertEqual(position(), 0, "reset starts at the near end again")
        total = 0
        for step in 1...50 {
            outcome = try env.step(step % 2, observation: observation.pointer)   // right, left, right, …
            total += outcome.reward
            XCTAssertFalse(outcome.terminated, "step \(step)")
            XCTAssertEqual(outcome.truncated, step == 50, "step \(step)")
        }
        XCTAssertEqual(total, -50)
        XCTAssertEqual(position(), 0)
    }

    // MARK: Broken environment scripts are told what and where

    var folders: [URL] = []

    override func tearDown() {
        for f in folders { try? FileManager.default.removeItem(at: f) }
        folders = []
        super.tearDown()
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nrl-envs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        folders.append(url)
        return url
    }

    /// A working two-cell environment; `step` and `reset` are replaced line for line by the cases,
    /// so the line numbers below stay put.
    func brokenScript(reset: String = "return { 0, 0 }",
                      step: String = "return { 0, 0 }, 1, false, false",
                      header: String = "name = \"broken\", observations = 2, actions = 2,") -> String {
        """
        -- a broken environment                                   line 1
        return env {                                              -- line 2
          \(header)
          reset = function(self, options)                         -- line 4
            \(reset)
          end,
          step = function(self, action)                           -- line 7
            \(step)
          end,
        }

        """
    }

    /// Writes `source` to a fresh file, builds the environment, resets, and steps once; returns
    /// the ScriptError's description after checking that it names the file and `line`.
    func scriptError(_ source: String, line: Int, limits: ScriptLimits = .standard,
                     file: StaticString = #filePath, testLine: UInt = #line) throws -> String {
        let name = "broken_\(UUID().uuidString.prefix(8)).lua"
        let url = try temporaryFolder().appendingPathComponent(name)
        try source.write(to: url, atomically: true, encoding: .utf8)
        do {
            let env = try EnvironmentRegistry.withScripts(limits: limits).make(url.path, seed: 0)
            let observation = ObservationBuffer(count: env.info.observationSize)
            try env.reset(observation: observation.pointer)
            _ = try env.step(0, observation: observation.pointer)
            XCTFail("expected a ScriptError from \(name)", file: file, line: testLine)
            return ""
        } catch let error as ScriptError {
            XCTAssertTrue(error.description.contains("\(name):\(line):"),
                          "expected \(name):\(line): in \(error.description)", file: file, line: testLine)
            return error.description
        }
    }

    func testObservationOfTheWrongLength() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0, 0 }, 1, false, false"), line: 7)
        XCTAssertTrue(message.contains("step must return an observation of 2 finite numbers; got a table of 3"), message)
    }

    func testVectorObservationOfTheWrongLength() throws {
        let message = try scriptError(brokenScript(reset: "return nrl.vector(5)"), line: 4)
        XCTAssertTrue(message.contains("reset must return an observation of 2 finite numbers; got a vector of 5"), message)
    }

    func testNaNInTheObservation() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0/0 }, 1, false, false"), line: 7)
        XCTAssertTrue(message.contains("observation of 2 finite numbers; element 2 is "), message)
        XCTAssertTrue(message.lowercased().contains("nan"), message)
    }

    /// A finite Double beyond Float32's range would become ±inf in the observation.
    func testObservationBeyondFloat32IsRefused() throws {
        for observation in ["{ 0, 1e308 }", "(function() local v = nrl.vector(2); v[2] = -1e39; return v end)()"] {
            let message = try scriptError(brokenScript(step: "return \(observation), 1, false, false"), line: 7)
            XCTAssertTrue(message.contains("observation of 2 finite numbers; element 2 is "), message)
            XCTAssertTrue(message.contains("beyond Float32's range"), message)
        }
    }

    func testNonNumberInTheObservation() throws {
        let message = try scriptError(brokenScript(reset: "return { 0, \"left\" }"), line: 4)
        XCTAssertTrue(message.contains("element 2 is not a number"), message)
    }

    func testResetReturningNothing() throws {
        let message = try scriptError(brokenScript(reset: "self.position = 1"), line: 4)
        XCTAssertTrue(message.contains("reset must return an observation of 2 finite numbers; got nil"), message)
    }

    func testRewardThatIsAString() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, \"one\", false, false"), line: 7)
        XCTAssertTrue(message.contains("the reward is 'one', not a finite number"), message)
    }

    func testInfiniteReward() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, 1/0, false, false"), line: 7)
        XCTAssertTrue(message.contains("not a finite number"), message)
    }

    func testTerminatedThatIsNil() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, 1, nil, false"), line: 7)
        XCTAssertTrue(message.contains("terminated and truncated true or false; got nil, false"), message)
    }

    func testStepReturningTooFewValues() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, 1"), line: 7)
        XCTAssertTrue(message.contains("step must return obs, reward, terminated, truncated"), message)
    }

    func testRuntimeErrorInsideStep() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, self.missing.reward, false, false"), line: 8)
        XCTAssertTrue(message.contains("attempt to index a nil value (field 'missing')"), message)
    }

    func testErrorRaisedByTheScript() throws {
        let message = try scriptError(brokenScript(reset: "error(\"the corridor needs a length\")"), line: 5)
        XCTAssertTrue(message.contains("the corridor needs a length"), message)
    }

    func testMissingReset() throws {
        let source = brokenScript().replacingOccurrences(of: "reset = function", with: "restart = function")
        let message = try scriptError(source, line: 2)
        XCTAssertTrue(message.contains("env needs reset = function(self, options)"), message)
    }

    func testMissingObservations() throws {
        let message = try scriptError(brokenScript(header: "name = \"broken\", actions = 2,"), line: 2)
        XCTAssertTrue(message.contains("env needs observations"), message)
    }

    func testUnknownRewardTiming() throws {
        let message = try scriptError(brokenScript(header: "observations = 2, actions = 2, reward = \"later\","), line: 2)
        XCTAssertTrue(message.contains("reward must be one of \"delayed\", \"immediate\""), message)
    }

    func testSyntaxError() throws {
        let message = try scriptError(brokenScript(step: "return { 0, 0 }, 1, false, false,"), line: 9)
        XCTAssertTrue(message.contains("unexpected symbol near 'end'"), message)
    }

    func testEndlessStepHitsTheInstructionBudget() throws {
        let limits = ScriptLimits(instructionsPerCall: 100_000, memoryBytes: 64 << 20, secondsPerCall: 10)
        let message = try scriptError(brokenScript(step: "while true do end"), line: 8, limits: limits)
        XCTAssertTrue(message.contains("instruction budget exceeded"), message)
    }
}

extension ObservationBuffer {
    /// The observation's float32 bit patterns, for bit-exact comparisons.
    var bits: [UInt32] { values.map(\.bitPattern) }
}

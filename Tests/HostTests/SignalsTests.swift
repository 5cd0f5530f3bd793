import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// `ctx.signals` and `baseline = false`: every signal checked against a hand computation over a
/// scripted environment whose rewards are known in advance, and environment parameters reaching
/// `self.params`.
final class SignalsTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Episode n's step t pays scale·t·n; the episode terminates after `len` steps, unless the
    /// TimeLimit (max_steps = 5) truncates it first.
    func rampEnvironment(reward: String = "delayed") throws -> String {
        try writeScratchFile("ramp.lua", """
            return env {
              name = "ramp", observations = 1, actions = 2, reward = "\(reward)", max_steps = 5,
              params = { scale = { 1.0, above = 0 }, len = { 3, min = 1 }, terminate = true },
              reset = function(self) self.n = (self.n or 0) + 1; self.t = 0; return { 0 } end,
              step = function(self, a)
                self.t = self.t + 1
                return { 0 }, self.params.scale * self.t * self.n, self.params.terminate and self.t == self.params.len, false
              end,
            }
            """, in: dir)
    }

    /// A rule that logs every signal at every hook ("begin.reward", "act2.step", "learn3.rpe", and
    /// "learnT.arg", what learn got); nil is logged as -12345, booleans as 1/0.
    func probeRule(baseline: Bool = true, learns: String = "episode", everyHook: Bool = false) throws -> String {
        try writeScratchFile("probe.lua", """
            local names = { "reward", "episode_return", "final_return", "baseline", "baseline_after", "rpe",
                            "step", "episode", "episodes", "terminated", "truncated" }
            local function record(ctx, at)
              if not \(everyHook) and not at:find("^learn") then return end  -- at most 64 metric names
              local s = ctx.signals
              for _, n in ipairs(names) do
                local v = s[n]
                if v == nil then v = -12345 elseif v == true then v = 1 elseif v == false then v = 0 end
                log(at .. "." .. n, v)
              end
            end
            return rule {
              name = "probe", baseline = \(baseline), learns = "\(learns)",
              begin_episode = function(ctx) ctx.t = 0; record(ctx, "begin") end,
              act = function(ctx, obs) ctx.t = ctx.t + 1; record(ctx, "act" .. ctx.t); return 1 end,
              learn = function(ctx, r) record(ctx, "learn" .. ctx.t); log("learn" .. ctx.t .. ".arg", r) end,
            }
            """, in: dir)
    }

    func run(rule: String, env: String, episodes: Int = 3, settings: [String] = []) throws -> [EpisodeRecord] {
        var plugins = Plugins(environments: .withScripts())
        plugins.rules.register(try ScriptRules.descriptor(path: rule))
        let spec = try RunRequest(rule: "probe", environment: env, episodes: episodes, seed: 1, hidden: 2,
                                  settings: settings).resolve(in: plugins)
        var records: [EpisodeRecord] = []
        try Trainer(session: Session(spec: spec, plugins: plugins)).run { records.append($0) }
        return records
    }

    /// What a signal logged as a number should be (nil → -12345, as the probe logs it).
    func expect(_ record: EpisodeRecord, _ at: String, _ values: [String: Double?], file: StaticString = #filePath, line: UInt = #line) {
        for (name, value) in values {
            let got = record.metrics["\(at).\(name)"]
            XCTAssertNotNil(got, "episode \(record.episode): \(at).\(name) was not logged", file: file, line: line)
            XCTAssertEqual(got ?? .nan, value ?? -12345, accuracy: 1e-12, "episode \(record.episode): \(at).\(name)", file: file, line: line)
        }
    }

    func testSignalsOfAnEpisodicRunWithTheTrainersBaseline() throws {
        let records = try run(rule: try probeRule(everyHook: true), env: try rampEnvironment())
        XCTAssertEqual(records.map(\.length), [3, 3, 3])
        var average: Double? = nil
        for r in records {
            let n = Double(r.episode)
            expect(r, "begin", ["reward": 0, "terminated": 0, "episode_return": 0, "final_return": nil,
                                "step": 0, "episode": n, "episodes": 3])
            for t in 1...3 {
                let previous = Double(t - 1) * n
                let soFar = t == 1 ? 0 : Double((t - 1) * t / 2) * n
                expect(r, "act\(t)", ["step": Double(t), "episode": n, "episodes": 3, "reward": previous,
                                      "episode_return": soFar, "final_return": nil,
                                      "terminated": 0, "truncated": 0])
            }
            // Learning once per episode from R = 6n: δ = (R − R̄)/|R|, R̄ ← R̄ + 0.66 (R − R̄), R̄ starting at R.
            let R = 6 * n
            let before = average ?? R
            let after = before + 0.66 * (R - before)
            let delta = (R - before) / abs(R)
            average = after
            expect(r, "learn3", ["reward": 3 * n, "episode_return": R, "final_return": R, "baseline": before,
                                 "baseline_after": after, "rpe": delta, "arg": delta, "step": 3, "episode": n,
                                 "episodes": 3, "terminated": 1, "truncated": 0])
        }
    }

    func testSignalsOfAStepwiseRunWithTheTrainersBaseline() throws {
        let records = try run(rule: try probeRule(learns: "step"), env: try rampEnvironment(reward: "immediate"))
        // r̄ restarts at the run's first reward (an episodic task), then r̄ ← r̄ + 0.66 (r − r̄).
        var average: Double? = nil
        for r in records {
            let n = Double(r.episode)
            for t in 1...3 {
                let reward = Double(t) * n
                let before = average ?? reward
                let after = before + 0.66 * (reward - before)
                average = after
                expect(r, "learn\(t)", ["reward": reward, "episode_return": Double(t * (t + 1) / 2) * n,
                                        "final_return": t == 3 ? 6 * n : nil, "baseline": before, "baseline_after": after,
                                        "rpe": reward - before, "arg": reward - before, "step": Double(t),
                                        "terminated": t == 3 ? 1 : 0, "truncated": 0])
            }
        }
    }

    func testOwnDeltaGetsRawRewardsAndReturns() throws {
        let episodic = try run(rule: try probeRule(baseline: false), env: try rampEnvironment())
        for r in episodic {
            let n = Double(r.episode)
            expect(r, "learn3", ["arg": 6 * n, "final_return": 6 * n, "baseline": nil, "baseline_after": nil, "rpe": nil])
        }
        let stepwise = try run(rule: try probeRule(baseline: false, learns: "step"), env: try rampEnvironment(reward: "immediate"))
        for r in stepwise {
            for t in 1...3 {
                let reward = Double(t * r.episode)
                expect(r, "learn\(t)", ["arg": reward, "reward": reward, "baseline": nil, "baseline_after": nil, "rpe": nil])
            }
        }
    }

    func testEnvironmentParametersReachSelfParams() throws {
        // len 9 never comes: the TimeLimit truncates at 5 steps; scale 0.5 halves every reward.
        let records = try run(rule: try probeRule(baseline: false), env: try rampEnvironment(), episodes: 2,
                              settings: ["env.len=9", "env.scale=0.5"])
        XCTAssertEqual(records.map(\.length), [5, 5])
        for r in records {
            let n = Double(r.episode)
            XCTAssertEqual(r.totalReward, 0.5 * 15 * n)
            expect(r, "learn5", ["arg": 7.5 * n, "terminated": 0, "truncated": 1, "reward": 2.5 * n])
        }
        let env = try rampEnvironment()
        XCTAssertThrowsError(try run(rule: try probeRule(), env: env, settings: ["env.speed=2"])) { error in
            XCTAssertEqual("\(error)", "environment '\(env)' has no parameter 'speed'; its parameters: len, scale, terminate")
        }
        XCTAssertThrowsError(try run(rule: try probeRule(), env: env, settings: ["env.scale=0"])) { error in
            XCTAssertEqual("\(error)", "environment '\(env)': parameter 'scale' must be > 0, got '0'")
        }
        XCTAssertThrowsError(try run(rule: try probeRule(), env: env, settings: ["env.terminate=yes"])) { error in
            XCTAssertEqual("\(error)", "environment '\(env)': parameter 'terminate' must be true or false, got 'yes'")
        }
    }

    func testSignalsAreReadOnlyAndNamed() throws {
        let env = try rampEnvironment()
        for (k, (body, message)) in [
            ("ctx.signals.reward = 1", "ctx.signals is read-only (the trainer sets it); cannot assign 'reward'"),
            ("local x = ctx.signals.rewards",
             "ctx.signals has no field 'rewards'; its fields: reward, episode_return, final_return, baseline, baseline_after, rpe, step, episode, episodes, terminated, truncated"),
            ("local x = ctx.signals[1]",
             "ctx.signals has no field 1; its fields: reward, episode_return, final_return, baseline, baseline_after, rpe, step, episode, episodes, terminated, truncated"),
        ].enumerated() {
            let path = try writeScratchFile("bad\(k).lua", """
                return rule {
                  name = "probe",
                  act = function(ctx, obs)
                    \(body)
                    return 1
                  end,
                  learn = function(ctx, r) end,
                }
                """, in: dir)
            XCTAssertThrowsError(try run(rule: path, env: env)) { error in
                guard let e = error as? ScriptError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.message, message)
                XCTAssertEqual(e.location, "\(path):4")
            }
        }
    }

    func testBaselineMustBeABoolean() throws {
        let path = try writeScratchFile("nobool.lua", """
            return rule { name = "probe", baseline = "no", act = function(ctx, obs) return 1 end, learn = function(ctx, r) end }
            """, in: dir)
        XCTAssertThrowsError(try ScriptRules.descriptor(path: path)) { error in
            XCTAssertEqual((error as? ScriptError)?.message, "rule needs baseline = true or false (false: learn gets raw rewards or returns), got \"no\"")
        }
        XCTAssertFalse(try ScriptRules.descriptor(path: try probeRule(baseline: false)).baseline)
        XCTAssertTrue(try ScriptRules.descriptor(path: try probeRule()).baseline)
    }

    /// The trainer's record for native rules: a rule that never reads it still sees it filled in.
    func testNativeRulesSeeTheSameRecord() throws {
        final class Reader: LearningRule {
            let signals: TrainingSignals
            var seen: [TrainingSignals.Values] = []
            init(_ c: RuleContext) { signals = c.signals }
            func beginEpisode() {}
            func act(_ observation: UnsafePointer<Float>) -> Int { 0 }
            func learn(rpe: Double) { seen.append(signals.current) }
        }
        final class Box: @unchecked Sendable { var rule: Reader? }
        let box = Box()
        var plugins = Plugins(environments: .withScripts())
        plugins.rules.register(RuleDescriptor(name: "probe", summary: "", parameters: [], baseline: false) { c in
            let r = Reader(c)
            box.rule = r
            return r
        })
        let spec = try RunRequest(rule: "probe", environment: try rampEnvironment(), episodes: 2, seed: 1, hidden: 2).resolve(in: plugins)
        try Trainer(session: Session(spec: spec, plugins: plugins)).run { _ in }
        let seen = try XCTUnwrap(box.rule).seen
        XCTAssertEqual(seen.map(\.episodeReturn), [6, 12])
        XCTAssertEqual(seen.map(\.finalReturn), [6, 12])
        XCTAssertEqual(seen.map(\.hasBaseline), [false, false])
        XCTAssertEqual(seen.map(\.episodes), [2, 2])
    }
}

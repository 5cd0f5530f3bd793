import Foundation
import NRLCore

/// `nrlhost replay --bridge`: a golden trajectory (Tests/Golden, schema nrl-golden-v1) replayed through the
/// Python task itself, over the bridge (`BridgeEnvironment`): Gymnasium's CartPole-v1 and Acrobot-v1, NeuroGym's
/// Reaching1D-v0 with the file's configuration (`dt`, `timing_ms` → `timing`).
///
/// The bridge cannot set a state, so the start comes from the task's own seeded reset: `reset(seed=start.reset_seed)`
/// (CartPole, Acrobot), or the file's `config.env_seed` (Reaching). Then the recorded actions are sent in order and
/// everything the bridge returns is compared bit for bit: the reset observation and every step's observation
/// (Float32), reward (binary64), terminated, truncated, and `new_trial` (Reaching). A file with neither seed (its
/// start state was injected, e.g. acrobot_offdist_clip) cannot be started through the bridge: it is reported as such.
public enum BridgeReplay {
    public struct Outcome: Sendable {
        public var name: String
        public let envID: String
        public let steps: Int
        /// The first value that differs, if any.
        public let disagreement: ReplayDisagreement?
        /// Why the file was not replayed (no seed to start it from), if it was not.
        public let notReplayable: String?
        public var agrees: Bool { disagreement == nil && notReplayable == nil }
    }

    /// Replays the file at `url` with the interpreter `python` (see `PythonLocation`); `timeout` seconds per call.
    public static func check(fileAt url: URL, python: String, timeout: Double = 60) throws -> Outcome {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GoldenReplayError("\(url.path): cannot read the file (\(error.localizedDescription))")
        }
        let t: GoldenTrajectory
        do { t = try JSONDecoder().decode(GoldenTrajectory.self, from: data) } catch let error as GoldenReplayError {
            throw GoldenReplayError("\(url.path): \(error.description)")
        }
        let name = t.name.isEmpty ? url.deletingPathExtension().lastPathComponent : t.name
        // The configuration keys GoldenTrajectory.Config leaves out (Reaching's timing and seed).
        let config = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["config"] as? [String: Any] ?? [:]
        var kwargs: [(String, String)] = []
        let seed: Int?
        let family: String
        if t.environment == "reaching" {
            family = "neurogym"
            seed = (config["env_seed"] as? NSNumber)?.intValue
            if let dt = config["dt"] as? NSNumber { kwargs.append(("dt", "\(dt)")) }
            if let timing = config["timing_ms"], let text = try? JSONSerialization.data(withJSONObject: timing, options: [.sortedKeys]) {
                kwargs.append(("timing", String(decoding: text, as: UTF8.self)))
            }
        } else {
            family = "gym"
            seed = t.start.resetSeed
        }
        guard let seed, seed >= 0 else {
            return Outcome(name: name, envID: t.envID, steps: t.steps.count, disagreement: nil,
                           notReplayable: "no reset_seed: its start state was set directly, which the bridge cannot do")
        }
        let env = try BridgeEnvironment(python: python, family: family, id: t.envID, kwargs: kwargs,
                                        random: Xoshiro256(seed: 0), timeout: timeout)
        let observation = ObservationBuffer(count: env.info.observationSize)
        func differs(_ step: Int, _ field: String, _ want: String, _ got: String) -> Outcome {
            Outcome(name: name, envID: t.envID, steps: t.steps.count,
                    disagreement: ReplayDisagreement(step: step, field: field, expected: want, got: got), notReplayable: nil)
        }
        func observationDiffers(_ step: Int, _ want: [Double]) -> Outcome? {
            guard want.count == observation.count else {
                return differs(step, "observation size", "\(want.count)", "\(observation.count)")
            }
            for (k, w) in want.enumerated() where Float(w).bitPattern != observation.pointer[k].bitPattern {
                return differs(step, "observation[\(k)]", "\(Float(w))", "\(observation.pointer[k])")
            }
            return nil
        }
        try env.reset(seed: UInt64(seed), observation: observation.pointer)
        if let d = observationDiffers(0, t.start.observation) { return d }
        for s in t.steps {
            let outcome = try env.step(s.action, observation: observation.pointer)
            if let d = observationDiffers(s.t, s.observation) { return d }
            if outcome.reward.bitPattern != s.reward.bitPattern { return differs(s.t, "reward", "\(s.reward)", "\(outcome.reward)") }
            if outcome.terminated != s.terminated { return differs(s.t, "terminated", "\(s.terminated)", "\(outcome.terminated)") }
            if outcome.truncated != s.truncated { return differs(s.t, "truncated", "\(s.truncated)", "\(outcome.truncated)") }
            if let newTrial = s.newTrial, newTrial != outcome.trialEnded {
                return differs(s.t, "new_trial", "\(newTrial)", "\(outcome.trialEnded)")
            }
        }
        return Outcome(name: name, envID: t.envID, steps: t.steps.count, disagreement: nil, notReplayable: nil)
    }
}

import Foundation

// Replaying recorded reference trajectories (schema `nrl-golden-v1`, Tests/Golden/README.md) through
// the Swift environments, to show they agree bit for bit with Gymnasium and NeuroGym.

/// One recorded trajectory. Decoding validates it, so a decoded value can always be replayed:
/// a malformed file throws `GoldenReplayError` (or `DecodingError` for broken JSON).
/// The recorded values are settable only inside the module, for tests that spoil a recording on purpose.
public struct GoldenTrajectory: Decodable, Sendable {
    /// What `reset` produced.
    public struct Start: Decodable, Sendable {
        /// CartPole/Acrobot: the state right after reset.
        public internal(set) var state: [Double]?
        /// "float32" if the reference held the reset state as float32 (an Acrobot draw).
        public internal(set) var stateDType: String?
        /// The observation reset returned (float32 values widened to Double).
        public internal(set) var observation: [Double]
        public internal(set) var resetSeed: Int?
        /// Reaching1D: the action of reset's internal step (2).
        public internal(set) var resetAction: Int?
        /// Reaching1D: trial 1's ground truth.
        public internal(set) var groundTruth: Double?
        /// Reaching1D: the position after the internal step, which its reward used.
        public internal(set) var positionForReward: Double?
        /// Reaching1D: the internal step's reward (discarded by the API).
        public internal(set) var resetReward: Double?
        /// Reaching1D: the position after reset.
        public internal(set) var position: Double?
        /// Reaching1D: `t_ind` after reset (1).
        public internal(set) var tInd: Int?
        /// Reaching1D: the performance accumulator after reset.
        public internal(set) var performance: Double?

        enum CodingKeys: String, CodingKey {
            case state, stateDType = "state_dtype", observation, resetSeed = "reset_seed"
            case resetAction = "reset_action", groundTruth = "ground_truth"
            case positionForReward = "position_for_reward", resetReward = "reset_reward"
            case position, tInd = "t_ind", performance
        }
    }

    /// One `step()` call.
    public struct Step: Decodable, Sendable {
        public internal(set) var t: Int
        public internal(set) var action: Int
        public internal(set) var observation: [Double]
        public internal(set) var reward: Double
        public internal(set) var terminated: Bool
        public internal(set) var truncated: Bool
        /// CartPole/Acrobot: the state after the step.
        public internal(set) var state: [Double]?
        /// Reaching1D: `info["new_trial"]`.
        public internal(set) var newTrial: Bool?
        /// Reaching1D: `info["gt"]`, the truncated ground truth this step's reward used.
        public internal(set) var gt: Int?
        public internal(set) var positionForReward: Double?
        /// Reaching1D: the position at the end of the step (π on a boundary step).
        public internal(set) var position: Double?
        public internal(set) var perf: Double?
        /// Reaching1D: the 1-based trial active at the end of the step.
        public internal(set) var trial: Int?
        public internal(set) var tInd: Int?
        /// Reaching1D, boundary steps only: `info["performance"]` of the finished trial.
        public internal(set) var performance: Double?

        enum CodingKeys: String, CodingKey {
            case t, action, observation, reward, terminated, truncated, state
            case newTrial = "new_trial", gt, positionForReward = "position_for_reward"
            case position, perf, trial, tInd = "t_ind", performance
        }
    }

    /// The recorded environment configuration; only the keys the Swift environments depend on.
    public struct Config: Decodable, Sendable {
        /// CartPole/Acrobot: the TimeLimit.
        public let maxEpisodeSteps: Int?
        /// Acrobot: must be "book" and 0.
        public let bookOrNips: String?
        public let torqueNoiseMax: Double?
        /// Reaching1D: must be 10 and 300 (the paper's configuration).
        public let dt: Double?
        public let stepsPerTrial: Int?

        enum CodingKeys: String, CodingKey {
            case maxEpisodeSteps = "max_episode_steps", bookOrNips = "book_or_nips"
            case torqueNoiseMax = "torque_noise_max", dt, stepsPerTrial = "steps_per_trial"
        }
    }

    public let schema: String?
    public let name: String
    /// As recorded: "CartPole-v1", "Acrobot-v1" or "Reaching1D-v0".
    public let envID: String
    /// The built-in environment `envID` names (an id of `EnvironmentRegistry.builtin`).
    public let environment: String
    public let description: String?
    public let policy: String?
    public let config: Config?
    public internal(set) var start: Start
    public internal(set) var steps: [Step]
    /// Reaching1D: trial targets in order; [0] is drawn by reset, [k] at the k-th boundary.
    public internal(set) var groundTruths: [Double]?

    enum CodingKeys: String, CodingKey {
        case schema, name, envID = "env_id", description, policy, config, start, steps
        case groundTruths = "ground_truths"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decodeIfPresent(String.self, forKey: .schema)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        envID = try c.decode(String.self, forKey: .envID)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        policy = try c.decodeIfPresent(String.self, forKey: .policy)
        config = try c.decodeIfPresent(Config.self, forKey: .config)
        start = try c.decode(Start.self, forKey: .start)
        steps = try c.decode([Step].self, forKey: .steps)
        groundTruths = try c.decodeIfPresent([Double].self, forKey: .groundTruths)
        guard let environment = EnvironmentRegistry.builtin.canonicalName(envID) else {
            throw GoldenReplayError("unknown env_id '\(envID)'; known: CartPole-v1, Acrobot-v1, Reaching1D-v0")
        }
        self.environment = environment
        try validate()
    }

    /// Everything a replay relies on, checked up front so that replaying never traps or hangs.
    private func validate() throws {
        if let schema, schema != "nrl-golden-v1" {
            throw GoldenReplayError("schema '\(schema)' is not supported (expected 'nrl-golden-v1')")
        }
        guard let info = try? EnvironmentRegistry.builtin.registration(environment).info else { return }
        func checkObservation(_ values: [Double], _ path: String) throws {
            guard values.count == info.observationSize else {
                throw GoldenReplayError("\(path) has \(values.count) values; \(envID) observations have \(info.observationSize)")
            }
            for (i, v) in values.enumerated() where Float(exactly: v) == nil {
                throw GoldenReplayError("\(path)[\(i)] = \(v) is not a float32 value")
            }
        }
        func checkState(_ state: [Double]?, _ path: String) throws {
            guard let state else { throw GoldenReplayError("\(path) is missing") }
            guard state.count == 4 else { throw GoldenReplayError("\(path) has \(state.count) values; \(envID) has 4") }
            for (i, v) in state.enumerated() {
                guard v.isFinite else { throw GoldenReplayError("\(path)[\(i)] = \(v) is not finite") }
                // Acrobot wraps angles by repeated ±2π, which never ends for huge values.
                if environment == "acrobot" && abs(v) > 1000 {
                    throw GoldenReplayError("\(path)[\(i)] = \(v) is outside what Acrobot can step (|value| ≤ 1000)")
                }
            }
        }

        // Configurations the Swift environments do not implement would only show up as puzzling disagreements.
        if let c = config {
            if let v = c.bookOrNips, v != "book" { throw GoldenReplayError("config.book_or_nips = '\(v)': only \"book\" is implemented") }
            if let v = c.torqueNoiseMax, v != 0 { throw GoldenReplayError("config.torque_noise_max = \(v): only 0 is implemented") }
            if let v = c.dt, v != 10 { throw GoldenReplayError("config.dt = \(v): only Reaching1D with dt 10 ms is implemented") }
            if let v = c.stepsPerTrial, v != Reaching1D.stepsPerTrial {
                throw GoldenReplayError("config.steps_per_trial = \(v): only \(Reaching1D.stepsPerTrial) (reach 3000 ms) is implemented")
            }
            if let v = c.maxEpisodeSteps, v < 1 { throw GoldenReplayError("config.max_episode_steps = \(v) must be positive") }
        }
        try checkObservation(start.observation, "start.observation")
        for (i, step) in steps.enumerated() {
            guard (0..<info.actionCount).contains(step.action) else {
                throw GoldenReplayError("steps[\(i)].action = \(step.action) is not an action of \(envID) (0..<\(info.actionCount))")
            }
            try checkObservation(step.observation, "steps[\(i)].observation")
        }

        if environment == "reaching" {
            guard let gts = groundTruths, !gts.isEmpty else { throw GoldenReplayError("ground_truths is missing (Reaching1D needs it)") }
            for (i, g) in gts.enumerated() where !(g >= 0 && g < 2 * Double.pi) {
                throw GoldenReplayError("ground_truths[\(i)] = \(g) is outside [0, 2π)")
            }
            // The agent sees boundaries at its steps 299, 599, … (docs/spec/environments.md §4).
            let boundaries = (steps.count + 1) / Reaching1D.stepsPerTrial
            guard gts.count >= boundaries + 1 else {
                throw GoldenReplayError("ground_truths has \(gts.count) values; \(steps.count) steps cross \(boundaries) trial boundaries, so \(boundaries + 1) are needed")
            }
            guard let p = start.position, p.isFinite else { throw GoldenReplayError("start.position is missing or not finite") }
            for (i, step) in steps.enumerated() {
                guard let p = step.position, p.isFinite else { throw GoldenReplayError("steps[\(i)].position is missing or not finite") }
            }
        } else {
            try checkState(start.state, "start.state")
            if start.stateDType == "float32", let s = start.state, s.contains(where: { Float(exactly: $0) == nil }) {
                throw GoldenReplayError("start.state_dtype is float32 but start.state holds values that are not float32")
            }
            for (i, step) in steps.enumerated() { try checkState(step.state, "steps[\(i)].state") }
        }
    }
}

/// Why a file cannot be replayed: unreadable, not JSON, or not a valid recording.
public struct GoldenReplayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The first value that differs from the recording in one check.
public struct ReplayDisagreement: Sendable, CustomStringConvertible {
    /// 0 for the reset, then the 1-based step number.
    public let step: Int
    /// For example "state[2]", "observation[17]", "reward".
    public let field: String
    public let expected: String
    public let got: String
    /// How far apart they are (difference and ulps), when that is meaningful.
    public let detail: String

    public init(step: Int, field: String, expected: String, got: String, detail: String = "") {
        self.step = step
        self.field = field
        self.expected = expected
        self.got = got
        self.detail = detail
    }

    public var description: String {
        let at = step == 0 ? "reset" : "step \(step)"
        return "\(at), \(field): expected \(expected), got \(got)" + (detail.isEmpty ? "" : " (\(detail))")
    }
}

/// The outcome of replaying one trajectory; each check keeps its first disagreement.
public struct ReplayReport: Sendable, CustomStringConvertible {
    /// The recording's `name`, or its file name if it has none.
    public var name: String
    public let envID: String
    public let steps: Int
    /// (1) Each step from the recorded previous state: state within 1e-12 relative, the rest exact.
    public let perStep: ReplayDisagreement?
    /// (2) The observation of each recorded state.
    public let observationFunction: ReplayDisagreement?
    /// (3) A free run from the start state with the recorded actions: everything exact.
    public let freeRun: ReplayDisagreement?

    public var agrees: Bool { perStep == nil && observationFunction == nil && freeRun == nil }

    /// One line when everything agrees; otherwise one more line per check.
    public var description: String {
        let head = "\(name) (\(envID), \(steps) steps): "
        if agrees { return head + "agrees bit for bit (per-step, observation function, free run)" }
        func line(_ check: String, _ d: ReplayDisagreement?) -> String {
            "  \(check): " + (d.map { "differs at \($0)" } ?? "agrees")
        }
        return [head + "DISAGREES", line("per-step", perStep), line("observation function", observationFunction),
                line("free run", freeRun)].joined(separator: "\n")
    }
}

/// The checks of Tests/Golden/README.md, "How to test".
public enum GoldenReplay {
    public static func check(fileAt url: URL) throws -> ReplayReport {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw GoldenReplayError("\(url.path): cannot read the file (\(error.localizedDescription))")
        }
        let trajectory: GoldenTrajectory
        do {
            trajectory = try JSONDecoder().decode(GoldenTrajectory.self, from: data)
        } catch let error as GoldenReplayError {
            throw GoldenReplayError("\(url.path): \(error.description)")
        } catch let error as DecodingError {
            throw GoldenReplayError("\(url.path): \(explain(error))")
        }
        var report = check(trajectory)
        if report.name.isEmpty { report.name = url.deletingPathExtension().lastPathComponent }
        return report
    }

    public static func check(_ t: GoldenTrajectory) -> ReplayReport {
        // Replays inject the recorded start state, so the environments' generators are never drawn from.
        let unused = Xoshiro256(seed: 0)
        let perStep, observationFunction, freeRun: ReplayDisagreement?
        switch t.environment {
        case "cartpole":
            perStep = replayPhysics(t, CartPole(rng: unused), overwriteState: true)
            freeRun = replayPhysics(t, CartPole(rng: unused), overwriteState: false)
            observationFunction = physicsObservations(t, CartPole(rng: unused), trigComponents: 0..<0)
        case "acrobot":
            perStep = replayPhysics(t, Acrobot(rng: unused), overwriteState: true)
            freeRun = replayPhysics(t, Acrobot(rng: unused), overwriteState: false)
            observationFunction = physicsObservations(t, Acrobot(rng: unused), trigComponents: 0..<4)
        default:
            perStep = replayReaching(t, overwritePosition: true)
            freeRun = replayReaching(t, overwritePosition: false)
            observationFunction = reachingObservations(t)
        }
        return ReplayReport(name: t.name, envID: t.envID, steps: t.steps.count, perStep: perStep,
                            observationFunction: observationFunction, freeRun: freeRun)
    }

    // MARK: CartPole and Acrobot

    /// Per-step check (`overwriteState`: start each step from the recorded previous state and
    /// allow 1e-12 relative in the state) or free run (state exact).
    private static func replayPhysics<E: StateReplayable>(_ t: GoldenTrajectory, _ env: E,
                                                         overwriteState: Bool) -> ReplayDisagreement? {
        let limited = TimeLimit(env, maxEpisodeSteps: t.config?.maxEpisodeSteps ?? 500)
        let observation = ObservationBuffer(count: env.info.observationSize)
        guard var previous = t.start.state else { return nil }
        env.reset(state: previous, observation: observation.pointer)
        limited.restartClock()
        var compare = Comparison()
        for (i, record) in t.steps.enumerated() {
            let step = i + 1
            guard let want = record.state else { break }
            if overwriteState { env.state = previous }
            // CartPole and Acrobot are native and never throw.
            guard let outcome = try? limited.step(record.action, observation: observation.pointer) else { break }
            compare.state(step, want: want, got: env.state, relativeTolerance: overwriteState ? 1e-12 : 0)
            compare.observation(step, want: record.observation, got: observation)
            compare.value(step, "reward", want: record.reward, got: outcome.reward)
            compare.flag(step, "terminated", want: record.terminated, got: outcome.terminated)
            compare.flag(step, "truncated", want: record.truncated, got: outcome.truncated)
            if compare.first != nil { break }
            previous = want
        }
        return compare.first
    }

    /// The observation of every recorded state. The reset observation of a float32 Acrobot
    /// state may differ by 1 ulp in the trig components, because the reference used numpy's
    /// float32 cos/sin there (docs/spec/environments.md §3).
    private static func physicsObservations<E: StateReplayable>(_ t: GoldenTrajectory, _ env: E,
                                                               trigComponents: Range<Int>) -> ReplayDisagreement? {
        let observation = ObservationBuffer(count: env.info.observationSize)
        var compare = Comparison()
        if let state = t.start.state {
            env.state = state
            env.observe(into: observation.pointer)
            let allowance = t.start.stateDType == "float32" ? trigComponents : 0..<0
            compare.observation(0, want: t.start.observation, got: observation, oneUlpAllowed: allowance)
        }
        for (i, record) in t.steps.enumerated() where compare.first == nil {
            guard let state = record.state else { break }
            env.state = state
            env.observe(into: observation.pointer)
            compare.observation(i + 1, want: record.observation, got: observation)
        }
        return compare.first
    }

    // MARK: Reaching1D

    /// Per-step check (`overwritePosition`: start each step from the recorded previous position)
    /// or free run. Reaching1D is not chaotic, so both must match exactly.
    private static func replayReaching(_ t: GoldenTrajectory, overwritePosition: Bool) -> ReplayDisagreement? {
        guard let groundTruths = t.groundTruths, !groundTruths.isEmpty else { return nil }
        var drawn = 0
        let env = Reaching1D(groundTruths: {
            // Validation guarantees enough values for the recorded steps.
            defer { drawn += 1 }
            return groundTruths[min(drawn, groundTruths.count - 1)]
        })
        let observation = ObservationBuffer(count: Reaching1D.info.observationSize)
        var compare = Comparison()

        env.reset(observation: observation.pointer)
        let s = t.start
        compare.optionalValue(0, "ground_truth", want: s.groundTruth, got: env.groundTruth)
        compare.optionalValue(0, "position_for_reward", want: s.positionForReward, got: env.positionForReward)
        compare.optionalValue(0, "reset_reward", want: s.resetReward, got: env.lastReward)
        compare.optionalValue(0, "position", want: s.position, got: env.position)
        compare.optionalInteger(0, "t_ind", want: s.tInd, got: env.stepInTrial)
        compare.optionalValue(0, "performance", want: s.performance, got: env.performance)
        compare.observation(0, want: s.observation, got: observation)

        var previousPosition = s.position ?? env.position
        for (i, record) in t.steps.enumerated() where compare.first == nil {
            let step = i + 1
            if overwritePosition { env.position = previousPosition }
            let outcome = env.step(record.action, observation: observation.pointer)
            compare.observation(step, want: record.observation, got: observation)
            compare.value(step, "reward", want: record.reward, got: outcome.reward)
            compare.flag(step, "terminated", want: record.terminated, got: outcome.terminated)
            compare.flag(step, "truncated", want: record.truncated, got: outcome.truncated)
            compare.optionalFlag(step, "new_trial", want: record.newTrial, got: outcome.trialEnded)
            compare.optionalInteger(step, "gt", want: record.gt, got: env.rewardGroundTruth)
            compare.optionalValue(step, "position_for_reward", want: record.positionForReward, got: env.positionForReward)
            compare.optionalValue(step, "position", want: record.position, got: env.position)
            compare.optionalValue(step, "perf", want: record.perf, got: env.performance)
            compare.optionalInteger(step, "trial", want: record.trial, got: env.trialIndex)
            compare.optionalInteger(step, "t_ind", want: record.tInd, got: env.stepInTrial)
            if outcome.trialEnded {
                compare.optionalValue(step, "performance", want: record.performance, got: env.lastTrialPerformance ?? .nan)
            }
            previousPosition = record.position ?? env.position
        }
        return compare.first
    }

    /// The observation of each recorded (trial, position): target units from the trial's
    /// ground truth, self units from the position.
    private static func reachingObservations(_ t: GoldenTrajectory) -> ReplayDisagreement? {
        guard let groundTruths = t.groundTruths, !groundTruths.isEmpty else { return nil }
        let observation = ObservationBuffer(count: Reaching1D.info.observationSize)
        var compare = Comparison()
        if let position = t.start.position {
            Reaching1D.observation(groundTruth: groundTruths[0], position: position, into: observation.pointer)
            compare.observation(0, want: t.start.observation, got: observation)
        }
        for (i, record) in t.steps.enumerated() where compare.first == nil {
            guard let trial = record.trial, let position = record.position,
                  (1...groundTruths.count).contains(trial) else { continue }
            Reaching1D.observation(groundTruth: groundTruths[trial - 1], position: position, into: observation.pointer)
            compare.observation(i + 1, want: record.observation, got: observation)
        }
        return compare.first
    }

    // MARK: Messages

    private static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "top level" : text)
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let reason = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
                return "not valid JSON (\(reason))"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}

/// What a replay needs beyond `Environment`: the test hooks of docs/spec/environments.md §5.
protocol StateReplayable: Environment {
    var state: [Double] { get set }
    func reset(state: [Double], observation: UnsafeMutablePointer<Float>)
    func observe(into observation: UnsafeMutablePointer<Float>)
}

extension CartPole: StateReplayable {}
extension Acrobot: StateReplayable {}

/// A Float buffer that frees itself.

/// Collects the first disagreement; later comparisons are skipped once one is found.
/// Values print with Swift's shortest round-trip form, so a reader sees the exact bits;
/// observations print as the widened Double, which is how the file stores them.
private struct Comparison {
    private(set) var first: ReplayDisagreement?

    private mutating func record(_ step: Int, _ field: String, _ expected: String, _ got: String, _ detail: String = "") {
        if first == nil { first = ReplayDisagreement(step: step, field: field, expected: expected, got: got, detail: detail) }
    }

    mutating func value(_ step: Int, _ field: String, want: Double, got: Double, relativeTolerance: Double = 0) {
        guard first == nil else { return }
        let agrees = relativeTolerance == 0 ? got == want
            : abs(got - want) <= relativeTolerance * max(1, abs(want))
        if !agrees { record(step, field, "\(want)", "\(got)", Self.difference(want, got)) }
    }

    mutating func optionalValue(_ step: Int, _ field: String, want: Double?, got: Double) {
        if let want { value(step, field, want: want, got: got) }
    }

    mutating func state(_ step: Int, want: [Double], got: [Double], relativeTolerance: Double) {
        for i in want.indices { value(step, "state[\(i)]", want: want[i], got: got[i], relativeTolerance: relativeTolerance) }
    }

    mutating func flag(_ step: Int, _ field: String, want: Bool, got: Bool) {
        if first == nil && want != got { record(step, field, "\(want)", "\(got)") }
    }

    mutating func optionalFlag(_ step: Int, _ field: String, want: Bool?, got: Bool) {
        if let want { flag(step, field, want: want, got: got) }
    }

    mutating func optionalInteger(_ step: Int, _ field: String, want: Int?, got: Int) {
        if first == nil, let want, want != got { record(step, field, "\(want)", "\(got)") }
    }

    /// Exact float32 equality, except that components in `oneUlpAllowed` may be 1 ulp off.
    mutating func observation(_ step: Int, want: [Double], got: ObservationBuffer, oneUlpAllowed: Range<Int> = 0..<0) {
        for i in want.indices where first == nil {
            let w = Float(want[i]), g = got.pointer[i]
            guard w != g else { continue }
            let ulps = Self.ulpDistance(w, g)
            if oneUlpAllowed.contains(i) && ulps <= 1 { continue }
            record(step, "observation[\(i)]", "\(Double(w))", "\(Double(g))", "\(ulps) float32 ulp apart")
        }
    }

    static func difference(_ want: Double, _ got: Double) -> String {
        guard want.isFinite && got.isFinite else { return "" }
        let a = Int64(bitPattern: want.bitPattern), b = Int64(bitPattern: got.bitPattern)
        let ordered = { (x: Int64) -> Int64 in x < 0 ? Int64.min &- x : x }
        let ulps = ordered(a).subtractingReportingOverflow(ordered(b)).partialValue.magnitude
        return "got − expected = \(got - want), \(ulps) ulp"
    }

    static func ulpDistance(_ a: Float, _ b: Float) -> UInt32 {
        guard a.isFinite && b.isFinite else { return .max }
        let ordered = { (x: Float) -> Int64 in
            let bits = Int64(Int32(bitPattern: x.bitPattern))
            return bits < 0 ? Int64(Int32.min) - bits : bits
        }
        return UInt32(clamping: (ordered(a) - ordered(b)).magnitude)
    }
}

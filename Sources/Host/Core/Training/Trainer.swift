import Foundation

/// One finished episode (one trial, for continuing tasks).
public struct EpisodeRecord: Sendable, Equatable {
    /// 1-based.
    public var episode: Int
    public var totalReward: Double
    public var length: Int
    /// What the rule logged this episode (scripts' `log(name, value)`: the mean of the values logged).
    public var metrics: [String: Double] = [:]
}

/// Why a run stopped before its last episode.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(episode: Int, what: String)
    case invalidAction(episode: Int, step: Int, action: Int, actionCount: Int)
    case endlessEpisode(episode: Int, steps: Int)

    public var description: String {
        switch self {
        case .nonFinite(let episode, let what):
            return "the \(what) became NaN or infinite in episode \(episode); the run stopped there"
        case .invalidAction(let episode, let step, let action, let count):
            return "episode \(episode), step \(step): the rule chose action \(action), but actions are 0..<\(count)"
        case .endlessEpisode(let episode, let steps):
            return "episode \(episode) ran \(steps) steps without ending; give the environment a max_steps (or let it terminate)"
        }
    }
}

/// How a run ended.
public struct TrainingSummary: Sendable {
    public var episodesCompleted: Int
    public var steps: Int
    public var seconds: Double
    public var interrupted: Bool
    /// Mean return of the last 50 episodes (or of all, if fewer).
    public var finalPerformance: Double?
}

/// The episode loop: rule.act → env.step, reward prediction errors at reward times, rule.learn.
public final class Trainer {
    public let session: Session
    /// Checked between episodes; returning true ends the run cleanly (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// An episode longer than this is an error (an environment that never ends would hang the run).
    public var maxStepsPerEpisode = 10_000_000
    /// Sees every step and every learn (diagnostics); nil in normal training.
    public var observer: TrainingObserver?

    public init(session: Session) { self.session = session }

    /// Runs `session.spec.episodes` episodes, handing each record to `onEpisode` as soon as it ends.
    /// Throws `TrainingError` after recording the episode in which the weights or the return went bad.
    @discardableResult
    public func run(onEpisode: (EpisodeRecord) throws -> Void) throws -> TrainingSummary {
        let env = session.environment, rule = session.rule, weights = session.network.weights
        let info = env.info
        let actionCount = info.actionCount
        let immediate = session.learnsEveryStep
        let usesBaseline = session.usesBaseline
        // Plain stores into a fixed buffer the rule may read (`RuleContext.signals`).
        let signal = session.signals.values
        signal.pointee = TrainingSignals.Values()
        signal.pointee.episodes = max(1, session.spec.episodes)
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: info.observationSize)
        defer { observation.deallocate() }
        let observer = self.observer
        /// Hands the rule δ (or the raw reward or return), then tells the observer.
        func teach(_ rpe: Double) throws {
            try rule.learn(rpe: rpe)
            if let observer { try observer.ruleLearned(rpe: rpe) }
        }
        /// Hands the rule δ, recording it in the signals with the baseline before and after its update.
        func learn(rpe: Double, baseline: Double, after: Double) throws {
            signal.pointee.baseline = baseline
            signal.pointee.baselineAfter = after
            signal.pointee.rpe = rpe
            signal.pointee.hasBaseline = true
            try teach(rpe)
        }
        var episodic = EpisodicBaseline(gamma: session.gamma)
        var stepwise = StepBaseline(gamma: session.gamma)
        var recent = RecentReturns(capacity: 50)
        var steps = 0, completed = 0, interrupted = false
        // Continuing tasks restart the reward average at every trial; episodic ones once per run.
        var baselineRestart = true
        let start = DispatchTime.now().uptimeNanoseconds

        if info.continuing { try env.reset(observation: observation) }
        for episode in 1...max(1, session.spec.episodes) {
            if shouldStop() { interrupted = true; break }
            if !info.continuing { try env.reset(observation: observation) }
            signal.pointee.episode = episode
            signal.pointee.step = 0
            signal.pointee.reward = 0
            signal.pointee.episodeReturn = 0
            signal.pointee.hasFinalReturn = false
            signal.pointee.terminated = false
            signal.pointee.truncated = false
            try observer?.episodeWillBegin(episode)
            try rule.beginEpisode()
            var total = 0.0, length = 0
            if info.continuing { baselineRestart = true }
            while true {
                signal.pointee.step = length + 1
                let action = try rule.act(observation)
                guard action >= 0 && action < actionCount else {
                    throw TrainingError.invalidAction(episode: episode, step: length + 1, action: action, actionCount: actionCount)
                }
                if let observer { observer.ruleActed(action, observation: observation) }
                let outcome = try env.step(action, observation: observation)
                total += outcome.reward
                length += 1
                let ends = info.continuing ? outcome.trialEnded : (outcome.terminated || outcome.truncated)
                signal.pointee.reward = outcome.reward
                signal.pointee.episodeReturn = total
                signal.pointee.terminated = outcome.terminated
                signal.pointee.truncated = outcome.truncated
                if ends {
                    signal.pointee.finalReturn = total
                    signal.pointee.hasFinalReturn = true
                }
                if immediate {
                    if usesBaseline {
                        let rpe = stepwise.rpe(forReward: outcome.reward, trialStart: baselineRestart)
                        try learn(rpe: rpe, baseline: stepwise.previous, after: stepwise.average)
                    } else {
                        try teach(outcome.reward)
                    }
                    baselineRestart = false
                }
                if ends { break }
                if length >= maxStepsPerEpisode { throw TrainingError.endlessEpisode(episode: episode, steps: length) }
            }
            if !immediate {
                if usesBaseline {
                    let rpe = episodic.rpe(forReturn: total)
                    try learn(rpe: rpe, baseline: episodic.previous, after: episodic.average ?? total)
                } else {
                    try teach(total)
                }
            }
            steps += length
            completed = episode
            recent.add(total)
            try onEpisode(EpisodeRecord(episode: episode, totalReward: total, length: length, metrics: rule.takeEpisodeMetrics()))
            if !total.isFinite { throw TrainingError.nonFinite(episode: episode, what: "return") }
            if !weights.allFinite { throw TrainingError.nonFinite(episode: episode, what: "weights") }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return TrainingSummary(episodesCompleted: completed, steps: steps, seconds: seconds,
                               interrupted: interrupted, finalPerformance: recent.mean)
    }
}

/// The last `capacity` returns, for "final performance" (mean of the last 50).
public struct RecentReturns: Sendable {
    private var values: [Double] = []
    private var next = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    public mutating func add(_ v: Double) {
        if values.count < capacity { values.append(v) } else { values[next] = v }
        next = (next + 1) % capacity
    }

    public var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
}

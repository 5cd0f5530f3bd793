/// Reward prediction errors (docs/spec/rules.md §2, §8c–d). The predictor is a running average
/// r̄ ← r̄ + γ(r − r̄); the error always uses the average *before* this update.

/// Delayed tasks: one error per episode from the undiscounted return R.
/// R̄ starts at the first episode's return (so the first episode gives δ = 0); δ = (R − R̄)/|R|.
public struct EpisodicBaseline: Sendable {
    public let gamma: Double
    public private(set) var average: Double?
    /// The average the last error was measured against (before its update).
    public private(set) var previous = 0.0

    /// `average`: a running average to continue from (nil: start at the next return).
    public init(gamma: Double, average: Double? = nil) {
        self.gamma = gamma
        self.average = average
    }

    public mutating func rpe(forReturn r: Double) -> Double {
        previous = average ?? r
        // |R| = 0 would divide by zero; the reference never meets it (CartPole returns ≥ 1, Acrobot ≤ 0
        // only after a first-step goal), and no error is the honest answer to a zero-size return.
        let delta = r == 0 ? 0 : (r - previous) / abs(r)
        average = previous + gamma * (r - previous)
        return delta
    }
}

/// Immediate-reward tasks: one error per step, δ_t = r_t − r̄, no |r| scaling.
/// r̄ restarts from the first reward of every trial, so δ = 0 on a trial's first step.
public struct StepBaseline: Sendable {
    public let gamma: Double
    public private(set) var average = 0.0
    /// The average the last error was measured against (before its update).
    public private(set) var previous = 0.0

    public init(gamma: Double) { self.gamma = gamma }

    public mutating func rpe(forReward r: Double, trialStart: Bool) -> Double {
        if trialStart { average = r }
        previous = average
        let delta = r - average
        average += gamma * (r - average)
        return delta
    }
}

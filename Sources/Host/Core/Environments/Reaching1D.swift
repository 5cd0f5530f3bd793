import Foundation

/// NeuroGym 2.3.1 `Reaching1D-v0` in the paper's configuration (dt 10 ms, no fixation,
/// reach 3000 ms), bit for bit (docs/spec/environments.md §4).
///
/// A continuing task: trials of 300 steps follow each other without `reset`; the step that
/// closes a trial reports `trialEnded`. The observation is 16 target units f32(cos(θ_i − gt)),
/// fixed per trial, then 16 self units f32(cos(θ_i − position)).
public final class Reaching1D: Environment {
    public static let info = EnvironmentInfo(
        name: "reaching", observationSize: 32, actionCount: 3,
        rewardTiming: .immediate, continuing: true, maxEpisodeSteps: nil)
    public var info: EnvironmentInfo { Self.info }

    static let ringSize = 16
    static let stepsPerTrial = 300
    static let stepSize = 0.05
    public static let defaultCorrectReward = 1.0
    public static let defaultFailReward = -0.1
    static let twoPi = 2 * Double.pi

    /// θ_i = i·(π/8), as numpy's arange(0, 2π, 2π/16) computes them.
    private static let unitAngles: [Double] = (0..<ringSize).map { Double($0) * (twoPi / Double(ringSize)) }

    private let nextGroundTruth: () -> Double
    /// Fixed buffers, so that `step` never allocates: the unit angles and the current trial's target units.
    private let theta: UnsafeMutablePointer<Double>
    private let target: UnsafeMutablePointer<Float>

    /// The self position ("state" in NeuroGym), in [0, 2π). Settable so a replay can overwrite it.
    public var position = Double.pi
    /// The current trial's ground truth, drawn from U[0, 2π); the target units show it.
    public private(set) var groundTruth = 0.0
    /// trunc(groundTruth): what the reward actually aims at (docs/spec/environments.md §6.8).
    public private(set) var groundTruthInt = 0
    /// NeuroGym's `performance` accumulator: the current trial's mean normalised reward so far.
    /// `reset` does not zero it (docs/spec/environments.md §4).
    public private(set) var performance = 0.0
    /// NeuroGym's `num_tr`: the 1-based number of the current trial (0 before the first reset).
    public private(set) var trialIndex = 0
    /// NeuroGym's `t_ind`: steps taken in the current trial (0 right after a boundary step).
    public private(set) var stepInTrial = 0
    /// `info["performance"]` of the most recently finished trial (nil until one finishes).
    public private(set) var lastTrialPerformance: Double?
    /// The position the last step's reward was computed from (before a boundary reset to π).
    public private(set) var positionForReward = Double.pi
    /// `info["gt"]` of the last step: the truncated ground truth its reward used.
    public private(set) var rewardGroundTruth = 0
    /// The last step's reward, including reset's internal step, whose reward the API discards.
    public private(set) var lastReward = 0.0

    /// NeuroGym's `rewards = {'correct': …, 'fail': …}`: the reward is max(correct − distance, fail),
    /// and `performance` normalises it by (r − fail)/(correct − fail). 1 and −0.1 by default.
    public let correctReward: Double
    public let failReward: Double

    /// The keyword arguments of NeuroGym's `Reaching1D(…)` this port has (`dt` and `timing` stay the
    /// paper's: 10 ms and a 3000 ms reach).
    public static let parameters = [
        ParameterSpec("correct_reward", .real(.any), default: .real(defaultCorrectReward),
                      help: "NeuroGym's rewards['correct']: the reward at distance 0 (reward = max(correct − distance, fail)); above fail_reward"),
        ParameterSpec("fail_reward", .real(.any), default: .real(defaultFailReward),
                      help: "NeuroGym's rewards['fail']: the least reward; below correct_reward"),
    ]

    /// Ground truths come from `rng`, one draw per trial.
    public convenience init(rng: Xoshiro256, correctReward: Double = Reaching1D.defaultCorrectReward, failReward: Double = Reaching1D.defaultFailReward) {
        var generator = rng
        self.init(groundTruths: { generator.uniform(0, 2 * Double.pi) }, correctReward: correctReward, failReward: failReward)
    }

    /// Ground truths come from `groundTruths`, called once per new trial (docs/spec/environments.md §5: replays
    /// inject the recorded values). Each value must lie in [0, 2π).
    public init(groundTruths: @escaping () -> Double, correctReward: Double = Reaching1D.defaultCorrectReward,
                failReward: Double = Reaching1D.defaultFailReward) {
        self.correctReward = correctReward
        self.failReward = failReward
        nextGroundTruth = groundTruths
        theta = .allocate(capacity: Self.ringSize)
        theta.initialize(from: Self.unitAngles, count: Self.ringSize)
        target = .allocate(capacity: Self.ringSize)
        target.initialize(repeating: 0, count: Self.ringSize)
    }

    deinit {
        theta.deallocate()
        target.deallocate()
    }

    /// NeuroGym's reset: restarts the trial count, starts a trial, and takes one internal step
    /// with action 2, whose observation it returns (docs/spec/environments.md §4, §6.9). The agent's first trial
    /// therefore has 299 steps.
    public func reset(observation: UnsafeMutablePointer<Float>) {
        trialIndex = 0
        stepInTrial = 0
        startTrial()
        _ = advance(2)
        observe(into: observation)
    }

    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) -> StepOutcome {
        let trialEnded = advance(action)
        observe(into: observation)
        return StepOutcome(reward: lastReward, trialEnded: trialEnded)
    }

    /// The observation of the current trial's target and the current position.
    public func observe(into observation: UnsafeMutablePointer<Float>) {
        for i in 0..<Self.ringSize {
            observation[i] = target[i]
            observation[Self.ringSize + i] = Self.unit(theta[i], at: position)
        }
    }

    /// The observation for a given ground truth and position, without an environment
    /// (for checking recorded observations).
    public static func observation(groundTruth: Double, position: Double, into observation: UnsafeMutablePointer<Float>) {
        for i in 0..<ringSize {
            observation[i] = unit(unitAngles[i], at: groundTruth)
            observation[ringSize + i] = unit(unitAngles[i], at: position)
        }
    }

    /// A ring unit's activity: cos(θ_i − angle) in float64, rounded to Float.
    @inline(__always)
    private static func unit(_ thetaI: Double, at angle: Double) -> Float {
        Float(cos(thetaI - angle))
    }

    /// NeuroGym's `new_trial`: position back to π, a new ground truth, new target units.
    /// It does not touch `performance`.
    private func startTrial() {
        position = Double.pi
        let gt = nextGroundTruth()
        precondition(gt >= 0 && gt < Self.twoPi, "Reaching1D ground truth \(gt) is outside [0, 2π)")
        groundTruth = gt
        // The per-step ground-truth array is int64, so NeuroGym stores trunc(gt) (docs/spec/environments.md §4).
        groundTruthInt = Int(gt)
        stepInTrial = 0
        trialIndex += 1
        for i in 0..<Self.ringSize { target[i] = Self.unit(theta[i], at: gt) }
    }

    /// Steps 1–5 of docs/spec/environments.md §4: move, reward, performance, and the trial boundary.
    /// Sets `lastReward` and returns whether this step closed the trial.
    private func advance(_ action: Int) -> Bool {
        if action == 1 {
            position = position + Self.stepSize
        } else if action == 2 {
            position = position - Self.stepSize
        }
        position = Self.npmod(position, Self.twoPi)
        positionForReward = position

        let gtInt = groundTruthInt
        rewardGroundTruth = gtInt
        let distance = abs(position - Double(gtInt))
        let circularDistance = min(distance, Self.twoPi - distance)
        let reward = max(correctReward - circularDistance, failReward)
        lastReward = reward
        performance = performance
            + ((reward - failReward) / (correctReward - failReward)) / Double(Self.stepsPerTrial)

        stepInTrial += 1
        guard stepInTrial == Self.stepsPerTrial else { return false }
        // Boundary step: reward and gt came from the old trial; the move is thrown away (docs/spec/environments.md §6.10).
        lastTrialPerformance = performance
        startTrial()
        performance = 0
        return true
    }

    /// numpy's float `mod`: fmod, shifted into [0, m) for a positive m; an exact zero becomes +0.
    @inline(__always)
    static func npmod(_ v: Double, _ m: Double) -> Double {
        var r = fmod(v, m)
        if r != 0 {
            if r < 0 { r = r + m }
        } else {
            r = 0
        }
        return r
    }
}

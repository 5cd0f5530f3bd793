/// What one `step` returns besides the observation (which is written into a caller's buffer,
/// so stepping never allocates).
public struct StepOutcome: Equatable, Sendable {
    public var reward: Double
    /// The task's own end (pole fell, goal reached). Gymnasium's `terminated`.
    public var terminated: Bool
    /// Cut off by the step limit. Gymnasium's `truncated`.
    public var truncated: Bool
    /// For continuing tasks (Reaching1D): this step closed a trial (NeuroGym's `info["new_trial"]`).
    public var trialEnded: Bool

    public init(reward: Double, terminated: Bool = false, truncated: Bool = false, trialEnded: Bool = false) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.trialEnded = trialEnded
    }
}

/// When the reward that a rule learns from arrives.
public enum RewardTiming: String, Sendable, Codable {
    /// Reward at every step, learning at every step (Reaching1D): RPE r_t − r̄, r̄ restarted per trial.
    case immediate
    /// Learning once per episode from the undiscounted return (CartPole, Acrobot): RPE (R − R̄)/|R|.
    case delayed
}

/// The static facts about an environment that a network and a trainer need.
public struct EnvironmentInfo: Sendable, Equatable {
    public var name: String
    public var observationSize: Int
    public var actionCount: Int
    public var rewardTiming: RewardTiming
    /// Episodes end at a trial boundary rather than at termination/truncation; `reset` is called once.
    public var continuing: Bool
    /// Gymnasium's TimeLimit `max_episode_steps` (nil: none).
    public var maxEpisodeSteps: Int?

    public init(name: String, observationSize: Int, actionCount: Int, rewardTiming: RewardTiming,
                continuing: Bool = false, maxEpisodeSteps: Int? = nil) {
        self.name = name
        self.observationSize = observationSize
        self.actionCount = actionCount
        self.rewardTiming = rewardTiming
        self.continuing = continuing
        self.maxEpisodeSteps = maxEpisodeSteps
    }
}

/// An environment shaped like Gymnasium's: `reset` gives the first observation,
/// `step(action)` the next observation, reward, terminated, truncated.
/// Actions are 0-based integers in 0..<actionCount. Observations are Float32, as in Gymnasium.
/// The step limit is not the environment's business: `TimeLimit` wraps it, as in Gymnasium.
public protocol Environment: AnyObject {
    var info: EnvironmentInfo { get }
    /// Draws a start state from the environment's own random stream and writes the observation.
    func reset(observation: UnsafeMutablePointer<Float>) throws
    /// Applies `action` (already checked to be in range) and writes the next observation.
    /// Environments written as scripts throw `ScriptError` when the script fails.
    func step(_ action: Int, observation: UnsafeMutablePointer<Float>) throws -> StepOutcome
}

/// Gymnasium's TimeLimit wrapper: `truncated` once `maxEpisodeSteps` steps have been taken since reset.
public final class TimeLimit: Environment {
    public let inner: Environment
    public let maxEpisodeSteps: Int
    public private(set) var elapsed = 0

    public init(_ inner: Environment, maxEpisodeSteps: Int) {
        self.inner = inner
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    public var info: EnvironmentInfo {
        var i = inner.info
        i.maxEpisodeSteps = maxEpisodeSteps
        return i
    }

    public func reset(observation: UnsafeMutablePointer<Float>) throws {
        elapsed = 0
        try inner.reset(observation: observation)
    }

    /// Restarts the step count without touching the inner environment (for tests that set a state).
    public func restartClock() { elapsed = 0 }

    @inline(__always)
    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) throws -> StepOutcome {
        var outcome = try inner.step(action, observation: observation)
        elapsed += 1
        if elapsed >= maxEpisodeSteps { outcome.truncated = true }
        return outcome
    }
}

/// A Float32 buffer for an environment's observations (NaN until written).
public final class ObservationBuffer {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: .nan, count: count)
    }

    deinit { pointer.deallocate() }

    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

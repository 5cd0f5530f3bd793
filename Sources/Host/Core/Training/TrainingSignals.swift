/// What the trainer knows about the run at this moment, for rules that want more than the reward
/// prediction error: the raw reward, the return, the baseline, the step and episode counts. The
/// trainer writes it with plain stores every step (no allocation); a rule reads it from
/// `RuleContext.signals` whenever it likes (scripts: `ctx.signals`). Native rules may ignore it.
///
/// The values live in one fixed buffer (`values`), so the stores are unchecked memory writes.
public final class TrainingSignals {
    /// The signals, as stored. A `nil` is kept as a flag beside the number, so that nothing is boxed.
    public struct Values: Sendable, Equatable {
        /// The last step's raw reward (0 before the episode's first step).
        public var reward = 0.0
        /// The return so far in this episode (the sum of its rewards, including the last step's).
        public var episodeReturn = 0.0
        /// The finished episode's return; meaningful when `hasFinalReturn` (set once the episode's
        /// last step is taken, cleared when the next episode begins).
        public var finalReturn = 0.0
        public var hasFinalReturn = false
        /// The trainer's reward average before and after its update at the last reward time, and the
        /// prediction error it handed to `learn`; meaningful when `hasBaseline` (never, for a rule
        /// that computes its own δ; not before the first reward time).
        public var baseline = 0.0
        public var baselineAfter = 0.0
        public var rpe = 0.0
        public var hasBaseline = false
        /// The 1-based step of the episode being taken (in `act`) or just taken (in `learn`);
        /// 0 in `begin_episode`. At an episode's end `learn`, the episode's length.
        public var step = 0
        /// The 1-based episode (trial, for continuing tasks), and the run's number of episodes.
        public var episode = 0
        public var episodes = 0
        /// Gymnasium's flags of the last step (false before the episode's first step).
        public var terminated = false
        public var truncated = false

        public init() {}
    }

    public let values: UnsafeMutablePointer<Values>

    public init(episodes: Int = 0) {
        values = .allocate(capacity: 1)
        values.initialize(to: Values())
        values.pointee.episodes = episodes
    }

    deinit {
        values.deinitialize(count: 1)
        values.deallocate()
    }

    /// A copy of the current values.
    public var current: Values { values.pointee }

    public var finalReturn: Double? { values.pointee.hasFinalReturn ? values.pointee.finalReturn : nil }
    public var baseline: Double? { values.pointee.hasBaseline ? values.pointee.baseline : nil }
    public var baselineAfter: Double? { values.pointee.hasBaseline ? values.pointee.baselineAfter : nil }
    public var rpe: Double? { values.pointee.hasBaseline ? values.pointee.rpe : nil }

    /// The signal names scripts can read, in documentation order.
    public static let names = ["reward", "episode_return", "final_return", "baseline", "baseline_after", "rpe",
                               "step", "episode", "episodes", "terminated", "truncated"]
}

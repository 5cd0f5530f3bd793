/// Watches a run from inside the episode loop: each step's observation and chosen action, and each
/// δ handed to the rule. For diagnostics that must see what the rule saw (`RuleAlignment`); normal
/// training has none, and the loop then pays one nil check per step.
public protocol TrainingObserver: AnyObject {
    /// Before the rule's `beginEpisode` (1-based episode of this trainer's loop).
    func episodeWillBegin(_ episode: Int) throws
    /// After the rule chose `action` for `observation` (valid until the environment steps).
    func ruleActed(_ action: Int, observation: UnsafePointer<Float>)
    /// After the rule's `learn(rpe:)` returned; `rpe` is what it was handed (the raw reward or return
    /// for a rule without the trainer's baseline).
    func ruleLearned(rpe: Double) throws
}

/// How one run of a lanes sweep ended: what `Trainer.run` returns or throws for the same spec.
public struct LaneRunOutcome: Sendable {
    public var episodesCompleted: Int
    public var steps: Int
    /// Mean return of the last 50 episodes (or of all, if fewer).
    public var finalPerformance: Double?
    /// The weights after the last episode, in `LayerMatrices` order.
    public var finalWeights: [Float]
    /// Why the run stopped early: what the trainer would have thrown (after recording that episode),
    /// or, on the single-run path, any error of the run (a script's, a session's).
    public var error: (any Error)?
}

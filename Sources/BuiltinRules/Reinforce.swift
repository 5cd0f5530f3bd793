import NRLCore

/// The exact-gradient baseline "BP" (docs/spec/rules.md §4 "eq. 19"): REINFORCE with the RPE as advantage and
/// plain SGD. Clean pass; action sampled from π.
/// - Delayed tasks: ΔW_l = η δ Σ_t ∇_{W_l} log π(a_t|s_t), once per episode.
/// - Immediate tasks: ΔW_l = η δ_t ∇_{W_l} log π(a_t|s_t) every step.
final class Reinforce: LearningRule {
    private let network: Network
    private let learningRate: Double
    private let pass: ForwardPass
    private let backprop: Backprop
    private var actionRandom: Xoshiro256
    /// Σ_t ∇ log π(a_t|s_t) over the episode (delayed tasks).
    private let gradientSum: LayerMatrices?
    private var lastAction = 0

    init(_ context: RuleContext) {
        network = context.network
        learningRate = context.parameters.real("lr")
        pass = network.makePass()
        backprop = Backprop(shape: network.shape)
        actionRandom = context.actionRandom
        gradientSum = context.learnsEveryStep ? nil : LayerMatrices(shape: network.shape)
    }

    func beginEpisode() {}

    @inline(__always)
    func act(_ observation: UnsafePointer<Float>) -> Int {
        network.forward(observation, into: pass)
        let action = pass.sample(&actionRandom)
        if let gradientSum {
            backprop.addLogProbabilityGradient(pass, weights: network.weights, action: action, into: gradientSum, scale: 1)
        }
        lastAction = action
        return action
    }

    func learn(rpe: Double) {
        let scale = learningRate * rpe
        if let gradientSum {
            network.weights.add(gradientSum, scale: scale, scaling: .paper)
            gradientSum.zero()
        } else {
            backprop.addLogProbabilityGradient(pass, weights: network.weights, action: lastAction,
                                               into: network.weights, scale: scale)
        }
    }

    static let descriptor = RuleDescriptor(
        name: "bp",
        summary: "REINFORCE with exact gradients by backpropagation and plain SGD (the paper's BP baseline)",
        parameters: [CommonParameters.learningRate(5e-3), CommonParameters.gamma],
        defaults: { env in PaperDefaults.defaults(env) { ($0.bpLearningRate, nil) } },
        make: { Reinforce($0) }
    )
}

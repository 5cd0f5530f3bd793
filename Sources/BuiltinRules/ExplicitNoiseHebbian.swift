import NRLCore

/// Reward-modulated Hebbian learning with explicit node noise (docs/spec/rules.md §4 "eq. 20"), and node
/// perturbation (§6), which is the same rule with the step divided by σ².
/// One noisy pass; the action is sampled from π̃.
/// - Delayed tasks: e_l += ξ_l x̃_{l−1}ᵀ; ΔW_l = g · δ · e_l at the end of the episode.
/// - Immediate tasks: ΔW_l = g · δ_t · ξ_l x̃_{l−1}ᵀ every step.
/// with g = η (RMHL) or η/σ² (NP).
final class ExplicitNoiseHebbian: LearningRule {
    private let network: Network
    private let gain: Double
    private let sigma: Double
    private let noisy: ForwardPass
    private var noiseRandom: Xoshiro256
    private var actionRandom: Xoshiro256
    private let trace: LayerMatrices?

    init(_ context: RuleContext, dividesBySigmaSquared: Bool) {
        network = context.network
        sigma = context.parameters.real("sigma")
        let lr = context.parameters.real("lr")
        gain = dividesBySigmaSquared ? lr / (sigma * sigma) : lr
        noisy = network.makePass()
        noiseRandom = context.noiseRandom
        actionRandom = context.actionRandom
        trace = context.learnsEveryStep ? nil : LayerMatrices(shape: network.shape)
    }

    func beginEpisode() {}

    @inline(__always)
    func act(_ observation: UnsafePointer<Float>) -> Int {
        network.forwardNoisy(observation, into: noisy, sigma: sigma, &noiseRandom)
        trace?.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: 1)
        return noisy.sample(&actionRandom)
    }

    func learn(rpe: Double) {
        let scale = gain * rpe
        if let trace {
            network.weights.add(trace, scale: scale, scaling: .paper)
            trace.zero()
        } else {
            network.weights.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: scale)
        }
    }

    static let rmhl = RuleDescriptor(
        name: "rmhl",
        summary: "reward-modulated Hebbian learning with explicit node noise: δ · ξ · presynaptic activity",
        parameters: [CommonParameters.learningRate(5e-2), CommonParameters.sigma(1e-3), CommonParameters.gamma],
        defaults: { env in PaperDefaults.defaults(env) { ($0.rmhlLearningRate, $0.rmhlSigma) } },
        make: { ExplicitNoiseHebbian($0, dividesBySigmaSquared: false) }
    )

    /// Not in the paper: η = 1e-3 and σ = 0.1 on every task, the best of η ∈ {1e-5, 1e-4, 1e-3} ×
    /// σ ∈ {0.01, 0.1} on CartPole (3,000 episodes, seed 3).
    static let nodePerturbation = RuleDescriptor(
        name: "np",
        summary: "node perturbation (Williams 1992; Fiete & Seung 2006): η/σ² · δ · ξ · presynaptic activity",
        parameters: [CommonParameters.learningRate(1e-3), CommonParameters.sigma(0.1), CommonParameters.gamma],
        defaults: { env in PaperDefaults.defaults(env) { _ in (1e-3, 0.1) } },
        make: { ExplicitNoiseHebbian($0, dividesBySigmaSquared: true) }
    )
}

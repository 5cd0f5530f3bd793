import NRLCore

/// Weight perturbation (docs/spec/rules.md §6; Jabri & Flower 1992, Cauwenberghs 1993): ψ ~ N(0, σ²) for every
/// weight, held for the whole episode (drawn afresh each step on immediate-reward tasks); act with
/// W + ψ, then ΔW = η/σ² · δ · ψ.
final class WeightPerturbation: LearningRule {
    private let network: Network
    private let learningRate: Double
    private let sigma: Double
    private let perturbation: LayerMatrices
    private let perturbed: LayerMatrices
    private let pass: ForwardPass
    private var noiseRandom: Xoshiro256
    private var actionRandom: Xoshiro256
    private let redrawEveryStep: Bool

    init(_ context: RuleContext) {
        network = context.network
        learningRate = context.parameters.real("lr")
        sigma = context.parameters.real("sigma")
        perturbation = LayerMatrices(shape: network.shape)
        perturbed = LayerMatrices(shape: network.shape)
        pass = network.makePass()
        noiseRandom = context.noiseRandom
        actionRandom = context.actionRandom
        redrawEveryStep = context.learnsEveryStep
    }

    /// ψ afresh, and W + ψ.
    private func perturb() {
        perturbation.fillNormal(sigma: sigma, &noiseRandom)
        perturbed.copy(from: network.weights)
        perturbed.add(perturbation, scale: 1, scaling: .paper)
    }

    func beginEpisode() {
        if !redrawEveryStep { perturb() }
    }

    func act(_ observation: UnsafePointer<Float>) -> Int {
        if redrawEveryStep { perturb() }
        pass.compute(perturbed, observation: observation, noisy: false)
        return pass.sample(&actionRandom)
    }

    func learn(rpe: Double) {
        network.weights.add(perturbation, scale: learningRate / (sigma * sigma) * rpe, scaling: .paper)
    }

    /// Not in the paper: η = 1e-3 and σ = 0.1 per weight on every task, the best of η ∈ {1e-5, 1e-4, 1e-3}
    /// × σ ∈ {0.01, 0.1} on CartPole (3,000 episodes, seed 3).
    static let descriptor = RuleDescriptor(
        name: "wp",
        summary: "weight perturbation: act with W + ψ for an episode, then η/σ² · δ · ψ",
        parameters: [CommonParameters.learningRate(1e-3), CommonParameters.sigma(0.1, "standard deviation σ of the weight perturbation ψ"), CommonParameters.gamma],
        defaults: { env in PaperDefaults.defaults(env) { _ in (1e-3, 0.1) } },
        make: { WeightPerturbation($0) }
    )
}

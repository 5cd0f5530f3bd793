import NRLCore

/// Noise-based reward-modulated learning (docs/spec/rules.md §3). Each step: a clean pass, a noisy pass with
/// node noise on every layer, the action sampled from the clean policy, and
/// Δ = log π̃(a) − log π(a).
/// - Delayed tasks: Δ · ξ_l/‖ξ‖² · x̃_{l−1}ᵀ accumulates in a trace applied at the episode's end.
/// - Immediate tasks (Reaching): ΔW_l = η δ_t Δ ξ_l/‖ξ_l‖² x_{l−1}ᵀ every step (layer-own norm, clean input).
final class NRL: LearningRule {
    private let network: Network
    private let learningRate: Double
    private let sigma: Double
    private let clean: ForwardPass
    private let noisy: ForwardPass
    private var noiseRandom: Xoshiro256
    private var actionRandom: Xoshiro256
    /// Delayed form.
    private let trace: NodeNoiseTrace?
    private let scaling: StepScaling
    /// Continuous form: Δ of the last step.
    private var lastChange = 0.0

    init(_ context: RuleContext) {
        network = context.network
        learningRate = context.parameters.real("lr")
        sigma = context.parameters.real("sigma")
        clean = network.makePass()
        noisy = network.makePass()
        noiseRandom = context.noiseRandom
        actionRandom = context.actionRandom
        scaling = StepScaling(rawValue: context.parameters.choice("scaling"))!
        trace = context.learnsEveryStep ? nil : NodeNoiseTrace(shape: network.shape, scaling: scaling)
    }

    func beginEpisode() {}

    @inline(__always)
    func act(_ observation: UnsafePointer<Float>) -> Int {
        network.forward(observation, into: clean)
        noisy.drawNoise(sigma: sigma, &noiseRandom)
        noisy.computeNoisy(sharingFirstLayerWith: clean, network.weights)
        let action = clean.sample(&actionRandom)
        let change = noisy.logProbability(of: action) - clean.logProbability(of: action)
        if let trace {
            trace.accumulate(logProbabilityChange: change, noisy: noisy)
        } else {
            lastChange = change
        }
        return action
    }

    func learn(rpe: Double) {
        if let trace {
            trace.apply(to: network.weights, learningRate: learningRate, rpe: rpe)
            return
        }
        network.weights.addNoiseOuterProducts(noiseOf: noisy, inputsOf: clean, scale: learningRate * rpe * lastChange,
                                              normalization: .layer, scaling: scaling)
    }

    static let descriptor = RuleDescriptor(
        name: "nrl",
        summary: "noise-based reward-modulated learning: clean + noisy pass, Δlog π(a) · node noise · presynaptic activity",
        parameters: [
            CommonParameters.learningRate(5e-2), CommonParameters.sigma(1e-3), CommonParameters.gamma,
            StepScaling.parameter,
        ],
        defaults: { env in PaperDefaults.defaults(env) { ($0.nrlLearningRate, $0.nrlSigma) } },
        make: { NRL($0) }
    )
}

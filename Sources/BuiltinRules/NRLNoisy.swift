import Foundation
import NRLCore

/// NRL with noisy passes only (docs/spec/rules.md §5): the clean pass is replaced by the average of K truly
/// noisy passes, π̄ = (1/K) Σ_k π̃⁽ᵏ⁾ (probabilities, not log-probabilities). The action is sampled
/// from π̄; one further noisy pass gives ξ, x̃ and Δ = log π̃(a) − log π̄(a); the rest is delayed NRL.
/// (The authors' code runs its K passes without noise, which makes it plain NRL; these are noisy.)
final class NRLNoisy: LearningRule {
    private let network: Network
    private let learningRate: Double
    private let sigma: Double
    private let approximating: [ForwardPass]
    private let noisy: ForwardPass
    private let averageProbabilities: UnsafeMutablePointer<Double>
    private var noiseRandom: Xoshiro256
    private var actionRandom: Xoshiro256
    private let trace: NodeNoiseTrace

    init(_ context: RuleContext) throws {
        guard !context.learnsEveryStep else {
            throw ParameterError("nrl-noisy is defined for delayed-reward tasks (cartpole, acrobot), not '\(context.environment.name)'")
        }
        network = context.network
        learningRate = context.parameters.real("lr")
        sigma = context.parameters.real("sigma")
        approximating = (0..<context.parameters.integer("passes")).map { _ in context.network.makePass() }
        noisy = network.makePass()
        averageProbabilities = .allocate(capacity: network.shape.outputSize)
        averageProbabilities.initialize(repeating: 0, count: network.shape.outputSize)
        noiseRandom = context.noiseRandom
        actionRandom = context.actionRandom
        trace = NodeNoiseTrace(shape: network.shape, scaling: StepScaling(rawValue: context.parameters.choice("scaling"))!)
    }

    deinit { averageProbabilities.deallocate() }

    func beginEpisode() {}

    func act(_ observation: UnsafePointer<Float>) -> Int {
        let outputs = network.shape.outputSize
        averageProbabilities.update(repeating: 0, count: outputs)
        for pass in approximating {
            network.forwardNoisy(observation, into: pass, sigma: sigma, &noiseRandom)
            for k in 0..<outputs { averageProbabilities[k] += pass.probabilities[k] }
        }
        let k = Double(approximating.count)
        for i in 0..<outputs { averageProbabilities[i] /= k }
        network.forwardNoisy(observation, into: noisy, sigma: sigma, &noiseRandom)
        let action = Categorical.sample(averageProbabilities, count: outputs, &actionRandom)
        let change = noisy.logProbability(of: action) - log(averageProbabilities[action])
        trace.accumulate(logProbabilityChange: change, noisy: noisy)
        return action
    }

    func learn(rpe: Double) {
        trace.apply(to: network.weights, learningRate: learningRate, rpe: rpe)
    }

    static let descriptor = RuleDescriptor(
        name: "nrl-noisy",
        summary: "NRL whose clean pass is the average of K noisy passes (paper §5; delayed tasks only)",
        parameters: [
            CommonParameters.learningRate(5e-2), CommonParameters.sigma(1e-3), CommonParameters.gamma,
            StepScaling.parameter,
            ParameterSpec("passes", .integer(2...1_000), default: .integer(2), help: "K, the number of noisy passes averaged"),
        ],
        defaults: { env in PaperDefaults.defaults(env) { ($0.nrlLearningRate, $0.nrlSigma) } },
        make: { try NRLNoisy($0) }
    )
}

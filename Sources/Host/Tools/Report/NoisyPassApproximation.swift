import NRLCore
import Foundation

/// The paper's Figure 4 side measure: how well the average of K noisy passes stands in for the clean
/// pass. On Acrobot, with the paper's network (1×64, Xavier from seed 42) and σ = 1e-3, the clean
/// policy acts for `steps` steps; at each step the mean absolute difference between the clean π and
/// π̄ = (1/K) Σ_k π̃⁽ᵏ⁾ is taken over the actions, then averaged over the steps.
public struct NoisyPassApproximation: Sendable {
    public struct Row: Sendable {
        public var passes: Int
        public var meanAbsoluteDifference: Double
    }

    public var environment = "acrobot"
    public var steps = 500
    public var sigma = 1e-3
    public var rows: [Row] = []

    public static func measure(passes: [Int] = [2, 10], steps: Int = 500, sigma: Double = 1e-3, seed: UInt64 = 42) throws -> NoisyPassApproximation {
        var result = NoisyPassApproximation(steps: steps, sigma: sigma)
        for k in passes {
            let env = try EnvironmentRegistry.builtin.make("acrobot", seed: seed)
            let shape = NetworkShape(inputs: env.info.observationSize, hidden: 64, layers: 1, outputs: env.info.actionCount)
            let network = Network(shape: shape)
            var weights = RandomStream.weights.generator(seed: 42)
            network.initializeXavier(&weights)
            var noise = RandomStream.noise.generator(seed: seed), actions = RandomStream.actions.generator(seed: seed)
            let clean = network.makePass()
            let noisy = (0..<k).map { _ in network.makePass() }
            let observation = ObservationBuffer(count: shape.inputSize)
            try env.reset(observation: observation.pointer)
            var total = 0.0
            for _ in 0..<steps {
                network.forward(observation.pointer, into: clean)
                var difference = 0.0
                for a in 0..<shape.outputSize {
                    var mean = 0.0
                    for pass in noisy {
                        if a == 0 { network.forwardNoisy(observation.pointer, into: pass, sigma: sigma, &noise) }
                        mean += pass.probabilities[a]
                    }
                    difference += abs(clean.probabilities[a] - mean / Double(k))
                }
                total += difference / Double(shape.outputSize)
                let outcome = try env.step(clean.sample(&actions), observation: observation.pointer)
                if outcome.terminated || outcome.truncated { try env.reset(observation: observation.pointer) }
            }
            result.rows.append(Row(passes: k, meanAbsoluteDifference: total / Double(steps)))
        }
        return result
    }

    public var table: ReportTable {
        ReportTable(headers: ["noisy passes K", "mean |π − π̄_K| over \(steps) steps"],
                    rows: rows.map { ["\($0.passes)", String(format: "%.2e", $0.meanAbsoluteDifference)] }, numeric: [0, 1])
    }

    public var explanation: String {
        "How closely the average of K noisy passes (σ = \(sigma)) follows the clean policy on \(environment) (1×64, Xavier weights from seed 42, acting on the clean policy): the mean absolute difference of the action probabilities over \(steps) steps — the paper's Figure 4 measure for NRL with noisy passes only."
    }
}

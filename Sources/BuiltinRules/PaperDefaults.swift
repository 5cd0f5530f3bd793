import NRLCore

/// The paper's Table 2 (docs/spec/rules.md §7): per task, the network width, the episode count, and the
/// learning rate and noise level of each rule. γ = 0.66 everywhere.
enum PaperDefaults {
    struct Row {
        let hidden: Int
        let episodes: Int
        let bpLearningRate: Double
        let nrlLearningRate: Double
        let nrlSigma: Double
        let rmhlLearningRate: Double
        let rmhlSigma: Double
    }

    static func row(_ environment: String) -> Row? {
        switch environment {
        case "acrobot":
            return Row(hidden: 64, episodes: 8_000, bpLearningRate: 5e-3, nrlLearningRate: 5e-2, nrlSigma: 1e-3,
                       rmhlLearningRate: 5e-2, rmhlSigma: 1e-3)
        case "cartpole":
            return Row(hidden: 64, episodes: 20_000, bpLearningRate: 5e-3, nrlLearningRate: 5e-2, nrlSigma: 1e-3,
                       rmhlLearningRate: 1e-2, rmhlSigma: 1e-1)
        case "reaching":
            return Row(hidden: 128, episodes: 1_000, bpLearningRate: 1e-2, nrlLearningRate: 1e-2, nrlSigma: 1e-3,
                       rmhlLearningRate: 1e-1, rmhlSigma: 1e-1)
        default:
            return nil
        }
    }

    /// Defaults for `environment` from the row, with the rule's learning rate and noise picked by `pick`.
    static func defaults(_ environment: String, _ pick: (Row) -> (lr: Double, sigma: Double?)) -> RuleDefaults {
        guard let row = row(environment) else { return RuleDefaults() }
        let (lr, sigma) = pick(row)
        var parameters: [String: ParameterValue] = ["lr": .real(lr)]
        if let sigma { parameters["sigma"] = .real(sigma) }
        return RuleDefaults(parameters: parameters, hidden: row.hidden, episodes: row.episodes)
    }
}

/// Parameters every builtin rule shares.
enum CommonParameters {
    static func learningRate(_ value: Double) -> ParameterSpec {
        ParameterSpec("lr", .real(ParameterSpec.nonNegative), default: .real(value), help: "learning rate η")
    }
    static func sigma(_ value: Double, _ help: String = "standard deviation σ of the node noise") -> ParameterSpec {
        ParameterSpec("sigma", .real(ParameterSpec.positive), default: .real(value), help: help)
    }
    static let gamma = ParameterSpec("gamma", .real(RealBounds(min: 0, max: 1)), default: .real(0.66),
                                     help: "reward-average rate γ: r̄ ← r̄ + γ(r − r̄)")
}

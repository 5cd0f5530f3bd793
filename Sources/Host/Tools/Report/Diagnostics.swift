import NRLCore
import Foundation

// MARK: Gradient alignment

/// The update estimators compared by `GradientAlignment`, one per rule family.
public enum AlignmentEstimator: String, CaseIterable, Sendable {
    /// REINFORCE: (R(a) − b) ∇_W log π(a), a ~ π.
    case bp
    /// NRL: (R(a) − b) · Δ · ξ/‖ξ‖² ⊗ x̃, Δ = log π̃(a) − log π(a), a ~ π (clean).
    case nrl
    /// RMHL / node perturbation: (R(a) − b) · ξ ⊗ x̃, a ~ π̃ (they differ only by the factor 1/σ²).
    case nodePerturbation = "rmhl/np"
    /// Weight perturbation: (R(a) − b) · ψ, ψ ~ N(0, σ²) per weight, a ~ π(W + ψ).
    case weightPerturbation = "wp"

    public var title: String {
        switch self {
        case .bp: return "bp"
        case .nrl: return "nrl"
        case .nodePerturbation: return "rmhl / np"
        case .weightPerturbation: return "wp"
        }
    }

    public var formula: String {
        switch self {
        case .bp: return "(R(a) − J) ∇log π(a), a ~ π"
        case .nrl: return "(R(a) − J) Δ ξ/‖ξ‖² ⊗ x̃, a ~ π"
        case .nodePerturbation: return "(R(a) − J) ξ ⊗ x̃, a ~ π̃"
        case .weightPerturbation: return "(R(a) − J) ψ, a ~ π(W + ψ)"
        }
    }
}

public struct AlignmentSettings: Sendable {
    public var environments = ["cartpole", "acrobot", "reaching"]
    /// States per environment.
    public var states = 20
    /// Sample counts M at which the cosine is taken (each a prefix of the same samples).
    public var sampleCounts = [100, 1_000, 10_000]
    /// NRL's node noise (the paper's σ).
    public var nrlSigma = 1e-3
    /// RMHL / NP node noise.
    public var nodeSigma = 0.1
    /// WP weight noise (the `wp` rule's default).
    public var weightSigma = 0.1
    public var seed: UInt64 = 42
    /// Hidden units of the one hidden layer per environment (the paper's widths).
    public var widths: [String: Int] = ["cartpole": 64, "acrobot": 64, "reaching": 128]
    public var estimators = AlignmentEstimator.allCases

    public init() {}

    public func sigma(_ e: AlignmentEstimator) -> Double? {
        switch e {
        case .bp: return nil
        case .nrl: return nrlSigma
        case .nodePerturbation: return nodeSigma
        case .weightPerturbation: return weightSigma
        }
    }
}

/// One estimator on one environment: the cosine with the exact gradient at each M.
public struct AlignmentRow: Sendable {
    public var environment: String
    public var shape: NetworkShape
    public var estimator: AlignmentEstimator
    public var sigma: Double?
    public var sampleCounts: [Int]
    /// cosines[k][state]: whole network (all weights concatenated), at sampleCounts[k].
    public var cosines: [[Double]]
    /// layerCosines[k][layer]: mean over states of each layer's own cosine.
    public var layerCosines: [[Double]]
    /// Time spent on this estimator, all states and samples.
    public var seconds: Double

    public var meanCosine: [Double] { cosines.map { Statistics.mean($0) ?? .nan } }
    public var sdCosine: [Double] { cosines.map { Statistics.sampleStandardDeviation($0) ?? 0 } }

    /// Samples an unbiased estimator would need for a cosine of 0.9, extrapolated from the largest
    /// M: with per-sample noise-to-signal ratio k, cos² ≈ M/(M + k), so k = M(1/cos² − 1).
    /// Nil when the cosine there is not positive. (A biased estimator never gets there.)
    public var samplesForCosine09: Double? {
        guard let m = sampleCounts.last, let c = meanCosine.last, c > 0, c.isFinite else { return nil }
        let k = Double(m) * (1 / (c * c) - 1)
        return k / (1 / 0.81 - 1)
    }
}

public struct AlignmentReport: Sendable {
    public var settings: AlignmentSettings
    public var rows: [AlignmentRow]
    public var seconds: Double
}

/// How well each rule family's expected update points along the true gradient, measured on a toy
/// objective at real states. At a state s (from the real environment under random actions), with a
/// fresh Xavier network of the paper's width, every action gets a fixed random reward R(a) ~ N(0, 1);
/// J = Σ_a π(a|s) R(a), whose exact gradient is ∇J = Σ_a π(a)(R(a) − J) ∇log π(a) (backprop).
/// Each estimator averages M samples with the baseline b = J; the report is the cosine between the
/// estimate and ∇J over all weights (and per layer), averaged over states.
public enum GradientAlignment {
    public static func measure(_ settings: AlignmentSettings = AlignmentSettings()) throws -> AlignmentReport {
        let start = Date()
        let envs = settings.environments
        let results = try WorkerPool.map(count: envs.count, jobs: ProcessInfo.processInfo.activeProcessorCount) { i in
            try measure(environment: envs[i], settings: settings)
        }
        return AlignmentReport(settings: settings, rows: results.flatMap { $0 }, seconds: Date().timeIntervalSince(start))
    }

    /// The states of `environment` the diagnostic uses: observations met under uniformly random
    /// actions, one every few steps, resetting when an episode ends.
    public static func states(environment: String, count: Int, seed: UInt64) throws -> [[Float]] {
        let builtin = EnvironmentRegistry.builtin
        guard builtin.canonicalName(environment) != nil else {
            throw UsageError("the gradient-alignment diagnostic needs a builtin environment (\(builtin.ids.joined(separator: ", "))), got '\(environment)'")
        }
        let env = try builtin.make(environment, seed: seed)
        let info = env.info, n = info.observationSize
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { observation.deallocate() }
        try env.reset(observation: observation)
        var random = RandomStream.actions.generator(seed: seed)
        // Continuing tasks (Reaching's 300-step trials): space the states to cover several trials.
        let spacing = info.continuing ? 47 : 7
        var states: [[Float]] = []
        var step = 0
        while states.count < count {
            let outcome = try env.step(Int(random.next() % UInt64(info.actionCount)), observation: observation)
            step += 1
            if !info.continuing && (outcome.terminated || outcome.truncated) {
                try env.reset(observation: observation)
                continue
            }
            if step % spacing == 0 { states.append(Array(UnsafeBufferPointer(start: observation, count: n))) }
        }
        return states
    }

    public static func measure(environment: String, settings: AlignmentSettings) throws -> [AlignmentRow] {
        let registration = try EnvironmentRegistry.builtin.registration(environment)
        let info = registration.info, name = registration.id
        let counts = settings.sampleCounts.sorted()
        guard let maxSamples = counts.last, counts.first! >= 1 else { throw UsageError("sample counts must be positive") }
        let states = try Self.states(environment: name, count: settings.states, seed: settings.seed)
        let shape = NetworkShape(inputs: info.observationSize, hidden: settings.widths[name] ?? 64, layers: 1, outputs: info.actionCount)
        let network = Network(shape: shape)
        var weightRandom = RandomStream.weights.generator(seed: settings.seed)
        network.initializeXavier(&weightRandom)
        let weights = network.weights
        let actions = shape.outputSize

        let clean = network.makePass(), noisy = network.makePass(), perturbedPass = network.makePass()
        let backprop = Backprop(shape: shape)
        let exact = LayerMatrices(shape: shape), estimate = LayerMatrices(shape: shape)
        let psi = LayerMatrices(shape: shape), perturbed = LayerMatrices(shape: shape)
        let perAction = (0..<actions).map { _ in LayerMatrices(shape: shape) }
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: shape.inputSize)
        defer { observation.deallocate() }

        var cos = [AlignmentEstimator: [[Double]]](), layerSums = [AlignmentEstimator: [[Double]]]()
        var seconds = [AlignmentEstimator: Double]()
        for e in settings.estimators {
            cos[e] = Array(repeating: [], count: counts.count)
            layerSums[e] = Array(repeating: Array(repeating: 0, count: shape.layerCount), count: counts.count)
        }
        let envSalt = StableHashSeed.of(name)

        for (index, state) in states.enumerated() {
            state.withUnsafeBufferPointer { observation.update(from: $0.baseAddress!, count: shape.inputSize) }
            clean.compute(weights, observation: observation, noisy: false)
            var rewardRandom = Xoshiro256(seed: envSalt ^ (settings.seed &* 0x9E37_79B9_7F4A_7C15) &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
            let reward = (0..<actions).map { _ in Gaussian.sample(&rewardRandom) }
            let objective = (0..<actions).reduce(0.0) { $0 + clean.probabilities[$1] * reward[$1] }
            exact.zero()
            for a in 0..<actions {
                perAction[a].zero()
                backprop.addLogProbabilityGradient(clean, weights: weights, action: a, into: perAction[a], scale: 1)
                exact.add(perAction[a], scale: Float(clean.probabilities[a] * (reward[a] - objective)))
            }
            func advantage(_ a: Int) -> Double { reward[a] - objective }

            for estimator in settings.estimators {
                let began = DispatchTime.now().uptimeNanoseconds
                defer { seconds[estimator, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - began) * 1e-9 }
                // Independent streams per (environment, state, estimator).
                let base = envSalt ^ (settings.seed &* 0xBF58_476D_1CE4_E5B9) &+ UInt64(index) &* 0x94D0_49BB_1331_11EB
                    &+ UInt64(AlignmentEstimator.allCases.firstIndex(of: estimator)!) &* 0x2545_F491_4F6C_DD1D
                var noiseRandom = RandomStream.noise.generator(seed: base)
                var actionRandom = RandomStream.actions.generator(seed: base)
                var next = 0
                estimate.zero()
                var coefficients = [Double](repeating: 0, count: actions)
                func snapshot(_ m: Int) {
                    guard next < counts.count, m == counts[next] else { return }
                    if estimator == .bp {
                        estimate.zero()
                        for a in 0..<actions { estimate.add(perAction[a], scale: Float(coefficients[a])) }
                    }
                    cos[estimator]![next].append(cosine(estimate, exact, layer: nil))
                    for l in 0..<shape.layerCount { layerSums[estimator]![next][l] += cosine(estimate, exact, layer: l) }
                    next += 1
                }
                switch estimator {
                case .bp:
                    // ∇log π(a) depends only on a at a fixed state: count the advantage each action collects.
                    for m in 1...maxSamples {
                        let a = clean.sample(&actionRandom)
                        coefficients[a] += advantage(a)
                        snapshot(m)
                    }
                case .nrl:
                    for m in 1...maxSamples {
                        noisy.drawNoise(sigma: settings.nrlSigma, &noiseRandom)
                        noisy.computeNoisy(sharingFirstLayerWith: clean, weights)
                        let a = clean.sample(&actionRandom)
                        let change = noisy.logProbability(of: a) - clean.logProbability(of: a)
                        estimate.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: advantage(a) * change,
                                                       normalization: .network)
                        snapshot(m)
                    }
                case .nodePerturbation:
                    for m in 1...maxSamples {
                        noisy.drawNoise(sigma: settings.nodeSigma, &noiseRandom)
                        noisy.computeNoisy(sharingFirstLayerWith: clean, weights)
                        let a = noisy.sample(&actionRandom)
                        estimate.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: advantage(a), normalization: .none)
                        snapshot(m)
                    }
                case .weightPerturbation:
                    for m in 1...maxSamples {
                        psi.fillNormal(sigma: settings.weightSigma, &noiseRandom)
                        perturbed.copy(from: weights)
                        perturbed.add(psi, scale: 1)
                        perturbedPass.compute(perturbed, observation: observation, noisy: false)
                        let a = perturbedPass.sample(&actionRandom)
                        estimate.add(psi, scale: Float(advantage(a)))
                        snapshot(m)
                    }
                }
            }
        }
        let n = Double(states.count)
        return settings.estimators.map { e in
            AlignmentRow(environment: name, shape: shape, estimator: e, sigma: settings.sigma(e), sampleCounts: counts,
                         cosines: cos[e]!, layerCosines: layerSums[e]!.map { $0.map { $0 / n } }, seconds: seconds[e] ?? 0)
        }
    }

    /// cos(a, b) over every weight (layer nil) or over one layer's weights, in Double.
    public static func cosine(_ a: LayerMatrices, _ b: LayerMatrices, layer: Int?) -> Double {
        let shape = a.shape
        let (start, count) = layer.map { (shape.weightOffsets[$0], shape.inputs($0) * shape.outputs($0)) } ?? (0, shape.weightCount)
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in start..<(start + count) {
            let x = Double(a.values[i]), y = Double(b.values[i])
            ab += x * y; aa += x * x; bb += y * y
        }
        guard aa > 0, bb > 0 else { return 0 }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }
}

/// FNV-1a of a name, for seeding per-environment streams.
enum StableHashSeed {
    static func of(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

// MARK: Cost card

/// What a builtin rule costs per step and what an update needs to know.
public struct RuleCost: Sendable {
    public var rule: String
    /// Forward passes per environment step.
    public var passes: String
    /// Other work per step or per episode.
    public var otherWork: String
    /// Persistent per-weight memory beyond the weights, as a multiple of the weight count (delayed-reward tasks).
    public var traceMultiple: Int
    public var traceNote: String
    /// What an update of W_l[i][j] needs.
    public var locality: String
    /// Whether that is local: activity at the synapse plus global scalars, no backpropagated errors.
    public var isLocal: Bool
}

public enum CostCard {
    /// The builtin rules (rules.md) as implemented in BuiltinRules.
    public static let builtin: [RuleCost] = [
        RuleCost(rule: "nrl", passes: "2 (clean + noisy; the noisy pass reuses the clean W₁x)",
                 otherWork: "N Gaussian draws (node noise), one outer product per layer",
                 traceMultiple: 1, traceNote: "eligibility trace e (delayed tasks); none on immediate tasks",
                 locality: "pre-synaptic activity x̃ⱼ, post-synaptic noise ξᵢ; global scalars Δlog π(a)/‖ξ‖² (each step) and δ (reward time)",
                 isLocal: true),
        RuleCost(rule: "nrl-noisy", passes: "K + 1 noisy passes (K = passes)",
                 otherWork: "(K + 1)·N Gaussian draws, one outer product per layer",
                 traceMultiple: 1, traceNote: "eligibility trace e",
                 locality: "as nrl, with Δ against the average of the K noisy policies", isLocal: true),
        RuleCost(rule: "rmhl", passes: "1 noisy pass", otherWork: "N Gaussian draws, one outer product per layer",
                 traceMultiple: 1, traceNote: "trace Σ ξ x̃ᵀ (delayed tasks); none on immediate tasks",
                 locality: "pre-synaptic activity x̃ⱼ, post-synaptic noise ξᵢ; one global scalar δ", isLocal: true),
        RuleCost(rule: "np", passes: "1 noisy pass", otherWork: "as rmhl (update scaled by η/σ²)",
                 traceMultiple: 1, traceNote: "as rmhl",
                 locality: "pre-synaptic activity x̃ⱼ, post-synaptic noise ξᵢ; one global scalar δ", isLocal: true),
        RuleCost(rule: "wp", passes: "1 pass with W + ψ",
                 otherWork: "a weight copy W + ψ and one Gaussian per weight each episode (each step on immediate tasks)",
                 traceMultiple: 2, traceNote: "ψ and the perturbed weights W + ψ",
                 locality: "the weight's own perturbation ψᵢⱼ; one global scalar δ (no activity at all)", isLocal: true),
        RuleCost(rule: "bp", passes: "1 clean pass + 1 backward pass",
                 otherWork: "errors ε_l = f′(a_l) ⊙ W_(l+1)ᵀ ε_(l+1), one outer product per layer",
                 traceMultiple: 1, traceNote: "gradient sum Σ ∇log π (delayed tasks); none on immediate tasks",
                 locality: "backpropagated errors εᵢ (each needs the transposed weights of every layer above), pre-synaptic xⱼ; global scalar δ",
                 isLocal: false),
    ]

    /// The paper's networks, for absolute float counts: (environment, shape).
    public static let paperShapes: [(String, NetworkShape)] = [
        ("cartpole", NetworkShape(inputs: 4, hidden: 64, layers: 1, outputs: 2)),
        ("acrobot", NetworkShape(inputs: 6, hidden: 64, layers: 1, outputs: 3)),
        ("reaching", NetworkShape(inputs: 32, hidden: 128, layers: 1, outputs: 3)),
    ]
}

/// The diagnostics section of a report.
public struct Diagnostics: Sendable {
    public var alignment: AlignmentReport?
    public var noisyPasses: NoisyPassApproximation?
    /// Each rule of the store against BP's exact update, at checkpoints of a run (`RuleAlignment`).
    public var ruleAlignment: RuleAlignmentSection?
    public var costs: [RuleCost]

    public init(alignment: AlignmentReport?, noisyPasses: NoisyPassApproximation? = nil,
                ruleAlignment: RuleAlignmentSection? = nil, costs: [RuleCost] = CostCard.builtin) {
        self.alignment = alignment
        self.noisyPasses = noisyPasses
        self.ruleAlignment = ruleAlignment
        self.costs = costs
    }

    /// The diagnostics for an experiment run on `environments`: the toy gradient-alignment table for
    /// the builtin ones among them (none: no table), the noisy-pass measure when Acrobot is one of
    /// them (it is measured there), and the cost card.
    public static func compute(environments: [String], settings: AlignmentSettings = AlignmentSettings()) throws -> Diagnostics {
        let builtin = EnvironmentRegistry.builtin
        let present = Set(environments.compactMap { builtin.isProvided($0) ? nil : builtin.canonicalName($0) })
        var settings = settings
        settings.environments = settings.environments.filter { builtin.canonicalName($0).map(present.contains) ?? false }
        return Diagnostics(alignment: settings.environments.isEmpty ? nil : try GradientAlignment.measure(settings),
                           noisyPasses: present.contains("acrobot") ? try NoisyPassApproximation.measure() : nil)
    }
}

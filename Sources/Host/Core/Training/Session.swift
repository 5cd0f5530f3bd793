import Foundation
/// One run's objects, built from its spec: seeded streams, the network, the environment, the rule.
public final class Session {
    public let spec: RunSpec
    public let network: Network
    public let environment: Environment
    public let rule: LearningRule
    /// Learning every step (from r_t − r̄) or once per episode (from the return).
    public let learnsEveryStep: Bool
    /// Whether the trainer computes the reward prediction error (false: the rule gets raw rewards
    /// or returns and computes its own δ).
    public let usesBaseline: Bool
    /// What the trainer writes every step for the rule to read.
    public let signals: TrainingSignals

    public init(spec: RunSpec, plugins: Plugins) throws {
        switch spec.parameters["gamma"] {
        case nil, .real(0...1)?, .integer(0...1)?: break
        case let other?: throw UsageError("parameter 'gamma' is the reward-average rate, a number in [0, 1]; got \(other)")
        }
        let descriptor = try plugins.rules.descriptor(spec.rule)
        let registration = try plugins.environments.registration(spec.environment)
        try Self.checkScripts(of: spec, rule: descriptor.source, environment: registration.source)
        let environment = try plugins.environments.make(registration, seed: spec.seed, parameters: spec.environmentParameters)
        let info = environment.info
        try Self.checkNetworkFits(inputs: info.observationSize, hidden: spec.hidden, layers: spec.layers,
                                  outputs: info.actionCount, limits: spec.limits)
        let shape = NetworkShape(inputs: info.observationSize, hidden: spec.hidden, layers: spec.layers, outputs: info.actionCount)
        network = Network(shape: shape)
        var weightRandom = RandomStream.weights.generator(seed: spec.initSeed)
        network.initializeXavier(&weightRandom)
        learnsEveryStep = descriptor.schedule.learnsEveryStep(on: info)
        usesBaseline = descriptor.baseline
        signals = TrainingSignals(episodes: max(1, spec.episodes))
        let context = RuleContext(
            network: network, environment: info, parameters: spec.parameters,
            noiseRandom: RandomStream.noise.generator(seed: spec.seed),
            actionRandom: RandomStream.actions.generator(seed: spec.seed),
            scriptRandom: RandomStream.script.generator(seed: spec.seed),
            learnsEveryStep: learnsEveryStep, signals: signals, usesBaseline: usesBaseline)
        do {
            rule = try descriptor.make(context)
        } catch let e as ParameterError {
            throw UsageError(e.description)
        }
        self.spec = spec
        self.environment = environment
    }

    /// Bytes a network costs per weight, counted generously: the weights and the rule's matrices of
    /// the same shape (traces, gradients, a perturbation), Float32 each.
    public static let bytesPerWeight = 16

    /// Refuses a network too big for the memory limit (`--max-memory`, or the machine's memory when
    /// there is none) before anything is allocated: sizes inside their ranges can still multiply to
    /// a terabyte (hidden = 65536 with 64 layers).
    /// A spec names its scripts by content hash; a script whose text is no longer the one the spec
    /// was resolved from (edited during a sweep) would run something other than what the run's key
    /// says, so the run stops with a message instead.
    static func checkScripts(of spec: RunSpec, rule: ScriptSource?, environment: ScriptSource?) throws {
        for (expected, loaded) in [(spec.ruleScriptHash, rule), (spec.environmentScriptHash, environment)] {
            guard let expected, let loaded, loaded.hash != expected else { continue }
            throw UsageError("\(loaded.path) changed since the run was planned (its content hash is no longer \(expected.prefix(12))…); run the command again to plan runs of the new version")
        }
    }

    public static func checkNetworkFits(inputs: Int, hidden: Int, layers: Int, outputs: Int, limits: ScriptLimits) throws {
        let sizes = [inputs] + Array(repeating: hidden, count: min(max(layers, 0), 1 << 20)) + [outputs]
        var weights = 0, overflow = layers > 1 << 20
        for l in 0..<(sizes.count - 1) where !overflow {
            let (layer, o1) = sizes[l].multipliedReportingOverflow(by: sizes[l + 1])
            let (sum, o2) = weights.addingReportingOverflow(layer)
            weights = sum
            overflow = o1 || o2
        }
        let (bytes, o3) = weights.multipliedReportingOverflow(by: bytesPerWeight)
        let limit = limits.memoryBytes > 0 ? limits.memoryBytes : Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard overflow || o3 || bytes > limit else { return }
        let need = overflow || o3 ? "more weights than can be counted" : "\(weights) weights (about \(describeBytes(bytes)) with the rule's matrices)"
        let against = limits.memoryBytes > 0 ? "the memory limit of \(limits.memoryBytes >> 20) MB (--max-memory)" : "this machine's memory"
        throw UsageError("a network of \(layers) hidden layer\(layers == 1 ? "" : "s") of \(hidden) units needs \(need), more than \(against); use fewer or smaller layers (--hidden, --layers) or raise --max-memory")
    }

    private static func describeBytes(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// `gamma` of the reward average (0.66 unless the rule declares it).
    public var gamma: Double {
        switch spec.parameters["gamma"] {
        case .real(let v)?: return v
        case .integer(let v)?: return Double(v)
        default: return 0.66
        }
    }
}

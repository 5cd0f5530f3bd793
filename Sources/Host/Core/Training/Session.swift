/// One run's objects, built from its spec: seeded streams, the network, the environment, the rule.
public final class Session {
    public let spec: RunSpec
    public let network: Network
    public let environment: Environment
    public let rule: LearningRule
    /// Learning every step (from r_t − r̄) or once per episode (from the return).
    public let learnsEveryStep: Bool

    public init(spec: RunSpec, plugins: Plugins) throws {
        switch spec.parameters["gamma"] {
        case nil, .real(0...1)?, .integer(0...1)?: break
        case let other?: throw UsageError("parameter 'gamma' is the reward-average rate, a number in [0, 1]; got \(other)")
        }
        let descriptor = try plugins.rules.descriptor(spec.rule)
        let environment = try plugins.environments.make(spec.environment, seed: spec.seed)
        let info = environment.info
        let shape = NetworkShape(inputs: info.observationSize, hidden: spec.hidden, layers: spec.layers, outputs: info.actionCount)
        network = Network(shape: shape)
        var weightRandom = RandomStream.weights.generator(seed: spec.initSeed)
        network.initializeXavier(&weightRandom)
        learnsEveryStep = descriptor.schedule.learnsEveryStep(on: info)
        let context = RuleContext(
            network: network, environment: info, parameters: spec.parameters,
            noiseRandom: RandomStream.noise.generator(seed: spec.seed),
            actionRandom: RandomStream.actions.generator(seed: spec.seed),
            scriptRandom: RandomStream.script.generator(seed: spec.seed),
            learnsEveryStep: learnsEveryStep)
        do {
            rule = try descriptor.make(context)
        } catch let e as ParameterError {
            throw UsageError(e.description)
        }
        self.spec = spec
        self.environment = environment
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

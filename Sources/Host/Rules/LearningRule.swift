/// A learning rule, as the trainer sees it. Each step the trainer asks it for an action; at reward
/// times (every step for immediate-reward tasks, once at the end of an episode for delayed ones) it
/// hands it the reward prediction error. The rule owns whatever traces it keeps.
public protocol LearningRule: AnyObject {
    /// Called before the first step of every episode (trial, for continuing tasks).
    func beginEpisode()
    /// The action (0-based) for `observation`; records what `learn` will need.
    func act(_ observation: UnsafePointer<Float>) -> Int
    /// Updates the weights from the reward prediction error δ.
    func learn(rpe: Double)
}

/// Everything a rule gets when a run starts.
public struct RuleContext {
    public let network: Network
    public let environment: EnvironmentInfo
    public let parameters: Parameters
    /// Stream for node/weight noise.
    public let noiseRandom: Xoshiro256
    /// Stream for action sampling.
    public let actionRandom: Xoshiro256

    public init(network: Network, environment: EnvironmentInfo, parameters: Parameters,
                noiseRandom: Xoshiro256, actionRandom: Xoshiro256) {
        self.network = network
        self.environment = environment
        self.parameters = parameters
        self.noiseRandom = noiseRandom
        self.actionRandom = actionRandom
    }

    /// Learning every step (immediate reward) or once per episode (delayed reward).
    public var learnsEveryStep: Bool { environment.rewardTiming == .immediate }
}

/// Defaults a rule proposes for one environment (the paper's Table 2 for the builtin rules).
public struct RuleDefaults: Sendable {
    public var parameters: [String: ParameterValue]
    public var hidden: Int?
    public var episodes: Int?

    public init(parameters: [String: ParameterValue] = [:], hidden: Int? = nil, episodes: Int? = nil) {
        self.parameters = parameters
        self.hidden = hidden
        self.episodes = episodes
    }
}

/// A rule plugin: its name, parameters, per-environment defaults and a factory.
public struct RuleDescriptor {
    public let name: String
    public let summary: String
    public let parameters: [ParameterSpec]
    /// Overrides of the parameter defaults (and network width, episode count) for an environment.
    public let defaults: (_ environment: String) -> RuleDefaults
    public let make: (RuleContext) throws -> LearningRule

    public init(name: String, summary: String, parameters: [ParameterSpec],
                defaults: @escaping (String) -> RuleDefaults = { _ in RuleDefaults() },
                make: @escaping (RuleContext) throws -> LearningRule) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.defaults = defaults
        self.make = make
    }

    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
}

/// The rules a host knows by name. `BuiltinRules` registers the native ones; adding a rule never
/// means editing the trainer.
public final class RuleRegistry {
    private var descriptors: [String: RuleDescriptor] = [:]
    private var order: [String] = []

    public init() {}

    public func register(_ descriptor: RuleDescriptor) {
        if descriptors[descriptor.name] == nil { order.append(descriptor.name) }
        descriptors[descriptor.name] = descriptor
    }

    public func descriptor(named name: String) -> RuleDescriptor? { descriptors[name] }

    /// Names in registration order.
    public var names: [String] { order }
    public var all: [RuleDescriptor] { order.compactMap { descriptors[$0] } }
}

/// A learning rule, as the trainer sees it. Each step the trainer asks it for an action; at reward
/// times (every step for immediate-reward tasks, once at the end of an episode for delayed ones) it
/// hands it the reward prediction error. The rule owns whatever traces it keeps.
public protocol LearningRule: AnyObject {
    /// Called before the first step of every episode (trial, for continuing tasks).
    func beginEpisode() throws
    /// The action (0-based) for `observation`; records what `learn` will need.
    func act(_ observation: UnsafePointer<Float>) throws -> Int
    /// Updates the weights from the reward prediction error δ (for a rule whose descriptor says
    /// `baseline: false`, the raw reward or the episode's return).
    func learn(rpe: Double) throws
    /// Custom per-episode metrics (scripts' `log(name, value)`), read once at the end of each episode.
    func takeEpisodeMetrics() -> [String: Double]
}

extension LearningRule {
    public func takeEpisodeMetrics() -> [String: Double] { [:] }
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
    /// Stream for a script's own randomness (`ctx.rng`, `math.random`).
    public let scriptRandom: Xoshiro256

    /// Learning every step (from r_t − r̄) or once per episode (from the return).
    public let learnsEveryStep: Bool
    /// What the trainer knows this step (raw reward, return, baseline, counts), updated in place.
    public let signals: TrainingSignals
    /// False for a rule that declared `baseline = false`: `learn` gets raw rewards or returns.
    public let usesBaseline: Bool

    public init(network: Network, environment: EnvironmentInfo, parameters: Parameters,
                noiseRandom: Xoshiro256, actionRandom: Xoshiro256, scriptRandom: Xoshiro256 = Xoshiro256(seed: 0),
                learnsEveryStep: Bool? = nil, signals: TrainingSignals = TrainingSignals(), usesBaseline: Bool = true) {
        self.signals = signals
        self.usesBaseline = usesBaseline
        self.network = network
        self.environment = environment
        self.parameters = parameters
        self.noiseRandom = noiseRandom
        self.actionRandom = actionRandom
        self.scriptRandom = scriptRandom
        self.learnsEveryStep = learnsEveryStep ?? (environment.rewardTiming == .immediate)
    }
}

/// When a rule learns.
public enum LearningSchedule: String, Sendable, CaseIterable, Codable {
    /// Every step on immediate-reward tasks, once per episode on delayed ones.
    case byTask = "auto"
    case everyStep = "step"
    case episodeEnd = "episode"

    public func learnsEveryStep(on environment: EnvironmentInfo) -> Bool {
        switch self {
        case .byTask: return environment.rewardTiming == .immediate
        case .everyStep: return true
        case .episodeEnd: return false
        }
    }
}

/// Defaults a rule proposes for one environment (the paper's Table 2 for the builtin rules).
public struct RuleDefaults: Sendable {
    public var parameters: [String: ParameterValue]
    public var hidden: Int?
    public var layers: Int?
    public var episodes: Int?

    public init(parameters: [String: ParameterValue] = [:], hidden: Int? = nil, layers: Int? = nil, episodes: Int? = nil) {
        self.parameters = parameters
        self.hidden = hidden
        self.layers = layers
        self.episodes = episodes
    }
}

/// A rule plugin: its name, parameters, per-environment defaults and a factory.
public struct RuleDescriptor: Sendable {
    public let name: String
    public let summary: String
    public let parameters: [ParameterSpec]
    /// Overrides of the parameter defaults (and network width, episode count) for an environment.
    public let defaults: @Sendable (_ environment: String) -> RuleDefaults
    public let schedule: LearningSchedule
    /// The environment the rule runs on when none is named (scripts may declare one).
    public let defaultEnvironment: String?
    /// The script file, for rules written in Lua.
    public let script: String?
    /// The script's text as loaded (what every run of this descriptor runs) and its hash.
    public let source: ScriptSource?
    /// Whether the trainer computes δ from its reward average (false: `learn` gets the raw reward,
    /// per step, or the episode's return, per episode).
    public let baseline: Bool
    public let make: @Sendable (RuleContext) throws -> LearningRule

    public init(name: String, summary: String, parameters: [ParameterSpec],
                defaults: @escaping @Sendable (String) -> RuleDefaults = { _ in RuleDefaults() },
                schedule: LearningSchedule = .byTask, defaultEnvironment: String? = nil, script: String? = nil,
                source: ScriptSource? = nil, baseline: Bool = true, make: @escaping @Sendable (RuleContext) throws -> LearningRule) {
        self.source = source
        self.baseline = baseline
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.defaults = defaults
        self.schedule = schedule
        self.defaultEnvironment = defaultEnvironment
        self.script = script
        self.make = make
    }

    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
}

/// The rules a host knows by name. `BuiltinRules` registers the native ones; adding a rule never
/// means editing the trainer.
public struct RuleRegistry: Sendable {
    private var descriptors: [String: RuleDescriptor] = [:]
    private var order: [String] = []

    public init() {}

    public mutating func register(_ descriptor: RuleDescriptor) {
        if descriptors[descriptor.name] == nil { order.append(descriptor.name) }
        descriptors[descriptor.name] = descriptor
    }

    public func descriptor(named name: String) -> RuleDescriptor? { descriptors[name] }

    /// The rule called `name`; a `UsageError` listing the known rules when there is none.
    public func descriptor(_ name: String) throws -> RuleDescriptor {
        guard let d = descriptors[name] else {
            throw UsageError("unknown rule '\(name)'; known rules: \(order.joined(separator: ", "))")
        }
        return d
    }

    /// Names in registration order.
    public var names: [String] { order }
    public var all: [RuleDescriptor] { order.compactMap { descriptors[$0] } }
}

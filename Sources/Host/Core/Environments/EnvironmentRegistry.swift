/// One environment a host can make by name, registered as Gymnasium registers an id: its facts, its
/// step limit (`max_episode_steps`, applied by the registry as `TimeLimit`) and a factory.
public struct EnvironmentRegistration: Sendable {
    /// The canonical name runs are recorded under ("cartpole", or a script's path).
    public let id: String
    /// Other names that select it, compared without case (Gymnasium/NeuroGym ids).
    public let aliases: [String]
    public let summary: String
    /// Observation size, action count, reward timing; `maxEpisodeSteps` is the registered step limit.
    public let info: EnvironmentInfo
    /// Network width and episode count the environment suggests for runs on it.
    public let defaults: EnvironmentDefaults
    /// The environment's own parameters (Gymnasium's keyword arguments; a script's `params`), set
    /// with `--set env.KEY=VALUE`.
    public let parameters: [ParameterSpec]
    /// A fresh environment drawing from `random` (the run's environment stream) with every declared
    /// parameter's value, without its TimeLimit.
    public let build: @Sendable (_ random: Xoshiro256, _ parameters: Parameters) throws -> Environment
    /// The script an environment written in a script language was loaded from (nil: a builtin).
    public let source: ScriptSource?
    /// Whether `env.KEY=VALUE` may name a parameter not in `parameters` (a Python task's keyword
    /// arguments): its value is kept as given (the text, for a command line's).
    public let acceptsUndeclaredParameters: Bool

    public init(id: String, aliases: [String] = [], summary: String, info: EnvironmentInfo,
                defaults: EnvironmentDefaults = EnvironmentDefaults(), make: @escaping @Sendable (Xoshiro256) throws -> Environment) {
        self.init(id: id, aliases: aliases, summary: summary, info: info, defaults: defaults, parameters: [],
                  build: { random, _ in try make(random) })
    }

    public init(id: String, aliases: [String] = [], summary: String, info: EnvironmentInfo,
                defaults: EnvironmentDefaults = EnvironmentDefaults(), parameters: [ParameterSpec], source: ScriptSource? = nil,
                acceptsUndeclaredParameters: Bool = false,
                build: @escaping @Sendable (Xoshiro256, Parameters) throws -> Environment) {
        self.source = source
        self.acceptsUndeclaredParameters = acceptsUndeclaredParameters
        self.id = id
        self.aliases = aliases
        self.summary = summary
        self.info = info
        self.defaults = defaults
        self.parameters = parameters
        self.build = build
    }

    /// A fresh environment drawing from `random`; parameters left out take their defaults.
    public func make(_ random: Xoshiro256, parameters: Parameters? = nil) throws -> Environment {
        try build(random, try resolve(parameters?.values ?? [:]))
    }

    /// Every declared parameter's value: the defaults, then `values` (each checked; an undeclared
    /// name is a `UsageError` listing the declared ones).
    public func resolve(_ values: [String: ParameterValue]) throws -> Parameters {
        try resolve(values.keys.sorted().map { ($0, values[$0]!) }, undeclared: { $0 }) { try $0.validate($1) }
    }

    /// Every declared parameter's value from `key=value` texts (the keys without their "env." prefix).
    public func resolve(settings: [(key: String, text: String)]) throws -> Parameters {
        try resolve(settings.map { ($0.key, $0.text) }, undeclared: { .choice($0) }) { try $0.parse($1) }
    }

    /// The defaults, then each given value as `accept` reads it for its parameter.
    private func resolve<T>(_ given: [(key: String, value: T)], undeclared: (T) -> ParameterValue,
                            _ accept: (ParameterSpec, T) throws -> ParameterValue) throws -> Parameters {
        var result: [String: ParameterValue] = [:]
        for p in parameters { result[p.name] = p.defaultValue }
        for (key, value) in given {
            guard let p = parameters.first(where: { $0.name == key }) else {
                guard acceptsUndeclaredParameters, !key.isEmpty else { throw unknownParameter(key) }
                result[key] = undeclared(value)
                continue
            }
            do { result[key] = try accept(p, value) } catch let e as ParameterError {
                throw UsageError("environment '\(id)': " + e.description)
            }
        }
        return Parameters(result)
    }

    private func unknownParameter(_ name: String) -> UsageError {
        guard !parameters.isEmpty else { return UsageError("environment '\(id)' has no parameter '\(name)'; it has no parameters") }
        return UsageError("environment '\(id)' has no parameter '\(name)'; its parameters: \(parameters.map(\.name).joined(separator: ", "))")
    }
}

/// What an environment suggests for runs on it (a rule's own defaults and the user's choices win).
public struct EnvironmentDefaults: Sendable, Equatable {
    public var hidden: Int?
    public var episodes: Int?
    public init(hidden: Int? = nil, episodes: Int? = nil) {
        self.hidden = hidden
        self.episodes = episodes
    }
}

/// A family of environments named by a pattern rather than one by one (".lua" files, later "gym:ID"):
/// the Lua bridge and other plugins add providers; the core knows none of them.
public struct EnvironmentProvider: Sendable {
    /// How the family is named, for messages ("a .lua file").
    public let description: String
    public let claims: @Sendable (_ name: String) -> Bool
    /// The registration for a claimed name (may read the environment's declaration).
    public let registration: @Sendable (_ name: String) throws -> EnvironmentRegistration

    public init(description: String, claims: @escaping @Sendable (String) -> Bool,
                registration: @escaping @Sendable (String) throws -> EnvironmentRegistration) {
        self.description = description
        self.claims = claims
        self.registration = registration
    }
}

/// The environments a host knows by name. Adding an environment never means editing the trainer.
public struct EnvironmentRegistry: Sendable {
    private var registrations: [String: EnvironmentRegistration] = [:]
    /// Lower-cased id or alias → id.
    private var names: [String: String] = [:]
    public private(set) var ids: [String] = []
    private var providers: [EnvironmentProvider] = []

    public init() {}

    public mutating func register(_ registration: EnvironmentRegistration) {
        if registrations[registration.id] == nil { ids.append(registration.id) }
        registrations[registration.id] = registration
        for name in [registration.id] + registration.aliases { names[name.lowercased()] = registration.id }
    }

    public mutating func add(_ provider: EnvironmentProvider) { providers.append(provider) }

    /// The registered environments, in registration order.
    public var all: [EnvironmentRegistration] { ids.compactMap { registrations[$0] } }

    /// The canonical name for `name` (an id, an alias in any case, or a name a provider claims), or nil.
    public func canonicalName(_ name: String) -> String? {
        if providers.contains(where: { $0.claims(name) }) { return name }
        return names[name.lowercased()]
    }

    /// The info of the registered environment `name` (an id or an alias); nil for a name only a provider claims.
    public func info(_ name: String) -> EnvironmentInfo? {
        names[name.lowercased()].flatMap { registrations[$0]?.info }
    }

    /// Whether `name` is one a provider claims (a script, say) rather than a registered id.
    public func isProvided(_ name: String) -> Bool { providers.contains { $0.claims(name) } }

    /// "cartpole, acrobot, reaching, or a .lua file", for messages.
    public var knownNames: String {
        let families = providers.map(\.description)
        guard !families.isEmpty else { return ids.joined(separator: ", ") }
        return (ids + ["or " + families.joined(separator: ", or ")]).joined(separator: ", ")
    }

    /// The registration `name` selects; a `UsageError` listing the known names when there is none.
    public func registration(_ name: String) throws -> EnvironmentRegistration {
        if let provider = providers.first(where: { $0.claims(name) }) { return try provider.registration(name) }
        guard let id = names[name.lowercased()], let r = registrations[id] else {
            throw UsageError("unknown environment '\(name)'; known environments: \(knownNames)")
        }
        return r
    }

    /// A fresh environment for `name` seeded from the run's environment stream under `seed`, wrapped
    /// in its registered TimeLimit (as `gym.make` does).
    public func make(_ name: String, seed: UInt64, parameters: Parameters? = nil) throws -> Environment {
        try make(try registration(name), seed: seed, parameters: parameters)
    }

    /// The same, for a registration already looked up.
    public func make(_ r: EnvironmentRegistration, seed: UInt64, parameters: Parameters? = nil) throws -> Environment {
        let env = try r.make(RandomStream.environment.generator(seed: seed), parameters: parameters)
        guard let limit = r.info.maxEpisodeSteps else { return env }
        return TimeLimit(env, maxEpisodeSteps: limit)
    }
}

extension EnvironmentRegistry {
    /// CartPole-v1, Acrobot-v1 and NeuroGym's Reaching1D-v0, bit-exact with the Python originals.
    public static let builtin: EnvironmentRegistry = {
        var r = EnvironmentRegistry()
        r.register(EnvironmentRegistration(
            id: "cartpole", aliases: ["CartPole-v1"],
            summary: "CartPole-v1: obs 4 (x, ẋ, θ, θ̇), 2 actions (push left, right); "
                + "reward +1 per step; ends when |x| > 2.4 or |θ| > 12°, truncated at 500 steps",
            info: CartPole.info, parameters: CartPole.parameters,
            build: { CartPole(rng: $0, suttonBartoReward: $1.boolean("sutton_barto_reward")) }))
        r.register(EnvironmentRegistration(
            id: "acrobot", aliases: ["Acrobot-v1"],
            summary: "Acrobot-v1: obs 6 (cos θ1, sin θ1, cos θ2, sin θ2, ω1, ω2), 3 actions (torque −1, 0, +1); "
                + "reward −1 per step until the tip swings above the bar; truncated at 500 steps",
            info: Acrobot.info, make: { Acrobot(rng: $0) }))
        r.register(EnvironmentRegistration(
            id: "reaching", aliases: ["Reaching1D", "Reaching1D-v0"],
            summary: "NeuroGym Reaching1D-v0: obs 32 (16 target + 16 self ring units), 3 actions (stay, left, right); "
                + "reward max(1 − distance to int(target), −0.1) every step; continuing, trials of 300 steps",
            info: Reaching1D.info, parameters: Reaching1D.parameters,
            build: { random, p in
                let correct = p.real("correct_reward"), fail = p.real("fail_reward")
                guard correct > fail else {
                    throw UsageError("environment 'reaching': correct_reward (\(correct)) must be above fail_reward (\(fail))")
                }
                return Reaching1D(rng: random, correctReward: correct, failReward: fail)
            }))
        return r
    }()
}

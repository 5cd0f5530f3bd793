import Foundation

/// The version written into every run's record.
public enum NRLHostVersion {
    public static let current = "0.3.0"
    /// The last version whose changes altered any run's returns; part of every run's key, so that
    /// a store's runs are re-run when the numbers they would give have changed. Bump it (to the
    /// version being released) with any change that alters numerics.
    public static let numerics = "0.2.0"

    /// The numerics a run recorded by `version` was computed with: `numerics` for any version since,
    /// the version itself for one before it.
    public static func numerics(of version: String) -> String {
        func parts(_ v: String) -> [Int] { v.split(separator: ".").map { Int($0) ?? 0 } }
        return parts(version).lexicographicallyPrecedes(parts(numerics)) ? version : numerics
    }
}

/// Everything that determines a run. The same spec gives bit-identical returns.
public struct RunSpec: Codable, Equatable, Sendable {
    public var rule: String
    public var environment: String
    public var episodes: Int
    /// Drives the environment, the noise and the action sampling.
    public var seed: UInt64
    /// Drives the initial weights (equal to `seed` unless set; the authors' code uses 42 in every run).
    public var initSeed: UInt64
    public var hidden: Int
    public var layers: Int
    public var parameters: Parameters
    /// The environment's parameters, every declared one present (nil: it declares none).
    public var environmentParameters: Parameters?
    /// The rule script, when the rule is one.
    public var script: String?
    /// SHA-256 of the rule script's text the run loaded (nil: a native rule, or a spec written
    /// before 0.3.0).
    public var ruleScriptHash: String?
    /// SHA-256 of the environment script's text (nil: a builtin environment).
    public var environmentScriptHash: String?
    /// Limits for scripts (rule and environment).
    public var limits: ScriptLimits
    public var version: String

    public init(rule: String, environment: String, episodes: Int, seed: UInt64, initSeed: UInt64,
                hidden: Int, layers: Int, parameters: Parameters, environmentParameters: Parameters? = nil, script: String? = nil,
                ruleScriptHash: String? = nil, environmentScriptHash: String? = nil,
                limits: ScriptLimits = .standard, version: String = NRLHostVersion.current) {
        self.ruleScriptHash = ruleScriptHash
        self.environmentScriptHash = environmentScriptHash
        self.environmentParameters = environmentParameters
        self.rule = rule
        self.environment = environment
        self.episodes = episodes
        self.seed = seed
        self.initSeed = initSeed
        self.hidden = hidden
        self.layers = layers
        self.parameters = parameters
        self.script = script
        self.limits = limits
        self.version = version
    }
}


/// What a user asks for: names, optional overrides, and `key=value` parameter settings.
public struct RunRequest: Sendable {
    public var rule: String
    public var environment: String
    public var episodes: Int?
    public var seed: UInt64
    public var initSeed: UInt64?
    public var hidden: Int?
    public var layers: Int?
    public var settings: [String]
    public var limits: ScriptLimits

    public init(rule: String, environment: String, episodes: Int? = nil, seed: UInt64 = 0, initSeed: UInt64? = nil,
                hidden: Int? = nil, layers: Int? = nil, settings: [String] = [], limits: ScriptLimits = .standard) {
        self.rule = rule
        self.environment = environment
        self.episodes = episodes
        self.seed = seed
        self.initSeed = initSeed
        self.hidden = hidden
        self.layers = layers
        self.settings = settings
        self.limits = limits
    }

    /// The rule parameters the user set with `key=value` (not the environment's `env.key=value`).
    public var explicitKeys: Set<String> {
        Set(settings.compactMap { s in s.firstIndex(of: "=").map { String(s[..<$0]).trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.hasPrefix(Self.environmentPrefix) })
    }

    /// Settings whose key starts with this set an environment parameter: `env.sutton_barto_reward=true`.
    public static let environmentPrefix = "env."

    /// Fills in every default (the rule's, then the rule's for this environment, then the user's) and
    /// checks every value.
    public func resolve(in plugins: Plugins) throws -> RunSpec {
        let descriptor = try plugins.rules.descriptor(rule)
        let registration = try plugins.environments.registration(environment)
        let env = registration.id
        let environmentDefaults = registration.defaults
        let defaults = descriptor.defaults(env)
        var values: [String: ParameterValue] = [:]
        for p in descriptor.parameters { values[p.name] = p.defaultValue }
        for (name, value) in defaults.parameters {
            guard let p = descriptor.parameter(name) else { continue }
            values[name] = try p.validate(value)
        }
        var environmentSettings: [(key: String, text: String)] = []
        for setting in settings {
            guard let eq = setting.firstIndex(of: "=") else {
                throw UsageError("--set takes key=value, got '\(setting)'")
            }
            let key = String(setting[..<eq]).trimmingCharacters(in: .whitespaces)
            let text = String(setting[setting.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix(Self.environmentPrefix) {
                environmentSettings.append((String(key.dropFirst(Self.environmentPrefix.count)), text))
                continue
            }
            guard let p = descriptor.parameter(key) else {
                let known = descriptor.parameters.map(\.name).joined(separator: ", ")
                throw UsageError("rule '\(descriptor.name)' has no parameter '\(key)'; its parameters: \(known)")
            }
            do { values[key] = try p.parse(text) } catch let e as ParameterError { throw UsageError(e.description) }
        }
        let environmentParameters = try registration.resolve(settings: environmentSettings)
        let hidden = self.hidden ?? defaults.hidden ?? environmentDefaults.hidden ?? 64
        let layers = self.layers ?? defaults.layers ?? 1
        let episodes = self.episodes ?? defaults.episodes ?? environmentDefaults.episodes ?? 1_000
        guard hidden >= 1 else { throw UsageError("--hidden must be at least 1, got \(hidden)") }
        guard layers >= 1 else { throw UsageError("--layers must be at least 1 (hidden layers), got \(layers)") }
        guard episodes >= 1 else { throw UsageError("--episodes must be at least 1, got \(episodes)") }
        return RunSpec(rule: descriptor.name, environment: env, episodes: episodes, seed: seed,
                       initSeed: initSeed ?? seed, hidden: hidden, layers: layers, parameters: Parameters(values),
                       environmentParameters: registration.parameters.isEmpty ? nil : environmentParameters, script: descriptor.script,
                       ruleScriptHash: descriptor.source?.hash, environmentScriptHash: registration.source?.hash, limits: limits)
    }
}

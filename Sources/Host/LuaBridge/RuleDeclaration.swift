import NRLCore
import Foundation

/// What a rule script declares:
///
///     return rule {
///       name = "nrl",
///       params = { lr = 5e-2, sigma = { 1e-3, min = 0, help = "node noise" },
///                  scaling = { "paper", choices = { "paper", "fan_out", "unbiased" } } },
///       learns = "auto",                          -- "step", "episode", or by the task ("auto")
///       env = "cartpole", hidden = 64, layers = 1, episodes = 20000,   -- optional run defaults
///       defaults = { reaching = { lr = 1e-2, hidden = 128, episodes = 1000 } },  -- per environment
///       setup = function(ctx) … end, begin_episode = function(ctx) … end,
///       act = function(ctx, obs) … return action end, learn = function(ctx, rpe) … end,
///     }
///
/// `Table` is the declaration as decoded (`LuaValueDecoder`: a field it does not have is an error);
/// the environment names are then resolved (`DeclarationResolver`, paths against the rule's folder)
/// and the per-environment parameter values checked against `params`.
struct RuleDeclaration {
    var name: String
    var summary: String
    var parameters: [ParameterSpec]
    var schedule: LearningSchedule
    /// The default environment: a registry id, or an environment script's path (resolved against
    /// the rule file's folder).
    var environment: String?
    var defaults: RuleDefaults
    /// By environment: registry ids and resolved script paths.
    var perEnvironment: [String: RuleDefaults]

    /// The table as the script declares it.
    struct Table: Decodable, DeclarationFieldUsage, DeclarationValidating {
        var name: String?
        var summary: String?
        var params: [String: Parameter]?
        var learns: LearningSchedule?
        var env: String?
        var hidden: Int?
        var layers: Int?
        var episodes: Int?
        var defaults: [String: Overrides]?
        var setup: LuaFunctionMarker?
        var beginEpisode: LuaFunctionMarker?
        var act: LuaFunctionMarker
        var learn: LuaFunctionMarker

        enum CodingKeys: String, CodingKey {
            case name, summary, params, learns, env, hidden, layers, episodes, defaults, setup
            case beginEpisode = "begin_episode"
            case act, learn
        }

        static let usage = [
            "act": "function(ctx, obs) returning an action", "learn": "function(ctx, rpe)",
            "setup": "function(ctx)", "begin_episode": "function(ctx)",
            "params": "{ name = default, … }", "defaults": "{ environment = { param = value, hidden =, layers =, episodes = } }",
        ]

        func validate(at path: FieldPath) throws {
            try Overrides.check(hidden: hidden, layers: layers, episodes: episodes, at: path)
        }
    }

    /// One entry of `params`: `name = default` or `name = { default, min =, max =, choices =, help = }`.
    struct Parameter: Decodable, DeclarationValidating {
        var value: LuaScalar
        var minimum: Double?
        var maximum: Double?
        var choices: [String]?
        var help: String?

        enum CodingKeys: String, CodingKey { case min, max, choices, help }

        static let forms = "a number or a string (or { default, min =, max =, choices =, help = })"

        init(from decoder: any Decoder) throws {
            guard case .table? = decoder.luaValue else {
                value = try decoder.expecting(Self.forms) { try decoder.singleValueContainer().decode(LuaScalar.self) }
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            minimum = try c.decodeIfPresent(Double.self, forKey: .min)
            maximum = try c.decodeIfPresent(Double.self, forKey: .max)
            choices = try c.decodeIfPresent([String].self, forKey: .choices)
            help = try c.decodeIfPresent(String.self, forKey: .help)
            var list = try decoder.unkeyedContainer()
            guard !list.isAtEnd else { throw decoder.fieldPath.error("must be \(Self.forms), got a table without a default") }
            value = try list.decode(LuaScalar.self)
        }

        func validate(at path: FieldPath) throws {
            // Checked before any range is made from them: a NaN or inverted bound would trap there.
            for (name, bound) in [("min", minimum), ("max", maximum)] where bound?.isNaN == true {
                throw path.problem("\(name) must be a number, got nan (0/0)")
            }
            let (low, high) = realBounds
            if low > high {
                throw path.problem(minimum != nil && maximum != nil ? "min \(low) is above max \(high)"
                                   : minimum != nil ? "min \(low) is above the largest number" : "max \(high) is below the smallest number")
            }
            if case .integer = value {
                let (low, high) = integerBounds
                if low > high {
                    throw path.problem("no integer lies between min \(minimum.map { "\($0)" } ?? "-") and max \(maximum.map { "\($0)" } ?? "\(Int32.max)")")
                }
            }
            switch value {
            case .string(let s):
                guard minimum == nil, maximum == nil else { throw path.problem("min and max are for numbers, but the default is \"\(s)\"") }
                if let choices, !choices.contains(s) { throw path.problem("default \"\(s)\" is not one of its choices") }
            case .integer(let i):
                guard choices == nil else { throw path.problem("choices are for strings, but the default is \(i)") }
                let range = integerRange
                guard range.contains(i) else { throw path.problem("default \(i) is outside \(range.lowerBound)...\(range.upperBound)") }
            case .real(let v):
                guard choices == nil else { throw path.problem("choices are for strings, but the default is \(v)") }
                guard v.isFinite, realRange.contains(v) else { throw path.problem("default \(v) is outside \(realRange)") }
            }
        }

        /// The bounds of integer values (minimum rounded up, maximum down); `validate` checks that
        /// they are in order before `integerRange` is made.
        private var integerBounds: (Int, Int) {
            let clamp = { (x: Double) in Int(max(-1e15, min(1e15, x))) }
            return (minimum.map { clamp($0.rounded(.up)) } ?? -Int(Int32.max), maximum.map { clamp($0.rounded(.down)) } ?? Int(Int32.max))
        }

        private var integerRange: ClosedRange<Int> { integerBounds.0...integerBounds.1 }

        private var realBounds: (Double, Double) {
            (minimum ?? -Double.greatestFiniteMagnitude, maximum ?? Double.greatestFiniteMagnitude)
        }

        private var realRange: ClosedRange<Double> { realBounds.0...realBounds.1 }

        /// The parameter's spec. Only Lua integers (1, 42) make integer parameters; 1.0 or 1e3 are real numbers.
        func spec(_ name: String) -> ParameterSpec {
            switch value {
            case .integer(let i): return ParameterSpec(name, .integer(integerRange), default: .integer(i), help: help ?? "")
            case .real(let v): return ParameterSpec(name, .real(realRange), default: .real(v), help: help ?? "")
            case .string(let s):
                if let choices { return ParameterSpec(name, .choice(choices), default: .choice(s), help: help ?? "") }
                return ParameterSpec(name, .text, default: .choice(s), help: help ?? "")
            }
        }
    }

    /// One entry of `defaults`: `envname = { param = value, hidden =, layers =, episodes = }`.
    struct Overrides: Decodable, DeclarationValidating {
        var hidden: Int?
        var layers: Int?
        var episodes: Int?
        /// The other fields: parameter values, checked against `params` once those are known.
        var parameters: [String: LuaScalar] = [:]

        static let shape: Set<String> = ["hidden", "layers", "episodes"]

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: FieldKey.self)
            hidden = try c.decodeIfPresent(Int.self, forKey: "hidden")
            layers = try c.decodeIfPresent(Int.self, forKey: "layers")
            episodes = try c.decodeIfPresent(Int.self, forKey: "episodes")
            for key in c.allKeys where !Self.shape.contains(key.stringValue) {
                parameters[key.stringValue] = try c.decode(LuaScalar.self, forKey: key)
            }
        }

        func validate(at path: FieldPath) throws {
            try Self.check(hidden: hidden, layers: layers, episodes: episodes, at: path)
        }

        static func check(hidden: Int?, layers: Int?, episodes: Int?, at path: FieldPath) throws {
            try path.field("hidden").check(hidden, in: 1...65_536)
            try path.field("layers").check(layers, in: 1...64)
            try path.field("episodes").check(episodes, in: 1...Int(Int32.max))
        }
    }

    init(_ d: Declaration, path: String) throws {
        let table = try d.decode(Table.self)
        let root = FieldPath(d.kind)
        name = table.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        summary = table.summary ?? "Lua rule \(path)"
        schedule = table.learns ?? .byTask
        parameters = (table.params ?? [:]).map { $0.value.spec($0.key) }.sorted { $0.name < $1.name }
        defaults = RuleDefaults(hidden: table.hidden, layers: table.layers, episodes: table.episodes)
        let resolver = DeclarationResolver(declaringFile: path, environments: .withScripts())
        do {
            environment = try table.env.map { try resolver.environment($0, at: root.field("env")).canonical }
            perEnvironment = try Self.perEnvironment(table.defaults ?? [:], parameters, resolver, at: root.field("defaults"))
        } catch let error as DeclarationError {
            throw error.located(at: d.site)
        }
    }

    /// `defaults` by environment (registry ids, script paths), each parameter checked against `params`.
    private static func perEnvironment(_ table: [String: Overrides], _ specs: [ParameterSpec], _ resolver: DeclarationResolver,
                                       at path: FieldPath) throws -> [String: RuleDefaults] {
        var result: [String: RuleDefaults] = [:], keyOf: [String: String] = [:]
        for key in table.keys.sorted() {
            let overrides = table[key]!, at = path.field(key)
            let env = try resolver.environment(key, at: at)
            if let other = keyOf[env.canonical] {
                throw path.problem("environment '\(key)' is listed twice (as '\(other)' and '\(key)')")
            }
            keyOf[env.canonical] = key
            let unknown = overrides.parameters.keys.filter { name in !specs.contains { $0.name == name } }
            guard unknown.isEmpty else { throw at.unknownFields(unknown, valid: Overrides.shape.sorted() + specs.map(\.name)) }
            var values = RuleDefaults(hidden: overrides.hidden, layers: overrides.layers, episodes: overrides.episodes)
            for (name, value) in overrides.parameters {
                let spec = specs.first { $0.name == name }!
                do { values.parameters[name] = try spec.parse(value.text) } catch let e as ParameterError {
                    throw at.field(name).problem(e.description)
                }
            }
            result[env.canonical] = values
        }
        return result
    }

    /// The defaults for `environment`: the top-level ones, then the environment's own.
    func defaults(for environment: String) -> RuleDefaults {
        var d = defaults
        // A script given by any path (relative to the current directory) finds the entry of its file.
        let key = ScriptEnvironment.isScript(environment) ? URL(fileURLWithPath: environment).standardized.path : environment
        if let e = perEnvironment[environment] ?? perEnvironment[key] {
            d.parameters.merge(e.parameters) { _, new in new }
            d.hidden = e.hidden ?? d.hidden
            d.layers = e.layers ?? d.layers
            d.episodes = e.episodes ?? d.episodes
        }
        return d
    }
}

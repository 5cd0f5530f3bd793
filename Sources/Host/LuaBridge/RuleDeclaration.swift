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
    /// False when the rule computes its own δ (`baseline = false`).
    var baseline: Bool
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
        var baseline: Bool?
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
            case name, summary, params, learns, baseline, env, hidden, layers, episodes, defaults, setup
            case beginEpisode = "begin_episode"
            case act, learn
        }

        static let usage = [
            "act": "function(ctx, obs) returning an action", "learn": "function(ctx, rpe)",
            "setup": "function(ctx)", "begin_episode": "function(ctx)",
            "params": "{ name = default, … }", "baseline": "true or false (false: learn gets raw rewards or returns)", "defaults": "{ environment = { param = value, hidden =, layers =, episodes = } }",
        ]

        func validate(at path: FieldPath) throws {
            try Overrides.check(hidden: hidden, layers: layers, episodes: episodes, at: path)
        }
    }

    /// One entry of `params`: `name = default` or
    /// `name = { default, min =, max =, above =, below =, integer = true, choices =, help = }`.
    /// Shared by rule and environment declarations.
    struct Parameter: Decodable, DeclarationValidating {
        var value: LuaScalar
        var minimum: Double?
        var maximum: Double?
        var above: Double?
        var below: Double?
        var integer: Bool?
        var choices: [String]?
        var help: String?

        enum CodingKeys: String, CodingKey { case min, max, above, below, integer, choices, help }

        static let forms = "a number, a string or a boolean (or { default, min =, max =, above =, below =, integer =, choices =, help = })"

        init(from decoder: any Decoder) throws {
            guard case .table? = decoder.luaValue else {
                value = try decoder.expecting(Self.forms) { try decoder.singleValueContainer().decode(LuaScalar.self) }
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            minimum = try c.decodeIfPresent(Double.self, forKey: .min)
            maximum = try c.decodeIfPresent(Double.self, forKey: .max)
            above = try c.decodeIfPresent(Double.self, forKey: .above)
            below = try c.decodeIfPresent(Double.self, forKey: .below)
            integer = try c.decodeIfPresent(Bool.self, forKey: .integer)
            choices = try c.decodeIfPresent([String].self, forKey: .choices)
            help = try c.decodeIfPresent(String.self, forKey: .help)
            var list = try decoder.unkeyedContainer()
            guard !list.isAtEnd else { throw decoder.fieldPath.error("must be \(Self.forms), got a table without a default") }
            value = try list.decode(LuaScalar.self)
        }

        /// Whether the parameter holds integers: a Lua integer default (1, 42), or `integer = true`
        /// with an integral default (1.0, 1e3).
        private var isInteger: Bool {
            switch value {
            case .integer: return true
            case .real(let v): return integer == true && v.rounded() == v && abs(v) < 1e15
            default: return false
            }
        }

        private var bounds: RealBounds { RealBounds(min: minimum, max: maximum, above: above, below: below) }

        func validate(at path: FieldPath) throws {
            // Checked before any range is made from them: a NaN or inverted bound would trap there.
            for (name, bound) in [("min", minimum), ("max", maximum), ("above", above), ("below", below)] where bound?.isNaN == true {
                throw path.problem("\(name) must be a number, got nan (0/0)")
            }
            if minimum != nil && above != nil { throw path.problem("give min (inclusive) or above (exclusive), not both") }
            if maximum != nil && below != nil { throw path.problem("give max (inclusive) or below (exclusive), not both") }
            let hasBounds = minimum != nil || maximum != nil || above != nil || below != nil
            for (name, bound) in [("min", minimum), ("above", above)] where bound == .infinity {
                throw path.problem("\(name) inf is above the largest number")
            }
            for (name, bound) in [("max", maximum), ("below", below)] where bound == -.infinity {
                throw path.problem("\(name) -inf is below the smallest number")
            }
            if bounds.isEmpty, let low = bounds.lower, let high = bounds.upper {
                let lowName = above != nil ? "above" : "min", highName = below != nil ? "below" : "max"
                let (l, h) = (RealBounds.format(low), RealBounds.format(high))
                throw path.problem(low > high ? "\(lowName) \(l) is above \(highName) \(h)" : "\(lowName) \(l) and \(highName) \(h) leave no number")
            }
            switch value {
            case .string(let s):
                guard !hasBounds else { throw path.problem("min, max, above and below are for numbers, but the default is \"\(s)\"") }
                guard integer == nil else { throw path.problem("integer is for numbers, but the default is \"\(s)\"") }
                if let choices, !choices.contains(s) { throw path.problem("default \"\(s)\" is not one of its choices") }
            case .boolean(let b):
                guard !hasBounds, integer == nil, choices == nil else {
                    throw path.problem("min, max, above, below, integer and choices are not for booleans, but the default is \(b)")
                }
            case .integer(let i):
                guard choices == nil else { throw path.problem("choices are for strings, but the default is \(i)") }
                if integer == false { throw path.problem("integer = false, but the default \(i) is an integer; write it \(i).0 for a real parameter") }
                try checkIntegerBounds(at: path)
                if let broken = bounds.violation(Double(i)) { throw path.problem("default \(i) must be \(broken)") }
                try checkIntegerDefault(i, at: path)
            case .real(let v):
                guard choices == nil else { throw path.problem("choices are for strings, but the default is \(v)") }
                if integer == true, !isInteger {
                    throw path.problem("integer = true, but the default \(LuaScalar.real(v).text) is not an integer")
                }
                guard v.isFinite else { throw path.problem("default \(v) is not a finite number") }
                if let broken = bounds.violation(v) { throw path.problem("default \(LuaScalar.real(v).text) must be \(broken)") }
                if isInteger {
                    try checkIntegerBounds(at: path)
                    try checkIntegerDefault(Int(v), at: path)
                }
            }
        }

        /// Some integer lies within the bounds (integers are limited to ±(2³¹ − 1) when unbounded).
        private func checkIntegerBounds(at path: FieldPath) throws {
            let (low, high) = integerBounds
            guard low > high else { return }
            let lowText = minimum.map { "min \(RealBounds.format($0))" } ?? above.map { "above \(RealBounds.format($0))" } ?? "min \(-Int(Int32.max))"
            let highText = maximum.map { "max \(RealBounds.format($0))" } ?? below.map { "below \(RealBounds.format($0))" } ?? "max \(Int(Int32.max))"
            throw path.problem("no integer lies between \(lowText) and \(highText)")
        }

        /// An integer default lies within the implicit ±(2³¹ − 1) too.
        private func checkIntegerDefault(_ i: Int, at path: FieldPath) throws {
            let (low, high) = integerBounds
            if i < low { throw path.problem("default \(i) must be ≥ \(low)") }
            if i > high { throw path.problem("default \(i) must be ≤ \(high)") }
        }

        /// The bounds of integer values: exclusive bounds become the next integer inside, inclusive
        /// ones are rounded inwards; `validate` checks that they are in order before a range is made.
        private var integerBounds: (Int, Int) {
            let clamp = { (x: Double) in Int(max(-1e15, min(1e15, x))) }
            var low = -Int(Int32.max), high = Int(Int32.max)
            if let minimum { low = clamp(minimum.rounded(.up)) }
            if let above { low = clamp(above.rounded(.down) + 1) }
            if let maximum { high = clamp(maximum.rounded(.down)) }
            if let below { high = clamp(below.rounded(.up) - 1) }
            return (low, high)
        }

        /// The parameter's spec. Lua integers (1, 42) make integer parameters, and so do integral
        /// floats (1.0, 1e3) with `integer = true`; other numbers make real parameters.
        func spec(_ name: String) -> ParameterSpec {
            let help = help ?? ""
            switch value {
            case .integer(let i): return ParameterSpec(name, .integer(integerBounds.0...integerBounds.1), default: .integer(i), help: help)
            case .real(let v) where isInteger:
                return ParameterSpec(name, .integer(integerBounds.0...integerBounds.1), default: .integer(Int(v)), help: help)
            case .real(let v): return ParameterSpec(name, .real(bounds), default: .real(v), help: help)
            case .boolean(let b): return ParameterSpec(name, .boolean, default: .boolean(b), help: help)
            case .string(let s):
                if let choices { return ParameterSpec(name, .choice(choices), default: .choice(s), help: help) }
                return ParameterSpec(name, .text, default: .choice(s), help: help)
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
        baseline = table.baseline ?? true
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

import NRLCore
import CLua
import CLuaShim
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
struct RuleDeclaration {
    var name: String
    var summary: String
    var parameters: [ParameterSpec]
    var schedule: LearningSchedule
    var environment: String?
    var defaults: RuleDefaults
    var perEnvironment: [String: RuleDefaults]

    init(_ d: Declaration, path: String) throws {
        name = try d.string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        summary = try d.string("summary") ?? "Lua rule \(path)"
        schedule = try d.choice("learns", LearningSchedule.allCases.map(\.rawValue)).flatMap(LearningSchedule.init) ?? .byTask
        if let env = try d.string("env") {
            let names = EnvironmentRegistry.withScripts()
            guard let canonical = names.canonicalName(env) else {
                throw d.failure("env = \"\(env)\" is not an environment; known: \(names.knownNames)")
            }
            environment = canonical
        }
        defaults = RuleDefaults(hidden: try d.integer("hidden", 1...65_536), layers: try d.integer("layers", 1...64),
                                episodes: try d.integer("episodes", 1...Int(Int32.max)))
        parameters = try Self.readParameters(d)
        perEnvironment = try Self.readPerEnvironment(d, parameters)
        for hook in ["act", "learn"] where d.push(hook) != LUA_TFUNCTION {
            defer { d.state.pop() }
            let usage = hook == "act" ? "function(ctx, obs) returning an action" : "function(ctx, rpe)"
            throw d.failure("rule needs \(hook) = \(usage), got \(d.state.describe(-1))")
        }
        d.state.pop()
    }

    /// params = { name = default | { default, min =, max =, choices =, help = } }
    private static func readParameters(_ d: Declaration) throws -> [ParameterSpec] {
        let s = d.state, L = s.L
        guard d.push("params") != LUA_TNIL else { s.pop(); return [] }
        defer { s.pop() }
        guard lua_type(L, -1) == LUA_TTABLE else { throw d.failure("params must be a table of name = default, got \(s.describe(-1))") }
        let table = s.top
        var specs: [ParameterSpec] = []
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            defer { s.pop() }
            guard lua_type(L, -2) == LUA_TSTRING else { throw d.failure("params: every key must be a name, got \(s.describe(-2))") }
            let name = String(cString: nrl_lua_tostring(L, -2))
            specs.append(try parameter(d, name: name))
        }
        return specs.sorted { $0.name < $1.name }
    }

    /// The parameter whose declaration is on top of the stack.
    private static func parameter(_ d: Declaration, name: String) throws -> ParameterSpec {
        let s = d.state, L = s.L
        var help = "", minimum: Double?, maximum: Double?, choices: [String]?
        let value: Int32
        if lua_type(L, -1) == LUA_TTABLE {
            let t = s.top
            if s.rawField(t, "help") == LUA_TSTRING { help = String(cString: nrl_lua_tostring(L, -1)) }
            s.pop()
            if s.rawField(t, "min") == LUA_TNUMBER { minimum = nrl_lua_tonumber(L, -1) }
            s.pop()
            if s.rawField(t, "max") == LUA_TNUMBER { maximum = nrl_lua_tonumber(L, -1) }
            s.pop()
            if s.rawField(t, "choices") == LUA_TTABLE {
                choices = (1...max(1, Int(lua_rawlen(L, -1)))).compactMap { k in
                    lua_rawgeti(L, -1, lua_Integer(k))
                    defer { s.pop() }
                    return lua_type(L, -1) == LUA_TSTRING ? String(cString: nrl_lua_tostring(L, -1)) : nil
                }
            }
            s.pop()
            lua_rawgeti(L, t, 1)
            value = s.top
        } else {
            lua_pushvalue(L, -1)
            value = s.top
        }
        defer { s.pop() }
        if let minimum, let maximum, minimum > maximum {
            throw d.failure("params.\(name): min \(minimum) is above max \(maximum)")
        }
        switch lua_type(L, value) {
        case LUA_TNUMBER:
            // Only Lua integers (1, 42) make integer parameters; 1.0 or 1e3 are real numbers.
            if nrl_lua_isinteger_value(L, value) != 0 {
                var isInteger: Int32 = 0
                let i = Int(nrl_lua_tointeger(L, value, &isInteger))
                let clamp = { (x: Double) in Int(max(-1e15, min(1e15, x.rounded()))) }
                let range = (minimum.map(clamp) ?? -Int(Int32.max))...(maximum.map(clamp) ?? Int(Int32.max))
                guard range.contains(i) else { throw d.failure("params.\(name): default \(i) is outside \(range.lowerBound)...\(range.upperBound)") }
                return ParameterSpec(name, .integer(range), default: .integer(i), help: help)
            }
            let v = nrl_lua_tonumber(L, value)
            let range = (minimum ?? -Double.greatestFiniteMagnitude)...(maximum ?? Double.greatestFiniteMagnitude)
            guard v.isFinite, range.contains(v) else { throw d.failure("params.\(name): default \(v) is outside \(range)") }
            return ParameterSpec(name, .real(range), default: .real(v), help: help)
        case LUA_TSTRING:
            let v = String(cString: nrl_lua_tostring(L, value))
            if let choices {
                guard choices.contains(v) else { throw d.failure("params.\(name): default \"\(v)\" is not one of its choices") }
                return ParameterSpec(name, .choice(choices), default: .choice(v), help: help)
            }
            return ParameterSpec(name, .text, default: .choice(v), help: help)
        default:
            throw d.failure("params.\(name) must be a number or a string (or { default, min =, max =, choices =, help = }), got \(s.describe(value))")
        }
    }

    /// defaults = { envname = { param = value, hidden =, layers =, episodes = } }
    private static func readPerEnvironment(_ d: Declaration, _ specs: [ParameterSpec]) throws -> [String: RuleDefaults] {
        let s = d.state, L = s.L
        guard d.push("defaults") != LUA_TNIL else { s.pop(); return [:] }
        defer { s.pop() }
        guard lua_type(L, -1) == LUA_TTABLE else { throw d.failure("defaults must be a table of environment = { … }, got \(s.describe(-1))") }
        let table = s.top
        var result: [String: RuleDefaults] = [:]
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            defer { s.pop() }
            guard lua_type(L, -2) == LUA_TSTRING, lua_type(L, -1) == LUA_TTABLE else {
                throw d.failure("defaults: expected environment = { … }, got \(s.describe(-2))")
            }
            // A builtin's name, or an environment script's declared name.
            let key = String(cString: nrl_lua_tostring(L, -2))
            let env = EnvironmentRegistry.builtin.canonicalName(key) ?? key
            var values = RuleDefaults()
            let entry = s.top
            lua_pushnil(L)
            while lua_next(L, entry) != 0 {
                defer { s.pop() }
                guard lua_type(L, -2) == LUA_TSTRING else { throw d.failure("defaults.\(env): keys must be names") }
                let key = String(cString: nrl_lua_tostring(L, -2))
                var isInteger: Int32 = 0
                let integer = nrl_lua_tointeger(L, -1, &isInteger)
                switch key {
                case "hidden", "layers", "episodes":
                    guard isInteger != 0, integer >= 1 else { throw d.failure("defaults.\(env).\(key) must be a positive integer") }
                    if key == "hidden" { values.hidden = Int(integer) } else if key == "layers" { values.layers = Int(integer) } else { values.episodes = Int(integer) }
                default:
                    guard let spec = specs.first(where: { $0.name == key }) else {
                        throw d.failure("defaults.\(env).\(key): the rule has no parameter '\(key)' (params: \(specs.map(\.name).joined(separator: ", ")))")
                    }
                    let text = lua_type(L, -1) == LUA_TSTRING ? String(cString: nrl_lua_tostring(L, -1)) : s.describe(-1)
                    do { values.parameters[key] = try spec.parse(text) } catch let e as ParameterError {
                        throw d.failure("defaults.\(env): \(e.description)")
                    }
                }
            }
            result[env] = values
        }
        return result
    }

    /// The defaults for `environment`: the top-level ones, then the environment's own.
    func defaults(for environment: String) -> RuleDefaults {
        var d = defaults
        if let e = perEnvironment[environment] {
            d.parameters.merge(e.parameters) { _, new in new }
            d.hidden = e.hidden ?? d.hidden
            d.layers = e.layers ?? d.layers
            d.episodes = e.episodes ?? d.episodes
        }
        return d
    }
}

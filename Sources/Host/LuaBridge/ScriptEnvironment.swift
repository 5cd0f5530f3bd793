import NRLCore
import CLua
import CLuaShim
import Foundation

/// An environment written in Lua with Gymnasium's contract:
///
///     return env {
///       name = "bandit", observations = 4, actions = 3,
///       reward = "immediate",            -- or "delayed" (the default)
///       max_steps = 1,                    -- the host's TimeLimit (optional)
///       params = { arms = 4, spread = { 1.0, above = 0 } },   -- self.params; --set env.arms=8
///       reset = function(self, options) … return obs end,
///       step = function(self, action) … return obs, reward, terminated, truncated [, info] end,
///     }
///
/// The declaration is read by `EnvironmentDeclaration`: a field it does not have is an error.
/// Actions are 1…actions in Lua (Gymnasium's action + 1). `self` is the declared table, with
/// `self.rng`, the run's environment stream. Observations (a table or a vector) become Float32, as
/// in Gymnasium; continuing tasks end a trial with `info.new_trial = true`.
public final class ScriptEnvironment: Environment {
    public let info: EnvironmentInfo
    private let state: LuaState
    private let selfRef: Int32
    private let resetRef: Int32
    private let stepRef: Int32
    private let stepSite: String?
    private let resetSite: String?

    /// What a declaration says, besides the hooks.
    public struct Summary {
        public var info: EnvironmentInfo
        /// Network width and episode count for runs on this environment.
        public var defaults: EnvironmentDefaults
        /// What `params` declares.
        public var parameters: [ParameterSpec] = []
    }

    /// Reads an environment script's declaration (loading it in a scratch state).
    public static func declaration(path: String, limits: ScriptLimits) throws -> Summary {
        try declaration(path: path, text: try LuaState.read(path), limits: limits)
    }

    private static func declaration(path: String, text: Data, limits: ScriptLimits) throws -> Summary {
        let state = ScriptSession.makeState(limits: limits)
        try state.runText(text, chunkName: path)
        return try summary(Declaration(state: state, kind: "env", file: path), path: path)
    }

    /// Environment scripts as a family of environments: any name ending in ".lua" is a script's path.
    /// Its declaration's `max_steps` is the registered step limit.
    public static func provider(limits: ScriptLimits) -> EnvironmentProvider {
        EnvironmentProvider(description: "a .lua file", claims: isScript) { path in
            // Read once: every environment this registration builds runs the text its hash is of.
            let text = try LuaState.read(path)
            let summary = try declaration(path: path, text: text, limits: limits)
            return EnvironmentRegistration(
                id: path, summary: "Lua environment \(path)", info: summary.info, defaults: summary.defaults,
                parameters: summary.parameters, source: ScriptSource(path: path, bytes: text),
                build: { try ScriptEnvironment(path: path, text: text, random: $0, limits: limits, parameters: $1) })
        }
    }

    /// Whether `name` names an environment script rather than a registered environment.
    public static func isScript(_ name: String) -> Bool { name.hasSuffix(".lua") }

    private static func summary(_ d: Declaration, path: String) throws -> Summary {
        try d.decode(EnvironmentDeclaration.self).summary(path: path)
    }

    /// The environment of `path`, drawing from `random` (the run's environment stream), with
    /// `parameters` as `self.params` (nil: the declared defaults); the registry adds its TimeLimit.
    public convenience init(path: String, random generator: Xoshiro256, limits: ScriptLimits, parameters: Parameters? = nil) throws {
        try self.init(path: path, text: try LuaState.read(path), random: generator, limits: limits, parameters: parameters)
    }

    /// The environment of `text`, the script read from `path`.
    init(path: String, text: Data, random generator: Xoshiro256, limits: ScriptLimits, parameters: Parameters? = nil) throws {
        let random = RandomSource(generator)
        let session = ScriptSession()
        session.scriptRandom = random
        state = ScriptSession.makeState(limits: limits, session: session)
        try state.runText(text, chunkName: path)
        let d = try Declaration(state: state, kind: "env", file: path)
        let summary = try Self.summary(d, path: path)
        info = summary.info
        guard let reset = try d.function("reset", required: true, usage: "function(self, options) returning the first observation"),
              let step = try d.function("step", required: true, usage: "function(self, action) returning obs, reward, terminated, truncated")
        else { preconditionFailure("required functions are checked") }
        resetRef = reset
        stepRef = step
        state.pushRef(reset); resetSite = state.definitionSite(-1); state.pop()
        state.pushRef(step); stepSite = state.definitionSite(-1); state.pop()
        LuaAPI.push(state, random, type: .rng)
        state.setRawField(d.index, "rng")
        var values: [String: ParameterValue] = [:]
        for p in summary.parameters { values[p.name] = parameters?[p.name] ?? p.defaultValue }
        ScriptRule.pushParameters(state, Parameters(values))
        state.setRawField(d.index, "params")
        selfRef = state.ref()  // the declared table is `self`
        state.clearStack()
    }

    public func reset(observation: UnsafeMutablePointer<Float>) throws {
        try reset(options: nil, observation: observation)
    }

    /// reset with Gymnasium-style options; `state` (a list of numbers) lets a test start from a
    /// recorded state when the script supports it.
    public func reset(state startState: [Double]?, observation: UnsafeMutablePointer<Float>) throws {
        try reset(options: startState, observation: observation)
    }

    private func reset(options startState: [Double]?, observation: UnsafeMutablePointer<Float>) throws {
        let L = state.L
        state.pushRef(resetRef)
        state.pushRef(selfRef)
        if let startState {
            lua_createtable(L, 0, 1)
            lua_createtable(L, Int32(startState.count), 0)
            for (k, v) in startState.enumerated() {
                lua_pushnumber(L, v)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            state.setRawField(-2, "state")
        } else {
            lua_pushnil(L)
        }
        try state.call(2, 1, "reset")
        defer { state.clearStack() }
        try readObservation(-1, into: observation, from: "reset", site: resetSite)
    }

    public func step(_ action: Int, observation: UnsafeMutablePointer<Float>) throws -> StepOutcome {
        try state.callHook(stepRef, selfRef, integer: action + 1, results: 5, "step")
        defer { state.clearStack() }
        var reward = 0.0, flags: Int32 = 0, bad: Int32 = 0
        switch nrl_read_step(state.L, -5, observation, Int32(info.observationSize), &reward, &flags, &bad) {
        case 0:
            return StepOutcome(reward: reward, terminated: flags & 1 != 0, truncated: flags & 2 != 0, trialEnded: flags & 4 != 0)
        case 4:
            throw ScriptError(location: stepSite, message: "step must return obs, reward, terminated, truncated; the reward is \(state.describe(-4)), not a finite number")
        case 5:
            throw ScriptError(location: stepSite, message: "step must return obs, reward, terminated, truncated with terminated and truncated true or false; got \(state.describe(-3)), \(state.describe(-2))")
        default:
            try readObservation(-5, into: observation, from: "step", site: stepSite)  // says what is wrong
            throw ScriptError(location: stepSite, message: "step returned an unreadable observation")
        }
    }

    /// Copies the observation at `index` (a table or a vector of finite numbers) as Float32.
    private func readObservation(_ index: Int32, into observation: UnsafeMutablePointer<Float>, from hook: String, site: String?) throws {
        let L = state.L
        let size = info.observationSize
        let i = lua_absindex(L, index)
        let problem = { (detail: String) in
            ScriptError(location: site, message: "\(hook) must return an observation of \(size) finite numbers; \(detail)")
        }
        if let v = nrl_to_vector(L, i) {
            guard v.pointee.object != nil else { throw problem(LuaAPI.collectedMessage("vector")) }
            guard Int(v.pointee.count) == size else { throw problem("got a vector of \(v.pointee.count)") }
            let e = LuaVectorAPI.Elements(v: v.pointee)
            for k in 0..<size {
                guard Float(e[k]).isFinite else { throw problem("element \(k + 1) is \(e[k])" + (e[k].isFinite ? ", beyond Float32's range" : "")) }
                observation[k] = Float(e[k])
            }
            return
        }
        guard lua_type(L, i) == LUA_TTABLE else { throw problem("got \(state.describe(i))") }
        guard Int(lua_rawlen(L, i)) == size else { throw problem("got a table of \(lua_rawlen(L, i))") }
        for k in 0..<size {
            lua_rawgeti(L, i, lua_Integer(k + 1))
            let value = nrl_lua_tonumber(L, -1)
            let isNumber = lua_type(L, -1) == LUA_TNUMBER
            state.pop()
            guard isNumber, Float(value).isFinite else {
                throw problem("element \(k + 1) is \(isNumber ? String(value) : "not a number")" + (isNumber && value.isFinite ? ", beyond Float32's range" : ""))
            }
            observation[k] = Float(value)
        }
    }
}

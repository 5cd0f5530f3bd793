import NRLCore
import CLua
import CLuaShim
import Foundation

/// How a rule script runs.
public struct ScriptRuleOptions: Sendable {
    public var limits: ScriptLimits
    /// Reload the script when its file changes (checked at every episode boundary).
    public var watch: Bool
    /// Parameters the user set on the command line; they keep their values across reloads.
    public var explicitParameters: Set<String>
    /// Told about reloads and failed reloads.
    public var onEvent: (@Sendable (ScriptEvent) -> Void)?
    /// Host methods the script may not call (name → the message it gets when it does), e.g. an
    /// assignment's `locality = "local"` forbids `add_gradient`.
    public var forbiddenMethods: [String: String]

    public init(limits: ScriptLimits = .standard, watch: Bool = false, explicitParameters: Set<String> = [],
                onEvent: (@Sendable (ScriptEvent) -> Void)? = nil, forbiddenMethods: [String: String] = [:]) {
        self.limits = limits
        self.watch = watch
        self.explicitParameters = explicitParameters
        self.onEvent = onEvent
        self.forbiddenMethods = forbiddenMethods
    }
}

public enum ScriptEvent: Sendable {
    /// A new version of the script is running (versions count from 1, the one the run started with).
    case reloaded(ScriptReload)
    /// A changed script could not be loaded, or its first call failed; the previous version runs on.
    case reloadFailed(ScriptError)
    /// A reloaded version failed in its first episode (after `reloadFailed`): the previous version,
    /// this one, runs again from `episode`, with its parameters.
    case reverted(ScriptReload)
}

/// A reload of a watched rule script, as a run's record keeps it.
public struct ScriptReload: Sendable {
    /// The first episode (1-based) the new version runs.
    public var episode: Int
    /// 2 for the first reload (version 1 is the one the run started with).
    public var version: Int
    /// The new text and its hash.
    public var source: ScriptSource
    /// The rule's parameters in force after the reload (ctx.params).
    public var parameters: Parameters
    /// Which declaration changes wait for the next run.
    public var note: String?
}

public enum ScriptRules {
    /// A rule descriptor for the script at `path`: its text read now, once, and its declaration;
    /// every run of the descriptor gets a fresh Lua state that runs that text (the one its hash,
    /// `RuleDescriptor.source`, is of), however the file changes later.
    public static func descriptor(path: String, options: ScriptRuleOptions = ScriptRuleOptions()) throws -> RuleDescriptor {
        try descriptor(path: path, text: LuaState.read(path), options: options)
    }

    /// A rule descriptor for `text`, a version of the script at `path` (e.g. the one a results store
    /// kept for a run); messages name `path`.
    public static func descriptor(path: String, text: Data, options: ScriptRuleOptions = ScriptRuleOptions()) throws -> RuleDescriptor {
        let state = ScriptSession.makeState(limits: options.limits)
        try state.runText(text, chunkName: path)
        let declaration = try RuleDeclaration(Declaration(state: state, kind: "rule", file: path), path: path)
        let source = ScriptSource(path: path, bytes: text)
        return RuleDescriptor(
            name: declaration.name, summary: declaration.summary, parameters: declaration.parameters,
            defaults: { declaration.defaults(for: $0) }, schedule: declaration.schedule,
            defaultEnvironment: declaration.environment, script: path, source: source, baseline: declaration.baseline,
            make: { try ScriptRule(path: path, text: text, context: $0, options: options) })
    }
}

extension ScriptRules {
    /// What a script rule's Lua state holds against its memory cap now; nil for a native rule.
    public static func memoryCharged(by rule: LearningRule) -> Int? { (rule as? ScriptRule)?.state.memoryCharged }
}

/// A learning rule whose hooks are Lua functions. The host owns all state (network, passes and
/// traces the script made, the context table); the script is only code, so a reload swaps the
/// functions and keeps everything else.
final class ScriptRule: LearningRule {
    private struct Hooks {
        var act: Int32
        var learn: Int32
        var beginEpisode: Int32?
        var setup: Int32?
        var actSite: String?

        init(_ d: Declaration) throws {
            act = try d.function("act", required: true, usage: "function(ctx, obs) returning an action")!
            learn = try d.function("learn", required: true, usage: "function(ctx, rpe)")!
            beginEpisode = try d.function("begin_episode", required: false, usage: "function(ctx)")
            setup = try d.function("setup", required: false, usage: "function(ctx)")
            d.state.pushRef(act)
            actSite = d.state.definitionSite(-1)
            d.state.pop()
        }
    }

    private let path: String
    let state: LuaState
    /// What the script's host calls share: the run's streams and network, logged metrics.
    private let session: ScriptSession
    private let options: ScriptRuleOptions
    private let context: RuleContext
    private var hooks: Hooks
    /// The version before the last reload (and its ctx.params), while the new one has not yet run a
    /// whole episode.
    private var previous: (hooks: Hooks, parameters: Int32)?
    private var version = 1
    /// Under --watch: the version running and the one before it, as a run's record lists them.
    private var running: ScriptReload?
    private var replaced: ScriptReload?
    /// What the run started with, to tell a user which declaration changes a reload cannot apply.
    private let declaration: RuleDeclaration
    private let contextRef: Int32
    private let observationRef: Int32
    private let observation: VectorStorageFloat
    private let actionCount: Int
    private var episode = 0
    private var watcher: FileWatcher?

    init(path: String, text: Data, context: RuleContext, options: ScriptRuleOptions) throws {
        self.path = path
        self.options = options
        self.context = context
        let session = ScriptSession()
        session.network = context.network
        session.noise.generator.pointee = context.noiseRandom
        session.actions.generator.pointee = context.actionRandom
        session.scriptRandom = RandomSource(context.scriptRandom)
        self.session = session
        let s = ScriptSession.makeState(limits: options.limits, session: session)
        state = s
        actionCount = context.environment.actionCount
        observation = VectorStorageFloat(count: context.environment.observationSize)
        // Watching starts from the text the run loads, so an edit made since is seen at once.
        if options.watch {
            watcher = FileWatcher(path: path, loaded: text)
            running = ScriptReload(episode: 1, version: 1, source: ScriptSource(path: path, bytes: text), parameters: context.parameters)
        }

        try s.forbid(options.forbiddenMethods)
        try s.runText(text, chunkName: path)
        let d = try Declaration(state: s, kind: "rule", file: path)
        declaration = try RuleDeclaration(d, path: path)
        hooks = try Hooks(d)
        s.clearStack()

        LuaAPI.pushVector(s, owner: observation, data: UnsafeMutableRawPointer(observation.values),
                          count: observation.count, isDouble: false, writable: false)
        observationRef = s.ref()
        contextRef = Self.makeContext(s, context, session)
        if let setup = hooks.setup { try callHook(setup, "setup") }
    }

    /// ctx: net, params, env, rng, episode, learns_every_step, signals.
    private static func makeContext(_ s: LuaState, _ c: RuleContext, _ session: ScriptSession) -> Int32 {
        let L = s.L
        lua_createtable(L, 0, 9)
        LuaSignalsAPI.push(s, c.signals)
        s.setRawField(-2, "signals")
        LuaAPI.push(s, c.network.weights, type: .matrices, userValues: 1)  // user value: layer views
        s.setRawField(-2, "net")
        pushParameters(s, c.parameters)
        s.setRawField(-2, "params")
        lua_createtable(L, 0, 5)
        s.pushString(c.environment.name); s.setRawField(-2, "name")
        lua_pushinteger(L, lua_Integer(c.environment.observationSize)); s.setRawField(-2, "observations")
        lua_pushinteger(L, lua_Integer(c.environment.actionCount)); s.setRawField(-2, "actions")
        s.pushString(c.environment.rewardTiming.rawValue); s.setRawField(-2, "reward")
        lua_pushboolean(L, c.environment.continuing ? 1 : 0); s.setRawField(-2, "continuing")
        s.setRawField(-2, "env")
        LuaAPI.push(s, session.scriptRandom, type: .rng)
        s.setRawField(-2, "rng")
        lua_pushinteger(L, 0); s.setRawField(-2, "episode")
        lua_pushboolean(L, c.learnsEveryStep ? 1 : 0); s.setRawField(-2, "learns_every_step")
        return s.ref()
    }

    static func pushParameters(_ s: LuaState, _ p: Parameters) {
        lua_createtable(s.L, 0, Int32(p.values.count))
        for (name, value) in p.values {
            switch value {
            case .real(let v): lua_pushnumber(s.L, v)
            case .integer(let v): lua_pushinteger(s.L, lua_Integer(v))
            case .choice(let v): s.pushString(v)
            case .boolean(let v): lua_pushboolean(s.L, v ? 1 : 0)
            }
            s.setRawField(-2, name)
        }
    }

    // MARK: The rule contract

    func beginEpisode() throws {
        if let old = previous {  // the new version ran a whole episode
            state.unref(old.parameters)
            previous = nil
            replaced = nil
        }
        if let watcher, watcher.changed() { reload() }
        episode += 1
        state.pushRef(contextRef)
        lua_pushinteger(state.L, lua_Integer(episode))
        state.setRawField(-2, "episode")
        state.pop()
        if let begin = hooks.beginEpisode { try callHook(begin, "begin_episode") }
    }

    func act(_ obs: UnsafePointer<Float>) throws -> Int {
        let L = state.L
        observation.values.update(from: obs, count: observation.count)
        try callHook(hooks.act, "act", argument: observationRef, results: 1)
        var isInteger: Int32 = 0
        let action = nrl_lua_tointeger(L, -1, &isInteger)
        guard lua_type(L, -1) == LUA_TNUMBER, isInteger != 0, action >= 1, action <= actionCount else {
            let error = ScriptError(location: hooks.actSite, message: "act must return an action, an integer in 1..\(actionCount); it returned \(state.describe(-1))")
            state.pop()
            guard previous != nil else { throw error }
            fallBack(error)
            return try act(obs)
        }
        state.pop()
        return Int(action) - 1
    }

    func learn(rpe: Double) throws {
        try callHook(hooks.learn, "learn", number: rpe)
    }

    func takeEpisodeMetrics() -> [String: Double] {
        guard !session.loggedMetrics.isEmpty else { return [:] }
        defer { session.loggedMetrics.removeAll(keepingCapacity: true) }
        return session.loggedMetrics.mapValues(\.mean)
    }

    /// Calls `hook(ctx [, argument | number])`. If a freshly reloaded version fails, the previous one
    /// takes over (the failure is reported) and the call is made again with it.
    private func callHook(_ hook: Int32, _ name: StaticString, argument: Int32? = nil, number: Double? = nil,
                          results: Int32 = 0) throws {
        do {
            try state.callHook(hook, contextRef, argument: argument, number: number, results: results, name)
        } catch let error as ScriptError {
            guard previous != nil, !state.isStopped else { throw error }
            fallBack(error)
            state.clearStack()
            let retry: Int32? = switch "\(name)" {
            case "act": hooks.act
            case "learn": hooks.learn
            case "begin_episode": hooks.beginEpisode
            default: nil
            }
            guard let retry else { return }
            try callHook(retry, name, argument: argument, number: number, results: results)
        }
    }

    /// The reloaded version failed on probation: back to the previous one, its ctx.params included.
    private func fallBack(_ error: ScriptError) {
        guard let old = previous else { return }
        options.onEvent?(.reloadFailed(error))
        hooks = old.hooks
        state.pushRef(contextRef)
        state.pushRef(old.parameters)
        state.setRawField(-2, "params")
        state.pop()
        state.unref(old.parameters)
        previous = nil
        if var back = replaced {
            back.episode = episode
            back.note = nil
            running = back
            replaced = nil
            options.onEvent?(.reverted(back))
        }
    }

    // MARK: Hot reload

    /// Loads the changed file into a fresh environment and swaps it in, or reports why not.
    private func reload() {
        let top = state.top
        defer { state.setTop(top) }
        do {
            let text = try LuaState.read(path)
            try state.runText(text, chunkName: path)
            let d = try Declaration(state: state, kind: "rule", file: path)
            let declaration = try RuleDeclaration(d, path: path)
            let newHooks = try Hooks(d)
            let parameters = try reloadedParameters(declaration)
            // New parameters in ctx (the old table back if setup fails).
            state.pushRef(contextRef)
            state.rawField(-1, "params")
            let oldParameters = state.ref()
            Self.pushParameters(state, parameters)
            state.setRawField(-2, "params")
            state.pop()
            if let setup = newHooks.setup {
                do {
                    try callHook(setup, "setup")
                } catch {
                    state.pushRef(contextRef)
                    state.pushRef(oldParameters)
                    state.setRawField(-2, "params")
                    state.pop()
                    state.unref(oldParameters)
                    throw error
                }
            }
            if let older = previous { state.unref(older.parameters) }
            previous = (hooks, oldParameters)
            hooks = newHooks
            version += 1
            let reload = ScriptReload(episode: episode + 1, version: version, source: ScriptSource(path: path, bytes: text),
                                      parameters: parameters, note: unappliedChanges(declaration))
            replaced = running
            running = reload
            options.onEvent?(.reloaded(reload))
        } catch let e as ScriptError {
            // The running version is untouched: a limit that stopped the new one (an endless loop
            // at load or in its setup) must not stop the next call of the old one.
            state.clearStop()
            options.onEvent?(.reloadFailed(e))
        } catch {
            state.clearStop()
            options.onEvent?(.reloadFailed(ScriptError(location: path, message: "\(error)")))
        }
    }

    /// Declaration changes a reload cannot apply to a running run (they need a new run).
    private func unappliedChanges(_ new: RuleDeclaration) -> String? {
        var changed: [String] = []
        if new.name != declaration.name { changed.append("name") }
        if new.schedule != declaration.schedule { changed.append("learns") }
        if new.baseline != declaration.baseline { changed.append("baseline") }
        if new.environment != declaration.environment { changed.append("env") }
        let old = declaration.defaults(for: context.environment.name), now = new.defaults(for: context.environment.name)
        if old.hidden != now.hidden { changed.append("hidden") }
        if old.layers != now.layers { changed.append("layers") }
        if old.episodes != now.episodes { changed.append("episodes") }
        return changed.isEmpty ? nil : "changes to \(changed.joined(separator: ", ")) apply from the next run"
    }

    /// The new declaration's defaults for this environment, with the user's own settings on top.
    private func reloadedParameters(_ declaration: RuleDeclaration) throws -> Parameters {
        var values: [String: ParameterValue] = [:]
        for p in declaration.parameters { values[p.name] = p.defaultValue }
        for (k, v) in declaration.defaults(for: context.environment.name).parameters { values[k] = v }
        for key in options.explicitParameters {
            guard let value = context.parameters[key] else { continue }
            guard declaration.parameters.contains(where: { $0.name == key }) else {
                throw ScriptError(location: path, message: "the parameter '\(key)' set on the command line is no longer declared in params")
            }
            values[key] = value
        }
        return Parameters(values)
    }
}

/// The observation buffer scripts see as `obs` (read-only).
final class VectorStorageFloat {
    let values: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { values.deallocate() }
}

/// Notices when a file changes, including editors that save by writing a new file and renaming it.
final class FileWatcher {
    private let path: String
    private var signature: [Int]?

    /// `loaded`: the text the run started with; a file that differs from it already counts as changed.
    init(path: String, loaded: Data) {
        self.path = path
        signature = Self.signature(path)
        if let now = try? Data(contentsOf: URL(fileURLWithPath: path)), now != loaded { signature = nil }
    }

    static func signature(_ path: String) -> [Int]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)]
    }

    /// True once per change (a file that is briefly missing mid-save is not a change).
    func changed() -> Bool {
        guard let now = Self.signature(path), now != signature else { return false }
        signature = now
        return true
    }
}

import NRLCore
import CLua
import CLuaShim
import Foundation

/// One sandboxed, limited Lua 5.4 state: a general wrapper that knows nothing of networks or runs.
/// What the embedding code shares with the functions it exposes is its `context` object (the bridge
/// attaches a `ScriptSession`); the host types and the globals scripts see are given at creation.
///
/// Scripts run as text only, in an environment that holds only the allowed library functions and
/// the nrlhost API; a memory cap, a per-call instruction budget and a per-call clock stop runaway
/// code with a message naming the script line. Swift calls Lua only through `call` (a protected
/// call); Swift functions called from Lua report errors by return code (see CLua/Shim/trampoline.c).
public final class LuaState {
    /// The main thread, which owns the state.
    private let main: OpaquePointer
    /// The thread host code works on: the main thread, or, while a host function called from a
    /// coroutine runs, that coroutine (whose stack its arguments and results are on).
    var L: OpaquePointer { limitsPointer.pointee.running }
    private let limitsPointer: UnsafeMutablePointer<nrl_limits>
    public let limits: ScriptLimits
    /// What the embedding code shares with the functions it exposes (set once, never nil).
    let context: AnyObject
    /// The host types, by tag, with the registry reference of each one's metatable.
    private(set) var types: [UInt32: (type: HostType, metatable: Int32)] = [:]
    /// Puts the globals scripts may use into a fresh environment table (its stack index).
    private let installGlobals: (LuaState, Int32) -> Void
    /// What the current call is, for limit messages ("act", "learn", "loading the script").
    private var currentCall = ""
    /// Chunk names loaded here, to restore paths Lua shortened in messages ("...ripts/x.lua:3").
    private var chunkNames: [String] = []

    init(limits: ScriptLimits, context: AnyObject, types: [HostType], globals: @escaping (LuaState, Int32) -> Void) {
        self.context = context
        installGlobals = globals
        self.limits = limits
        limitsPointer = .allocate(capacity: 1)
        guard let state = nrl_newstate(limitsPointer) else { fatalError("Lua could not allocate a state") }
        main = state
        limitsPointer.pointee.memory_limit = limits.memoryBytes > 0 ? limits.memoryBytes : 0
        limitsPointer.pointee.instruction_budget = Int64(limits.instructionsPerCall)
        limitsPointer.pointee.print_limit = Int64(limits.printBytes)
        limitsPointer.pointee.seconds_per_call = limits.secondsPerCall
        limitsPointer.pointee.host = Unmanaged.passUnretained(self).toOpaque()
        nrl_open_libraries(L)
        nrl_push_traceback_handler(L)
        for type in types { self.types[type.tag.rawValue] = (type, LuaAPI.makeMetatable(self, type)) }
        LuaWatchdog.shared.watch(limitsPointer)
    }

    deinit {
        LuaWatchdog.shared.forget(limitsPointer)
        lua_close(main)
        limitsPointer.deallocate()
    }

    /// The `LuaState` that owns `L` (or a coroutine of it).
    @inline(__always)
    static func unmanagedOwner(of L: OpaquePointer) -> Unmanaged<LuaState> {
        Unmanaged<LuaState>.fromOpaque(nrl_limits_of(L).pointee.host)
    }

    /// What counts toward the memory cap: the Lua heap plus the host buffers the script made.
    public var memoryCharged: Int { limitsPointer.pointee.memory_used + limitsPointer.pointee.host_bytes }

    // MARK: Running script code

    /// Calls the function below `nargs` arguments on the stack, protected, with the limits in force.
    /// Leaves `nresults` results; throws a `ScriptError` located in the script on any failure.
    func call(_ nargs: Int32, _ nresults: Int32, _ what: String) throws {
        currentCall = what
        nrl_begin_call(limitsPointer)
        let status = nrl_pcall(L, nargs, nresults)
        nrl_end_call(limitsPointer)
        if status != LUA_OK { throw popError(status) }
    }

    /// Calls registry function `function` with registry value `first` and then either registry value
    /// `argument` or the number `number`; the per-step path (one call into C).
    @inline(__always)
    func callHook(_ function: Int32, _ first: Int32, argument: Int32? = nil, number: Double? = nil, integer: Int? = nil,
                  results: Int32, _ what: StaticString) throws {
        let x = integer.map(Double.init) ?? number ?? 0
        let kind: Int32 = integer != nil ? 2 : (number != nil ? 1 : 0)
        let status = nrl_call_hook(L, function, first, argument ?? LUA_NOREF, x, kind, results)
        if status != LUA_OK {
            currentCall = "\(what)"
            throw popError(status)
        }
    }

    /// Turns the error on top of the stack (or a limit stop) into a `ScriptError` and pops it.
    func popError(_ status: Int32) -> ScriptError {
        let g = limitsPointer.pointee
        let raw = nrl_lua_tostring(L, -1).map { String(cString: $0) } ?? "(error object is not a string)"
        nrl_lua_pop(L, 1)
        let whereText = withUnsafeBytes(of: g.where) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let location = whereText.isEmpty ? nil : fullLocation(whereText)
        switch Int32(g.stop) {
        case Int32(NRL_STOP_INSTRUCTIONS):
            return ScriptError(location: location, message: "instruction budget exceeded: more than \(limits.instructionsPerCall) Lua instructions in one call (\(currentCall)); an endless loop? Raise the budget with --max-instructions")
        case Int32(NRL_STOP_MEMORY):
            return ScriptError(location: location, message: "memory limit exceeded: the script tried to hold more than \(limits.memoryBytes >> 20) MB (\(currentCall)); raise the cap with --max-memory")
        case Int32(NRL_STOP_TIME):
            return ScriptError(location: location, message: "time limit exceeded: one call (\(currentCall)) ran longer than \(limits.secondsPerCall) s; raise it with --max-seconds")
        default:
            break
        }
        if status == LUA_ERRMEM { return ScriptError(location: location, message: "out of memory (\(currentCall))") }
        let parts = raw.components(separatedBy: "\nstack traceback:\n")
        var error = ScriptError.parse(parts[0], traceback: parts.count > 1 ? parts[1] : nil)
        error.location = error.location.map(fullLocation)
        // A location the script wrote itself (error("other.lua:1: …", 0)) names no script of this
        // state: the message stays whole, and the location is the innermost script line running.
        if let location = error.location, !isScriptLocation(location) {
            error.message = parts[0]
            error.location = nil
        }
        if error.location == nil, parts.count > 1 { error.location = scriptLocation(inTraceback: parts[1]) }
        return error
    }

    /// Whether `location` is "file:line" in a script loaded here.
    func isScriptLocation(_ location: String) -> Bool {
        chunkNames.contains { location.hasPrefix($0 + ":") && Int(location.dropFirst($0.count + 1)) != nil }
    }

    /// The innermost script line of a Lua traceback ("\t/path/x.lua:3: in function 'act'").
    private func scriptLocation(inTraceback traceback: String) -> String? {
        for line in traceback.split(separator: "\n") {
            let frame = ScriptError.parse(line.trimmingCharacters(in: .whitespaces))
            if let location = frame.location.map(fullLocation), isScriptLocation(location) { return location }
        }
        return nil
    }

    /// Whether a limit has stopped this state (for good, unless the host clears it).
    public var isStopped: Bool { limitsPointer.pointee.stop != NRL_STOP_NONE }

    /// Lets the state run again after a limit stopped a call whose failure the host handles by
    /// carrying on without it (a reloaded version of a watched script that loops at load): clears
    /// the stop and collects what the stopped call left. Only between calls.
    func clearStop() {
        guard isStopped, limitsPointer.pointee.in_call == 0 else { return }
        nrl_clear_stop(limitsPointer)
    }

    // MARK: Loading

    /// A fresh sandbox environment table (pushed), holding the allowed globals and the nrlhost API.
    func pushSandbox() {
        LuaSandbox.push(self, installing: installGlobals)
    }

    /// Loads `path` as text into a fresh sandbox and runs it; leaves its single result on the stack.
    func runFile(_ path: String, displayName: String? = nil) throws {
        try runText(try Self.read(path), chunkName: displayName ?? path)
    }

    /// A script file's bytes, read once: what a run loads is exactly what its hash was taken of.
    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScriptError(location: nil, message: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Loads source text into a fresh sandbox and runs it; leaves its single result on the stack.
    func runText(_ text: Data, chunkName: String) throws {
        if !chunkNames.contains(chunkName) { chunkNames.append(chunkName) }
        if text.first == 0x1B {
            throw ScriptError(location: chunkName, message: "binary (precompiled) chunks are not allowed; load the .lua source")
        }
        pushSandbox()
        var bytes = [CChar](repeating: 0, count: text.count + 1)
        bytes.withUnsafeMutableBytes { _ = text.copyBytes(to: $0) }
        let status = nrl_load_text(L, bytes, text.count, "@" + chunkName)
        if status != LUA_OK { throw popError(status) }
        try call(0, 1, "loading the script")
    }

    // MARK: Small stack helpers (none of these can raise)

    var top: Int32 { lua_gettop(L) }
    func pop(_ n: Int32 = 1) { nrl_lua_pop(L, n) }
    func setTop(_ n: Int32) { lua_settop(L, n) }
    /// Drops everything the host pushed, keeping the traceback handler at index 1.
    func clearStack() { lua_settop(L, 1) }

    func pushString(_ s: String) { _ = s.withCString { lua_pushstring(L, $0) } }

    /// t[key] for the table at `index`, without metamethods; pushes the value and returns its type.
    @discardableResult
    func rawField(_ index: Int32, _ key: String) -> Int32 {
        let t = lua_absindex(L, index)
        pushString(key)
        return lua_rawget(L, t)
    }

    /// t[key] = value on top (popped), without metamethods.
    func setRawField(_ index: Int32, _ key: String) {
        let t = lua_absindex(L, index)
        pushString(key)
        nrl_lua_insert(L, -2)
        lua_rawset(L, t)
    }

    func typeName(_ index: Int32) -> String {
        let tag = nrl_tag(L, index)
        if tag != 0, let type = types[tag] { return type.type.name }
        return String(cString: lua_typename(L, lua_type(L, index)))
    }

    /// The value at `index` as a string for messages.
    func describe(_ index: Int32) -> String {
        switch lua_type(L, index) {
        case LUA_TSTRING: return "'\(String(cString: nrl_lua_tostring(L, index)))'"
        case LUA_TNUMBER:
            var isInteger: Int32 = 0
            let i = nrl_lua_tointeger(L, index, &isInteger)
            let x = nrl_lua_tonumber(L, index)
            return isInteger != 0 ? String(i) : x.isNaN ? "nan" : String(x)  // "nan" whatever its sign bit
        case LUA_TBOOLEAN: return lua_toboolean(L, index) != 0 ? "true" : "false"
        default: return typeName(index)
        }
    }

    /// "file:line" where the function at `index` is defined.
    func definitionSite(_ index: Int32) -> String? {
        var ar = lua_Debug()
        lua_pushvalue(L, index)
        guard lua_getinfo(L, ">S", &ar) != 0, ar.linedefined > 0 else { return nil }
        let source = withUnsafeBytes(of: ar.short_src) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return fullLocation("\(source):\(ar.linedefined)")
    }

    /// Lua shortens long chunk names to "...tail"; this puts the whole path back.
    func fullLocation(_ location: String) -> String {
        guard location.hasPrefix("...") else { return location }
        let tail = location.dropFirst(3)
        for name in chunkNames {
            for i in name.indices where tail.hasPrefix(name[i...]) && tail.dropFirst(name.distance(from: i, to: name.endIndex)).first == ":" {
                return name + tail.dropFirst(name.distance(from: i, to: name.endIndex))
            }
        }
        return location
    }

    func ref() -> Int32 { nrl_lua_ref(L) }
    func pushRef(_ r: Int32) { nrl_lua_getref(L, r) }
    func unref(_ r: Int32) { nrl_lua_unref(L, r) }
}

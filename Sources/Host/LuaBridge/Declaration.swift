import NRLCore
import CLua
import CLuaShim

/// The table a script returns (`rule { … }` or `env { … }`) on the stack of its state: decoded into a
/// declaration struct (`decode`), with the line of the declaration in every complaint; hooks are
/// taken from it as function references.
struct Declaration {
    let state: LuaState
    /// Absolute stack index of the table.
    let index: Int32
    let kind: String
    /// "file:line" of the `rule {` / `env {` call, or the file when unknown.
    let site: String

    /// Checks that the value on top of the stack is a table declared with `kind { … }`.
    init(state: LuaState, kind: String, file: String) throws {
        self.state = state
        self.kind = kind
        let L = state.L
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw ScriptError(location: file, message: "the script must end with `return \(kind) { … }`, but it returned \(state.describe(-1))")
        }
        index = lua_absindex(L, -1)
        var site = file
        if state.rawField(index, "__declared_at") == LUA_TSTRING { site = String(cString: nrl_lua_tostring(L, -1)) }
        state.pop()
        self.site = site
        state.rawField(index, "__kind")
        let declaredKind = lua_type(L, -1) == LUA_TSTRING ? String(cString: nrl_lua_tostring(L, -1)) : nil
        state.pop()
        if let declaredKind, declaredKind != kind {
            throw ScriptError(location: site, message: "this script declares \(declaredKind) { … }, but \(kind) { … } is needed here")
        }
    }

    func failure(_ message: String) -> ScriptError { ScriptError(location: site, message: message) }

    /// Pushes field `key` and returns its Lua type.
    @discardableResult
    func push(_ key: String) -> Int32 { state.rawField(index, key) }

    /// The declared table decoded as `T` by `LuaValueDecoder` (types, unknown fields, `validate`);
    /// every mistake is located at the declaration's line.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try LuaValueDecoder().decode(T.self, from: state.value(at: index), root: kind)
        } catch let error as DeclarationError {
            throw error.located(at: site)
        } catch var error as ScriptError {
            error.location = error.location ?? site
            throw error
        }
    }

    /// A registry reference to function field `key` (nil when absent and not required).
    func function(_ key: String, required: Bool, usage: String) throws -> Int32? {
        let type = push(key)
        if type == LUA_TFUNCTION { return state.ref() }
        defer { state.pop() }
        if type == LUA_TNIL && !required { return nil }
        throw failure("\(kind) needs \(key) = \(usage), got \(state.describe(-1))")
    }
}

/// What kind of script a file is, from what it returns.
public enum ScriptKind: String, Sendable {
    case rule, env, experiment, assignment

    /// Loads the script in a scratch state and reads its declaration's kind.
    public static func of(path: String, limits: ScriptLimits = .standard) throws -> ScriptKind {
        let state = ScriptSession.makeState(limits: limits)
        try state.runFile(path)
        guard lua_type(state.L, -1) == LUA_TTABLE else {
            throw ScriptError(location: path, message: "the script must end with `return rule { … }` or `return env { … }`, but it returned \(state.describe(-1))")
        }
        state.rawField(-1, "__kind")
        defer { state.pop() }
        if lua_type(state.L, -1) == LUA_TSTRING, let kind = ScriptKind(rawValue: String(cString: nrl_lua_tostring(state.L, -1))) {
            return kind
        }
        // A plain table: recognised by what it holds, as `run` accepts it.
        for (field, kind) in [("act", ScriptKind.rule), ("step", .env), ("rules", .experiment), ("groups", .experiment)] {
            state.rawField(-2, field)
            let present = lua_type(state.L, -1) != LUA_TNIL
            state.pop()
            if present { return kind }
        }
        throw ScriptError(location: path, message: "the script returned a table that is neither a rule, an environment nor an experiment; declare it with `return rule { … }`, `return env { … }` or `return experiment { … }`")
    }
}

/// Declarative files (experiments, assignments) read as plain values.
public enum DeclarationFile {
    /// Runs the script at `path` in a fresh sandbox and decodes the `kind { … }` table it returns as
    /// `T` (see `LuaValueDecoder`). Returns the value and "file:line" of its declaration; every
    /// mistake is a `ScriptError` there.
    public static func load<T: Decodable>(_ type: T.Type, path: String, kind: String, limits: ScriptLimits) throws -> (value: T, site: String) {
        let (value, site) = try read(path: path, kind: kind, limits: limits)
        do {
            return (try LuaValueDecoder().decode(T.self, from: value, root: kind), site)
        } catch let error as DeclarationError {
            throw error.located(at: site)
        }
    }

    /// Runs the script at `path` in a fresh sandbox and copies the `kind { … }` table it returns.
    /// Returns the table and "file:line" of its declaration, for messages.
    public static func read(path: String, kind: String, limits: ScriptLimits) throws -> (value: LuaValue, site: String) {
        let state = ScriptSession.makeState(limits: limits)
        try state.runFile(path)
        let d = try Declaration(state: state, kind: kind, file: path)
        do {
            return (try state.value(at: d.index), d.site)
        } catch var error as ScriptError {
            error.location = error.location ?? d.site
            throw error
        }
    }
}

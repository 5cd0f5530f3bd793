import NRLCore
import CLua
import CLuaShim

/// The environment a script runs in: a whitelist of Lua's standard library and the nrlhost API.
/// No `io`, `os`, `debug`, `package`, `require`, `dofile`, `loadfile` or `string.dump`; `load`
/// takes source text only; `math.random` draws from the run's script stream; `print` is capped;
/// `setmetatable` refuses `__gc`; `collectgarbage` offers only "count" and "collect"; coroutines
/// run under the same limits. Each load gets a fresh table, so a reloaded script starts clean.
enum LuaSandbox {
    static let baseFunctions = [
        "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber", "tostring", "type",
        "xpcall", "rawequal", "rawget", "rawset", "rawlen", "getmetatable", "_VERSION",
    ]
    /// Library tables copied into the sandbox, minus the listed functions.
    static let libraries: [(String, Set<String>)] = [
        ("string", ["dump"]), ("table", []), ("math", ["random", "randomseed"]), ("utf8", []),
        ("coroutine", ["create", "wrap"]),
    ]

    /// Written in Lua on top of the sandboxed `coroutine.create`.
    static let prelude = """
    local create, resume, pack, unpack, error = coroutine.create, coroutine.resume, table.pack, table.unpack, error
    coroutine.wrap = function(f)
      local co = create(f)
      return function(...)
        local r = pack(resume(co, ...))
        if r[1] then return unpack(r, 2, r.n) end
        error(r[2], 0)
      end
    end
    """

    /// Pushes a fresh sandbox table.
    /// A fresh environment table (pushed) with the safe standard library, then the embedder's
    /// `api` installed into it.
    static func push(_ s: LuaState, installing api: (LuaState, Int32) -> Void) {
        let L = s.L
        lockStringMetatable(s)
        lua_createtable(L, 0, 40)
        let env = s.top
        lua_rawgeti(L, nrl_lua_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        let globals = s.top
        for name in baseFunctions {
            s.rawField(globals, name)
            s.setRawField(env, name)
        }
        for (library, excluded) in libraries {
            s.rawField(globals, library)
            let source = s.top
            lua_createtable(L, 0, 32)
            lua_pushnil(L)
            while lua_next(L, source) != 0 {
                let name = lua_type(L, -2) == LUA_TSTRING ? String(cString: nrl_lua_tostring(L, -2)) : ""
                if excluded.contains(name) {
                    s.pop()
                } else {
                    lua_pushvalue(L, -2)
                    nrl_lua_insert(L, -2)
                    lua_rawset(L, -4)
                }
            }
            nrl_lua_remove(L, source)
            s.setRawField(env, library)
        }
        nrl_push_sandbox_functions(L, env)
        s.rawField(env, "coroutine")
        lua_pushcclosure(L, nrl_cocreate_function(), 0)
        s.setRawField(-2, "create")
        s.pop()
        api(s, env)
        lua_pushvalue(L, env)
        s.setRawField(env, "_G")
        s.pop()  // globals
        runPrelude(s, env: env)
    }

    /// The `nrl` module table.
    private static func runPrelude(_ s: LuaState, env: Int32) {
        lua_pushvalue(s.L, env)
        let status = prelude.withCString { nrl_load_text(s.L, $0, strlen($0), "=nrlhost") }
        precondition(status == LUA_OK, "the sandbox prelude must compile")
        do { try s.call(0, 0, "setting up the sandbox") } catch { preconditionFailure("sandbox prelude failed: \(error)") }
    }

    /// getmetatable("") gives "locked" rather than the string library's metatable, and the library
    /// behind ("").method has no `dump` (binary chunks).
    private static func lockStringMetatable(_ s: LuaState) {
        s.pushString("")
        if lua_getmetatable(s.L, -1) != 0 {
            s.pushString("locked")
            s.setRawField(-2, "__metatable")
            if s.rawField(-1, "__index") == LUA_TTABLE {
                lua_pushnil(s.L)
                s.setRawField(-2, "dump")
            }
            s.pop(2)
        }
        s.pop()
    }

    /// `rule { … }` / `env { … }`: marks the table with its kind and where it was declared
    /// (for messages about the declaration), and returns it.
    static func declare(_ L: OpaquePointer, kind: String) -> Int32 {
        LuaAPI.run(L) { a in
            guard lua_type(L, 1) == LUA_TTABLE else {
                throw LuaCallFailure.message("\(kind) expects a table: \(kind) { name = \"…\", … }")
            }
            lua_settop(L, 1)
            let s = a.state
            s.pushString(kind)
            s.setRawField(1, "__kind")
            if let site = callerSite(L).map(s.fullLocation) {
                s.pushString(site)
                s.setRawField(1, "__declared_at")
            }
            return 1
        }
    }

    /// "file:line" of the script line that called the current Swift function.
    static func callerSite(_ L: OpaquePointer) -> String? {
        var ar = lua_Debug()
        guard lua_getstack(L, 1, &ar) != 0, lua_getinfo(L, "Sl", &ar) != 0, ar.currentline > 0 else { return nil }
        let source = withUnsafeBytes(of: ar.short_src) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(source):\(ar.currentline)"
    }
}

import Foundation

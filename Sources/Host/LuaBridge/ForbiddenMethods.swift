import NRLCore
import CLua
import CLuaShim

extension LuaState {
    /// Replaces host methods by name (`add_gradient`, …) in the method tables of every host type with
    /// a function that raises `message` at the calling script line. Call before any script runs: the
    /// method tables are shared by all objects of a type and reachable only through them (their
    /// metatables are locked), so nothing can keep the original.
    func forbid(_ methods: [String: String]) throws {
        guard !methods.isEmpty else { return }
        var found = Set<String>()
        for (_, type) in types.sorted(by: { $0.key < $1.key }) {
            let saved = top
            defer { setTop(saved) }
            pushRef(type.metatable)
            // The methods table is __index itself, or the upvalue of the vector's __index function.
            switch rawField(-1, "__index") {
            case LUA_TTABLE: break
            case LUA_TFUNCTION:
                guard lua_getupvalue(L, -1, 1) != nil, lua_type(L, -1) == LUA_TTABLE else { continue }
            default: continue
            }
            let table = top
            for (name, message) in methods.sorted(by: { $0.key < $1.key }) {
                let present = rawField(table, name) != LUA_TNIL
                pop()
                guard present else { continue }
                try pushRaiser(message)
                setRawField(table, name)
                found.insert(name)
            }
        }
        if let unknown = methods.keys.sorted().first(where: { !found.contains($0) }) {
            throw ScriptError(location: nil, message: "cannot forbid '\(unknown)': no host object has such a method")
        }
    }

    /// Pushes a function that raises `message` with the caller's "file:line".
    private func pushRaiser(_ message: String) throws {
        let status = "local error, message = error, ... return function() error(message, 2) end".withCString { nrl_luaL_loadstring(L, $0) }
        guard status == LUA_OK else { throw popError(status) }
        pushString(message)
        try call(1, 1, "setting up the sandbox")
    }
}

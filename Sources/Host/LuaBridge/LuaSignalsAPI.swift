import NRLCore
import CLua
import CLuaShim

/// `ctx.signals`: a read-only view of the trainer's `TrainingSignals`. A userdata whose `__index`
/// answers each field by name from the trainer's buffer when it is read, so a rule that never reads
/// a signal pays nothing, and one that does pays one lookup (no table is refreshed per step).
enum LuaSignalsAPI {
    /// The userdata's payload: the retained `TrainingSignals` (released by `__gc`) and its buffer.
    private struct Payload {
        var owner: UnsafeMutableRawPointer?
        var values: UnsafeMutablePointer<TrainingSignals.Values>
    }

    private static let valid = TrainingSignals.names.joined(separator: ", ")

    /// Pushes the signals object for `signals`.
    static func push(_ s: LuaState, _ signals: TrainingSignals) {
        let L = s.L
        let p = lua_newuserdatauv(L, MemoryLayout<Payload>.size, 0)!
        p.initializeMemory(as: Payload.self, repeating: Payload(owner: Unmanaged.passRetained(signals).toOpaque(),
                                                              values: signals.values), count: 1)
        lua_createtable(L, 0, 6)
        nrl_push_native(L, { L in LuaAPI.run(L) { a in try LuaSignalsAPI.index(a) } })
        s.setRawField(-2, "__index")
        nrl_push_native(L, { L in LuaAPI.run(L) { a in try LuaSignalsAPI.refuseAssignment(a) } })
        s.setRawField(-2, "__newindex")
        nrl_push_native(L, { L in
            guard let p = lua_touserdata(L, 1)?.assumingMemoryBound(to: Payload.self), let owner = p.pointee.owner else { return 0 }
            Unmanaged<AnyObject>.fromOpaque(owner).release()
            p.pointee.owner = nil
            return 0
        })
        s.setRawField(-2, "__gc")
        nrl_push_native(L, { L in
            lua_pushstring(L, "signals")
            return 1
        })
        s.setRawField(-2, "__tostring")
        s.pushString("signals")
        s.setRawField(-2, "__name")
        s.pushString("locked")
        s.setRawField(-2, "__metatable")
        lua_setmetatable(L, -2)
    }

    private static func payload(_ a: LuaArguments) -> UnsafeMutablePointer<Payload> {
        lua_touserdata(a.L, 1)!.assumingMemoryBound(to: Payload.self)
    }

    /// `signals.name`: the value now, or nil for a signal that has none yet.
    fileprivate static func index(_ a: LuaArguments) throws -> Int32 {
        let L = a.L
        guard lua_type(L, 2) == LUA_TSTRING, let key = nrl_lua_tostring(L, 2) else {
            throw LuaCallFailure.message("ctx.signals has no field \(a.state.describe(2)); its fields: \(valid)")
        }
        let v = payload(a).pointee.values.pointee
        switch String(cString: key) {
        case "reward": lua_pushnumber(L, v.reward)
        case "episode_return": lua_pushnumber(L, v.episodeReturn)
        case "final_return": if v.hasFinalReturn { lua_pushnumber(L, v.finalReturn) } else { lua_pushnil(L) }
        case "baseline": if v.hasBaseline { lua_pushnumber(L, v.baseline) } else { lua_pushnil(L) }
        case "baseline_after": if v.hasBaseline { lua_pushnumber(L, v.baselineAfter) } else { lua_pushnil(L) }
        case "rpe": if v.hasBaseline { lua_pushnumber(L, v.rpe) } else { lua_pushnil(L) }
        case "step": lua_pushinteger(L, lua_Integer(v.step))
        case "episode": lua_pushinteger(L, lua_Integer(v.episode))
        case "episodes": lua_pushinteger(L, lua_Integer(v.episodes))
        case "terminated": lua_pushboolean(L, v.terminated ? 1 : 0)
        case "truncated": lua_pushboolean(L, v.truncated ? 1 : 0)
        case let other:
            throw LuaCallFailure.message("ctx.signals has no field '\(ScriptText.oneLine(ScriptText.capped(other, limit: 60)))'; its fields: \(valid)")
        }
        return 1
    }

    fileprivate static func refuseAssignment(_ a: LuaArguments) throws -> Int32 {
        let name = lua_type(a.L, 2) == LUA_TSTRING ? nrl_lua_tostring(a.L, 2).map { "'" + ScriptText.oneLine(ScriptText.capped(String(cString: $0), limit: 60)) + "'" } ?? "?"
            : a.state.describe(2)
        throw LuaCallFailure.message("ctx.signals is read-only (the trainer sets it); cannot assign \(name)")
    }
}

import NRLCore
import CLua
import CLuaShim

/// The globals nrlhost gives scripts on top of the safe standard library: `nrl` (vectors, libm's pow,
/// the version), `log`, `math.random` on the run's stream, and the declarations `rule`, `env`,
/// `experiment` and `assignment`.
enum ScriptGlobals {
    static func install(_ s: LuaState, into env: Int32) {
        s.rawField(env, "math")
        nrl_push_native(s.L, LuaRandomAPI.mathRandom)
        s.setRawField(-2, "random")
        nrl_push_native(s.L, LuaRandomAPI.mathRandomSeed)
        s.setRawField(-2, "randomseed")
        s.pop()
        pushModule(s)
        s.setRawField(env, "nrl")
        nrl_push_native(s.L, LuaRandomAPI.log)
        s.setRawField(env, "log")
        nrl_push_native(s.L, { L in LuaSandbox.declare(L!, kind: "rule") })
        s.setRawField(env, "rule")
        nrl_push_native(s.L, { L in LuaSandbox.declare(L!, kind: "env") })
        s.setRawField(env, "env")
        nrl_push_native(s.L, { L in LuaSandbox.declare(L!, kind: "experiment") })
        s.setRawField(env, "experiment")
        nrl_push_native(s.L, { L in LuaSandbox.declare(L!, kind: "assignment") })
        s.setRawField(env, "assignment")
    }

    private static func pushModule(_ s: LuaState) {
        lua_createtable(s.L, 0, 4)
        nrl_push_native(s.L, LuaRandomAPI.newVector)
        s.setRawField(-2, "vector")
        lua_pushcclosure(s.L, nrl_libm_pow_function(), 0)
        s.setRawField(-2, "pow")
        s.pushString(NRLHostVersion.current)
        s.setRawField(-2, "version")
    }
}

/* The crossings between Swift and Lua. Lua raises errors with long jumps, which must never pass
   through a Swift frame: Swift functions reach Lua through the trampoline here, which raises
   their errors after the Swift frame has returned, and Swift calls Lua only through the
   protected calls here. */
#include "internal.h"

/* ---------- calling Swift from Lua ---------- */
/* The Swift function rides in the closure's upvalue as a light userdata. ISO C has no cast
   between function and object pointers (POSIX guarantees one), so a union carries it. */
typedef union nrl_native_box { nrl_native_fn fn; void *pointer; } nrl_native_box;
_Static_assert(sizeof(nrl_native_fn) == sizeof(void *), "a function pointer fits a light userdata");

static int nrl_native_trampoline(lua_State *L) {
    nrl_native_box box = { .pointer = lua_touserdata(L, lua_upvalueindex(1)) };
    nrl_native_fn f = box.fn;
    nrl_limits *g = nrl_limits_of(L);
    /* Host code pushes onto the thread that called it (LuaState.L): a coroutine's own stack. */
    lua_State *caller = g->running;
    g->running = L;
    g->host_depth++;
    int n = f(L);
    g->host_depth--;
    g->running = caller;
    if (n == NRL_NATIVE_ERROR) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    }
    if (n <= NRL_NATIVE_ARG_ERROR) {
        return luaL_argerror(L, NRL_NATIVE_ARG_ERROR - n, lua_tostring(L, -1));
    }
    /* Host code may allocate past the cap (it is never refused); what it leaves counts once dropped
       objects are collected. Not while finalizers run (a finalizer only releases memory). */
    if (g->memory_limit > 0 && g->memory_used + g->host_bytes > g->memory_limit && g->collecting == 0)
        nrl_collect_host(L);
    if (g->memory_limit > 0 && g->memory_used + g->host_bytes > g->memory_limit && g->stop == NRL_STOP_NONE
        && g->collecting == 0) {
        g->stop = NRL_STOP_MEMORY;
        nrl_record_where(L, g);
        g->hook_armed = 1;
        lua_sethook(L, nrl_hook, LUA_MASKCOUNT, 1);
        if (L != g->main) lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1);
        lua_pushliteral(L, "nrlhost: script stopped by a limit");
        return lua_error(L);
    }
    return n;
}

/* Pushes a Swift function as a Lua function. */
void nrl_push_native(lua_State *L, nrl_native_fn f) {
    nrl_native_box box = { .fn = f };
    lua_pushlightuserdata(L, box.pointer);
    lua_pushcclosure(L, nrl_native_trampoline, 1);
}

/* ---------- calling Lua from Swift ---------- */
/* Message handler: the error message with a stack traceback. */
static int nrl_traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Puts the traceback handler at stack index 1, where nrl_pcall expects it; the host keeps it
   there (it never clears the stack below index 1). */
void nrl_push_traceback_handler(lua_State *L) {
    lua_settop(L, 0);
    lua_pushcfunction(L, nrl_traceback_handler);
}

/* lua_pcall with the traceback handler at index 1; script code runs with the memory cap in force. */
int nrl_pcall(lua_State *L, int nargs, int nresults) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_depth--;
    int status = lua_pcall(L, nargs, nresults, 1);
    g->host_depth++;
    nrl_settle_refusal(g);
    return status;
}

/* One protected call of the registry function `fn` with the registry value `self` and either the
   registry value `arg` (arg_ref != LUA_NOREF) or `x` (has_x: 1 as a float, 2 as an integer) — the
   per-step calls of a script, done here in one call from Swift. */
int nrl_call_hook(lua_State *L, int fn, int self, int arg_ref, lua_Number x, int has_x, int nresults) {
    nrl_limits *g = nrl_limits_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
    lua_rawgeti(L, LUA_REGISTRYINDEX, self);
    int nargs = 1;
    if (arg_ref != LUA_NOREF) { lua_rawgeti(L, LUA_REGISTRYINDEX, arg_ref); nargs++; }
    if (has_x == 1) { lua_pushnumber(L, x); nargs++; }
    if (has_x == 2) { lua_pushinteger(L, (lua_Integer)x); nargs++; }
    nrl_begin_call(g);
    int status = nrl_pcall(L, nargs, nresults);
    nrl_end_call(g);
    return status;
}

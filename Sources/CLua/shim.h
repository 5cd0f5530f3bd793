#ifndef NRLHOST_CLUA_SHIM_H
#define NRLHOST_CLUA_SHIM_H
/* Lua 5.4 for the nrlhost Swift host.

   Two rules keep Lua's long jumps (lua_error) out of Swift frames:
   - Swift functions called from Lua never raise: they return a result count, or a negative
     code with a message on the stack, and the C trampoline below raises the Lua error after
     the Swift frame has returned.
   - Swift calls Lua only through nrl_pcall (lua_pcall with a traceback handler).
   Many Lua API entry points are macros, which Swift cannot call; small wrappers give them a
   callable form. Everything a sandboxed script can trigger that may raise (budget stops,
   argument errors, printing, loading) runs here in C. */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------- macros as functions ---------- */
static inline void nrl_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline int nrl_luaL_loadstring(lua_State *L, const char *s) { return luaL_loadstring(L, s); }
static inline lua_Number nrl_lua_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }
static inline const char *nrl_lua_tostring(lua_State *L, int idx) { return lua_tostring(L, idx); }
static inline void nrl_lua_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void nrl_lua_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline int nrl_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int nrl_lua_isinteger_value(lua_State *L, int idx) { return lua_isinteger(L, idx); }
static inline lua_Integer nrl_lua_tointeger(lua_State *L, int idx, int *isnum) { return lua_tointegerx(L, idx, isnum); }
static inline int nrl_lua_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
static inline void nrl_lua_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
static inline void nrl_lua_getref(lua_State *L, int ref) { lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }

/* ---------- limits: memory cap, instruction budget, wall clock ---------- */
enum { NRL_STOP_NONE = 0, NRL_STOP_INSTRUCTIONS = 1, NRL_STOP_MEMORY = 2, NRL_STOP_TIME = 3 };

typedef struct nrl_limits {
    lua_State *main;
    void *host;                   /* the Swift LuaState that owns this state */
    size_t memory_used;           /* the Lua heap */
    size_t host_bytes;            /* buffers of host objects scripts made (vectors, passes, matrices) */
    size_t memory_limit;          /* bytes, for both together; 0 = none */
    int host_depth;               /* > 0 while host code runs: allocations never fail there */
    long long instruction_budget; /* per call into the script; 0 = none */
    long long instructions;       /* counted since the current call's hook was armed */
    double seconds_per_call;      /* 0 = no clock limit */
    double deadline;              /* CLOCK_MONOTONIC seconds; 0 = not yet set for this call */
    volatile int hook_armed;
    volatile int in_call;         /* a call into the script is running */
    volatile long long call_serial; /* counts calls, so the watchdog can tell a long call from many short ones */
    int stop;                     /* NRL_STOP_*: sticky until the host clears it */
    char where[512];              /* "file:line" of the script line running when it stopped */
    long long print_bytes, print_limit;
} nrl_limits;

enum { NRL_HOOK_COUNT = 1000 };

static inline double nrl_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The limits live in the state's extra space (copied into every coroutine), so finding them
   costs no call. */
static inline nrl_limits *nrl_limits_of(lua_State *L) {
    return *(nrl_limits **)lua_getextraspace(L);
}

/* The innermost script line on L's stack, as "file:line" (the sandbox's own Lua prelude,
   chunk "=nrlhost", is not a script line). */
static inline void nrl_record_where(lua_State *L, nrl_limits *g) {
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, "=nrlhost") != 0) {
            snprintf(g->where, sizeof g->where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

/* Count hook: accounts instructions, checks the clock, and once a limit is hit raises at
   every instruction so that no pcall inside the script can swallow the stop. */
static void nrl_hook(lua_State *L, lua_Debug *ar) {
    nrl_limits *g = nrl_limits_of(L);
    (void)ar;
    if (g->stop == NRL_STOP_NONE) {
        g->instructions += NRL_HOOK_COUNT;
        if (g->instruction_budget > 0 && g->instructions > g->instruction_budget) g->stop = NRL_STOP_INSTRUCTIONS;
        else if (g->seconds_per_call > 0) {
            /* The clock starts at the call's first hook (1000 instructions in): reading it at every
               call would cost more than the calls themselves. */
            double now = nrl_now();
            if (g->deadline == 0) { g->deadline = now + g->seconds_per_call; return; }
            if (now <= g->deadline) return;
            g->stop = NRL_STOP_TIME;
        } else return;
    }
    if (g->where[0] == 0) nrl_record_where(L, g);
    g->hook_armed = 1;
    lua_sethook(L, nrl_hook, LUA_MASKCOUNT, 1);
    /* A stop inside a coroutine must also stop the thread that resumed it. */
    if (L != g->main) lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1);
    lua_pushliteral(L, "nrlhost: script stopped by a limit");
    lua_error(L);
}

/* The count hook costs every Lua instruction a detour, so the main thread runs without it and a
   watchdog thread arms it (lua_sethook is async-safe) once a single call has run for a while:
   ordinary calls pay nothing, and a runaway one is still counted and stopped. Coroutines always
   run hooked (see nrl_sandbox_cocreate). */
static inline void nrl_arm_hook(nrl_limits *g) {
    g->hook_armed = 1;
    lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, NRL_HOOK_COUNT);
}

static inline void nrl_begin_call(nrl_limits *g) {
    g->instructions = 0;
    g->deadline = 0;
    g->call_serial++;
    g->in_call = 1;
}

static inline void nrl_end_call(nrl_limits *g) {
    g->in_call = 0;
    if (g->hook_armed && g->stop == NRL_STOP_NONE) {
        g->hook_armed = 0;
        lua_sethook(g->main, NULL, 0, 0);
    }
}

/* One watchdog tick: arms the hook if the same call was already running at the previous tick. */
static inline void nrl_watchdog_tick(nrl_limits *g, long long *seen_serial) {
    long long serial = g->call_serial;
    if (g->in_call && !g->hook_armed && serial == *seen_serial) nrl_arm_hook(g);
    *seen_serial = serial;
}

/* The allocator behind the memory cap. Script code gets NULL (a Lua memory error) past the cap,
   and the stop is recorded so that the hook re-raises it; host code is never refused. */
static void *nrl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    nrl_limits *g = (nrl_limits *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        g->memory_used -= old;
        return NULL;
    }
    if (nsize > old && g->memory_limit > 0 && g->host_depth == 0
        && g->memory_used + g->host_bytes - old + nsize > g->memory_limit) {
        if (g->stop == NRL_STOP_NONE) {
            g->stop = NRL_STOP_MEMORY;
            if (g->main) { nrl_record_where(g->main, g); g->hook_armed = 1; lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1); }
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    g->memory_used = g->memory_used - old + nsize;
    return p;
}

static int nrl_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "nrlhost: internal error: unprotected Lua error: %s\n", msg ? msg : "?");
    fflush(stderr);
    abort();
    return 0;
}

/* Opens the libraries the sandbox draws from (not io, os, package or debug). */
static inline void nrl_open_libraries(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1); lua_pop(L, 1);
}

/* A new state whose allocator enforces `g`'s memory cap. */
static inline lua_State *nrl_newstate(nrl_limits *g) {
    memset(g, 0, sizeof *g);
    g->host_depth = 1;
    lua_State *L = lua_newstate(nrl_alloc, g);
    if (L) {
        g->main = L;
        *(nrl_limits **)lua_getextraspace(L) = g;
        lua_atpanic(L, nrl_panic);
        lua_setwarnf(L, NULL, NULL);
    }
    return L;
}

/* ---------- calling Swift from Lua ---------- */
/* A Swift function for Lua: returns its result count (>= 0), NRL_NATIVE_ERROR with a message on
   top of the stack, or NRL_NATIVE_ARG_ERROR - n for "bad argument #n" with the detail on top. */
typedef int (*nrl_native_fn)(lua_State *L);
enum { NRL_NATIVE_ERROR = -1, NRL_NATIVE_ARG_ERROR = -1000 };

static int nrl_native_trampoline(lua_State *L) {
    nrl_native_fn f = (nrl_native_fn)lua_touserdata(L, lua_upvalueindex(1));
    nrl_limits *g = nrl_limits_of(L);
    g->host_depth++;
    int n = f(L);
    g->host_depth--;
    if (n == NRL_NATIVE_ERROR) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    }
    if (n <= NRL_NATIVE_ARG_ERROR) {
        return luaL_argerror(L, NRL_NATIVE_ARG_ERROR - n, lua_tostring(L, -1));
    }
    if (g->memory_limit > 0 && g->memory_used + g->host_bytes > g->memory_limit && g->stop == NRL_STOP_NONE) {
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

/* Pushes a Swift function as a Lua function, with `upvalues` values from the stack after it. */
static inline void nrl_push_native(lua_State *L, nrl_native_fn f) {
    lua_pushlightuserdata(L, (void *)f);
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
static inline void nrl_push_traceback_handler(lua_State *L) {
    lua_settop(L, 0);
    lua_pushcfunction(L, nrl_traceback_handler);
}

/* lua_pcall with the traceback handler at index 1; script code runs with the memory cap in force. */
static inline int nrl_pcall(lua_State *L, int nargs, int nresults) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_depth--;
    int status = lua_pcall(L, nargs, nresults, 1);
    g->host_depth++;
    return status;
}

/* One protected call of the registry function `fn` with the registry value `self` and either the
   registry value `arg` (arg_ref != LUA_NOREF) or `x` (has_x: 1 as a float, 2 as an integer) — the
   per-step calls of a script, done here in one call from Swift. */
static inline int nrl_call_hook(lua_State *L, int fn, int self, int arg_ref, lua_Number x, int has_x, int nresults) {
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

/* Loads a script as text only (binary chunks are refused) and sets its _ENV to the table on top
   of the stack (which it pops). Leaves the function, or an error message, on the stack. */
static inline int nrl_load_text(lua_State *L, const char *text, size_t length, const char *chunkname) {
    int status = luaL_loadbufferx(L, text, length, chunkname, "t");
    if (status == LUA_OK) {
        lua_insert(L, -2);                    /* function, env */
        if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
    } else {
        lua_remove(L, -2);                    /* drop env, keep message */
    }
    return status;
}

/* ---------- sandbox functions ---------- */
/* print: to standard error, capped per state so a chatty script cannot flood the terminal. */
static int nrl_sandbox_print(lua_State *L) {
    nrl_limits *g = nrl_limits_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
        (void)s;
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *line = lua_tolstring(L, -1, &len);
    if (g->print_limit <= 0 || g->print_bytes + (long long)len <= g->print_limit) {
        fwrite(line, 1, len, stderr);
    } else if (g->print_bytes <= g->print_limit) {
        fprintf(stderr, "(further script output suppressed after %lld bytes)\n", g->print_limit);
    }
    g->print_bytes += (long long)len;
    return 0;
}

/* load(chunk [, chunkname [, mode [, env]]]): strings only, text only, and the sandbox as the
   default environment (upvalue 1). */
static int nrl_sandbox_load(lua_State *L) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (s == NULL || lua_type(L, 1) != LUA_TSTRING) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: only source strings can be loaded here");
        return 2;
    }
    const char *name = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    if (strchr(mode, 'b') != NULL && strchr(mode, 't') == NULL) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: binary chunks are not allowed");
        return 2;
    }
    int has_env = !lua_isnone(L, 4);
    int status = luaL_loadbufferx(L, s, len, name, "t");
    if (status != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) lua_pushvalue(L, 4); else lua_pushvalue(L, lua_upvalueindex(1));
    if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
    return 1;
}

/* setmetatable without finalizers: Lua runs __gc with hooks off, so a looping __gc could
   never be stopped. */
static int nrl_sandbox_setmetatable(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int t = lua_type(L, 2);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed in scripts");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* collectgarbage: only "count" and "collect" (stopping the collector or tuning it is not a
   script's business). */
static int nrl_sandbox_collectgarbage(lua_State *L) {
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") == 0) {
        int k = lua_gc(L, LUA_GCCOUNT, 0), b = lua_gc(L, LUA_GCCOUNTB, 0);
        lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
        return 1;
    }
    if (strcmp(opt, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    }
    return luaL_error(L, "collectgarbage('%s') is not allowed in scripts (only 'count' and 'collect')", opt);
}

/* coroutine.create/wrap: every coroutine runs with the count hook, so a loop inside one is
   stopped like any other. */
static int nrl_sandbox_cocreate(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_sethook(co, nrl_hook, LUA_MASKCOUNT, NRL_HOOK_COUNT);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    return 1;
}

/* libm pow(x, y). Lua's own x^2 is x*x, which differs from libm's pow(x, 2.0) in about 0.1% of
   cases; Gymnasium's CartPole and Acrobot square with pow. volatile keeps the compiler honest. */
static int nrl_libm_pow(lua_State *L) {
    volatile double x = luaL_checknumber(L, 1);
    volatile double y = luaL_checknumber(L, 2);
    lua_pushnumber(L, pow(x, y));
    return 1;
}

/* ---------- host objects as userdata ---------- */
/* Every host object crosses into Lua as a full userdata that starts with a tag naming its type;
   only the host creates full userdata, so a tag check is a complete type check. */
enum {
    NRL_TAG_VECTOR = 0x6E726C01, NRL_TAG_MATRICES = 0x6E726C02, NRL_TAG_PASS = 0x6E726C03,
    NRL_TAG_RANDOM = 0x6E726C04,
};

typedef struct nrl_object {
    unsigned int tag;
    void *object;          /* a retained Swift object, released by __gc */
    size_t bytes;          /* host memory it holds, charged to the state's memory cap */
} nrl_object;

/* Vectors are indexed from Lua at every step, so indexing is done here without a call into
   Swift: the userdata holds the element pointer itself. */
typedef struct nrl_vector {
    unsigned int tag;      /* NRL_TAG_VECTOR */
    void *object;          /* retained Swift owner of the storage */
    size_t bytes;          /* as in nrl_object (0 for views of another object's storage) */
    void *data;            /* float or double elements */
    int count;
    int is_double;
    int writable;
} nrl_vector;

/* Only the host makes userdata in a state (the io library, whose files are userdata, is never
   opened, and no function hands scripts a light userdata), so every userdata starts with a tag. */
static inline unsigned int nrl_tag(lua_State *L, int idx) {
    nrl_object *o = (nrl_object *)lua_touserdata(L, idx);
    return o != NULL ? o->tag : 0;
}

/* The live host object of type `tag` at idx, or NULL. */
static inline void *nrl_object_at(lua_State *L, int idx, unsigned int tag) {
    nrl_object *o = (nrl_object *)lua_touserdata(L, idx);
    return (o != NULL && o->tag == tag) ? o->object : NULL;
}

static inline nrl_vector *nrl_to_vector(lua_State *L, int idx) {
    return nrl_tag(L, idx) == NRL_TAG_VECTOR ? (nrl_vector *)lua_touserdata(L, idx) : NULL;
}

static inline lua_Number nrl_vector_get(const nrl_vector *v, int i) {
    return v->is_double ? ((const double *)v->data)[i] : (lua_Number)((const float *)v->data)[i];
}

/* __index: v[i] for 1 <= i <= #v, otherwise a method from the table in upvalue 1. */
static int nrl_vector_index(lua_State *L) {
    nrl_vector *v = (nrl_vector *)lua_touserdata(L, 1);
    int isnum = 0;
    lua_Integer i = lua_tointegerx(L, 2, &isnum);
    if (isnum) {
        if (i < 1 || i > v->count) return luaL_error(L, "vector index %d out of range (1..%d)", (int)i, v->count);
        lua_pushnumber(L, nrl_vector_get(v, (int)i - 1));
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static int nrl_vector_newindex(lua_State *L) {
    nrl_vector *v = (nrl_vector *)lua_touserdata(L, 1);
    int isnum = 0;
    lua_Integer i = lua_tointegerx(L, 2, &isnum);
    if (!isnum) return luaL_error(L, "vectors are indexed by integers 1..%d", v->count);
    if (!v->writable) return luaL_error(L, "this vector is read-only (it shows host state)");
    if (i < 1 || i > v->count) return luaL_error(L, "vector index %d out of range (1..%d)", (int)i, v->count);
    lua_Number x = luaL_checknumber(L, 3);
    if (v->is_double) ((double *)v->data)[i - 1] = x; else ((float *)v->data)[i - 1] = (float)x;
    return 0;
}

static int nrl_vector_len(lua_State *L) {
    lua_pushinteger(L, ((nrl_vector *)lua_touserdata(L, 1))->count);
    return 1;
}

static int nrl_vector_tostring(lua_State *L) {
    nrl_vector *v = (nrl_vector *)lua_touserdata(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "vector(%d):", v->count);
    luaL_addvalue(&b);
    for (int i = 0; i < v->count && i < 16; i++) {
        char num[40];
        snprintf(num, sizeof num, " %.6g", (double)nrl_vector_get(v, i));
        luaL_addstring(&b, num);
    }
    if (v->count > 16) luaL_addstring(&b, " ...");
    luaL_pushresult(&b);
    return 1;
}

/* Pushes the vector metatable's C metamethods into the table on top (methods table at `methods`). */
static inline void nrl_set_vector_metamethods(lua_State *L, int methods) {
    methods = lua_absindex(L, methods);
    lua_pushvalue(L, methods);
    lua_pushcclosure(L, nrl_vector_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, nrl_vector_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, nrl_vector_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, nrl_vector_tostring);
    lua_setfield(L, -2, "__tostring");
}

/* Reads an environment step's results from the top five slots — obs (a table or a vector of n finite
   numbers), reward, terminated, truncated, info — in one call: the per-step path of a Lua environment.
   Returns 0, or what is wrong: 1 obs is neither table nor vector, 2 wrong length (*bad = the length),
   3 element *bad (1-based) not a finite number, 4 reward not a finite number, 5 a flag not a boolean.
   flags: bit 0 terminated, bit 1 truncated, bit 2 info.new_trial. */
static inline int nrl_read_step(lua_State *L, int first, float *obs, int n, double *reward, int *flags, int *bad) {
    int o = lua_absindex(L, first);
    nrl_vector *v = nrl_to_vector(L, o);
    if (v != NULL && v->object != NULL) {
        if (v->count != n) { *bad = v->count; return 2; }
        for (int i = 0; i < n; i++) {
            double x = nrl_vector_get(v, i);
            if (!isfinite(x)) { *bad = i + 1; return 3; }
            obs[i] = (float)x;
        }
    } else if (lua_type(L, o) == LUA_TTABLE) {
        int len = (int)lua_rawlen(L, o);
        if (len != n) { *bad = len; return 2; }
        for (int i = 0; i < n; i++) {
            int isnum = 0;
            lua_rawgeti(L, o, i + 1);
            double x = lua_tonumberx(L, -1, &isnum);
            int is_number = lua_type(L, -1) == LUA_TNUMBER;
            lua_pop(L, 1);
            if (!is_number || !isnum || !isfinite(x)) { *bad = i + 1; return 3; }
            obs[i] = (float)x;
        }
    } else {
        return 1;
    }
    int isnum = 0;
    *reward = lua_tonumberx(L, o + 1, &isnum);
    if (lua_type(L, o + 1) != LUA_TNUMBER || !isfinite(*reward)) return 4;
    if (lua_type(L, o + 2) != LUA_TBOOLEAN || lua_type(L, o + 3) != LUA_TBOOLEAN) return 5;
    *flags = (lua_toboolean(L, o + 2) ? 1 : 0) | (lua_toboolean(L, o + 3) ? 2 : 0);
    if (lua_type(L, o + 4) == LUA_TTABLE) {
        lua_getfield(L, o + 4, "new_trial");
        if (lua_toboolean(L, -1)) *flags |= 4;
        lua_pop(L, 1);
    }
    return 0;
}

static inline void nrl_push_sandbox_functions(lua_State *L, int env) {
    env = lua_absindex(L, env);
    lua_pushcfunction(L, nrl_sandbox_print); lua_setfield(L, env, "print");
    lua_pushvalue(L, env); lua_pushcclosure(L, nrl_sandbox_load, 1); lua_setfield(L, env, "load");
    lua_pushcfunction(L, nrl_sandbox_setmetatable); lua_setfield(L, env, "setmetatable");
    lua_pushcfunction(L, nrl_sandbox_collectgarbage); lua_setfield(L, env, "collectgarbage");
}

/* Charges `bytes` of host memory to the cap; 0 (and a sticky memory stop) if it does not fit. */
static inline int nrl_charge_host(lua_State *L, size_t bytes) {
    nrl_limits *g = nrl_limits_of(L);
    if (g->memory_limit > 0 && g->memory_used + g->host_bytes + bytes > g->memory_limit) {
        if (g->stop == NRL_STOP_NONE) {
            g->stop = NRL_STOP_MEMORY;
            nrl_record_where(L, g);
            g->hook_armed = 1;
            lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1);
        }
        return 0;
    }
    g->host_bytes += bytes;
    return 1;
}

static inline void nrl_release_host(lua_State *L, size_t bytes) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_bytes -= bytes < g->host_bytes ? bytes : g->host_bytes;
}

static inline lua_CFunction nrl_libm_pow_function(void) { return nrl_libm_pow; }
static inline lua_CFunction nrl_cocreate_function(void) { return nrl_sandbox_cocreate; }

#endif

#ifndef NRLHOST_CLUA_SHIM_H
#define NRLHOST_CLUA_SHIM_H
/* Lua 5.4 for the nrlhost Swift host: the declarations of the C shim, whose code
   is in the .c files beside include/.

   Two rules keep Lua's long jumps (lua_error) out of Swift frames:
   - Swift functions called from Lua never raise: they return a result count, or a negative
     code with a message on the stack, and the C trampoline (trampoline.c) raises the Lua error
     after the Swift frame has returned.
   - Swift calls Lua only through nrl_pcall (lua_pcall with a traceback handler).
   Many Lua API entry points are macros, which Swift cannot call; small inline wrappers below give
   them a callable form. Everything a sandboxed script can trigger that may raise (budget stops,
   argument errors, printing, loading) runs in C.

   Only tiny functions that Swift calls on hot paths stay `static inline` here (the macro
   wrappers, nrl_limits_of, the userdata tag checks), so that Swift compiles them into its own
   code with no call; everything else is an ordinary function in a .c file. */
#include <stddef.h>
#include <lua.h>
#include <lauxlib.h>

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

/* ---------- limits: memory cap, instruction budget, wall clock (limits.c) ---------- */
enum { NRL_STOP_NONE = 0, NRL_STOP_INSTRUCTIONS = 1, NRL_STOP_MEMORY = 2, NRL_STOP_TIME = 3 };

typedef struct nrl_limits {
    lua_State *main;
    lua_State *running;           /* the thread whose host function runs (a coroutine's, in one), else main */
    void *host;                   /* the Swift LuaState that owns this state */
    size_t memory_used;           /* the Lua heap */
    size_t host_bytes;            /* buffers of host objects scripts made (vectors, passes, matrices) */
    size_t host_charged;          /* host bytes charged since the last full collection (nrl_collect_host) */
    int collecting;               /* > 0 during nrl_collect_host: finalizers run */
    int refused;                  /* the allocator refused a request once (limits.c) … */
    void *refused_block;          /* … this one, which Lua asks for again after an emergency collection */
    size_t refused_size;
    char refused_where[512];      /* the script line of that request */
    size_t memory_limit;          /* bytes, for both together; 0 = none */
    int host_depth;               /* > 0 while host code runs: allocations never fail there */
    long long instruction_budget; /* per call into the script; 0 = none */
    long long instructions;       /* counted since the current call's hook was armed */
    double seconds_per_call;      /* 0 = no clock limit */
    double deadline;              /* CLOCK_MONOTONIC seconds; 0 = not yet set for this call */
    volatile int hook_armed;
    volatile int hook_count;      /* instructions between two runs of the main thread's count hook */
    volatile long long expired_serial; /* the call the watchdog found past its clock (see nrl_watchdog_tick) */
    volatile int in_call;         /* a call into the script is running */
    volatile long long call_serial; /* counts calls, so the watchdog can tell a long call from many short ones */
    int stop;                     /* NRL_STOP_*: sticky until the host clears it */
    char where[512];              /* "file:line" of the script line running when it stopped */
    long long print_bytes, print_limit;
} nrl_limits;

/* Instructions between two runs of the count hook. */
enum { NRL_HOOK_COUNT = 1000 };

/* CLOCK_MONOTONIC, in seconds. */
double nrl_now(void);

/* The limits live in the state's extra space (copied into every coroutine), so finding them
   costs no call. */
static inline nrl_limits *nrl_limits_of(lua_State *L) {
    return *(nrl_limits **)lua_getextraspace(L);
}

/* A new state whose allocator enforces `g`'s memory cap (g is zeroed first; host code runs
   outside the cap until the first nrl_pcall). */
lua_State *nrl_newstate(nrl_limits *g);

/* Bracket one call into the script: reset the instruction count and clock, and let the watchdog
   see the call; nrl_end_call unhooks the main thread again unless a limit was hit. */
void nrl_begin_call(nrl_limits *g);
void nrl_end_call(nrl_limits *g);

/* Clears a sticky limit stop; only between calls (never while a call into the script runs). */
void nrl_clear_stop(nrl_limits *g);

/* One watchdog tick at monotonic time `now`: arms the count hook if the same call was already
   running at the previous tick, and once that call has run past its clock (counted from the tick
   that first saw it, *seen_at) makes the hook run at the next instruction, so that a loop of slow
   calls into C stops on time rather than 1000 instructions later. *seen_serial and *seen_at hold
   the call serial and when it was first seen between ticks. Safe from another thread. */
void nrl_watchdog_tick(nrl_limits *g, long long *seen_serial, double *seen_at, double now);

/* Charges `bytes` of host memory to the cap; 0 (and a sticky memory stop) if it does not fit even
   after a full collection. L is the running thread, inside a call from Lua. Host buffers count until
   their userdata's __gc runs, and the collector paces itself by the Lua heap alone (it sees small
   handles), so a full collection also runs after every eighth of the cap (64 MB without a cap) charged. */
int nrl_charge_host(lua_State *L, size_t bytes);

/* A full collection (finalizers included, so dropped host buffers are released), from host code
   running inside a call from Lua; nothing while the collector is itself running finalizers. */
void nrl_collect_host(lua_State *L);
void nrl_release_host(lua_State *L, size_t bytes);

/* ---------- calling Swift from Lua (trampoline.c) ---------- */
/* A Swift function for Lua: returns its result count (>= 0), NRL_NATIVE_ERROR with a message on
   top of the stack, or NRL_NATIVE_ARG_ERROR - n for "bad argument #n" with the detail on top. */
typedef int (*nrl_native_fn)(lua_State *L);
enum { NRL_NATIVE_ERROR = -1, NRL_NATIVE_ARG_ERROR = -1000 };

/* Pushes a Swift function as a Lua function (a C closure over the trampoline). */
void nrl_push_native(lua_State *L, nrl_native_fn f);

/* ---------- calling Lua from Swift (trampoline.c) ---------- */
/* Puts the traceback handler at stack index 1, where nrl_pcall expects it; the host keeps it
   there (it never clears the stack below index 1). */
void nrl_push_traceback_handler(lua_State *L);

/* lua_pcall with the traceback handler at index 1; script code runs with the memory cap in force. */
int nrl_pcall(lua_State *L, int nargs, int nresults);

/* One protected call of the registry function `fn` with the registry value `self` and either the
   registry value `arg` (arg_ref != LUA_NOREF) or `x` (has_x: 1 as a float, 2 as an integer) — the
   per-step calls of a script, done in one call from Swift. */
int nrl_call_hook(lua_State *L, int fn, int self, int arg_ref, lua_Number x, int has_x, int nresults);

/* ---------- the sandbox (sandbox.c) ---------- */
/* Opens the libraries the sandbox draws from (not io, os, package or debug). */
void nrl_open_libraries(lua_State *L);

/* Loads a script as text only (binary chunks are refused) and sets its _ENV to the table on top
   of the stack (which it pops). Leaves the function, or an error message, on the stack. */
int nrl_load_text(lua_State *L, const char *text, size_t length, const char *chunkname);

/* Sets the sandbox's print, load, setmetatable and collectgarbage in the table at `env`. */
void nrl_push_sandbox_functions(lua_State *L, int env);

/* libm's pow(x, y) as a Lua function, and coroutine.create with the count hook. */
lua_CFunction nrl_libm_pow_function(void);
lua_CFunction nrl_cocreate_function(void);

/* ---------- host objects as userdata ---------- */
/* Every host object crosses into Lua as a full userdata that starts with a tag naming its type;
   only the host creates full userdata, so a tag check is a complete type check. The tags are
   declared in Swift (HostTag in LuaBridge/HostType.swift); C needs only the vector's, for vector.c. */
enum { NRL_TAG_VECTOR = 0x6E726C01 };

typedef struct nrl_object {
    unsigned int tag;
    void *object;          /* a retained Swift object, released by __gc */
    size_t bytes;          /* host memory it holds, charged to the state's memory cap */
} nrl_object;

/* Vectors are indexed from Lua at every step, so indexing is done in C (vector.c) without a call
   into Swift: the userdata holds the element pointer itself. */
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

/* Sets the vector metatable's C metamethods in the table on top (methods table at `methods`). */
void nrl_set_vector_metamethods(lua_State *L, int methods);

/* Sets __index (the methods table at `methods`, looked up by the VM without a C call) and
   __tostring (refuses a collected object) of another host type's metatable, on top. */
void nrl_set_object_metamethods(lua_State *L, int methods);

/* A collected host object (its __gc has run: object == NULL) can still be reached from Lua — as a
   weak table's key until the next cycle, or through other objects finalized with it. Every access
   refuses it with this message ("a collected vector object was used …"); %s is the type's name. */
#define NRL_COLLECTED_FORMAT "a collected %s object was used (the collector had already finalized it: it was reachable only through a weak table or another collected object); keep a strong reference to host objects you still use"

/* ---------- a Lua environment's step (step.c) ---------- */
/* Reads an environment step's results from the top five slots — obs (a table or a vector of n finite
   numbers), reward, terminated, truncated, info — in one call: the per-step path of a Lua environment.
   Returns 0, or what is wrong: 1 obs is neither table nor vector, 2 wrong length (*bad = the length),
   3 element *bad (1-based) not a finite number, 4 reward not a finite number, 5 a flag not a boolean.
   flags: bit 0 terminated, bit 1 truncated, bit 2 info.new_trial. */
int nrl_read_step(lua_State *L, int first, float *obs, int n, double *reward, int *flags, int *bad);

#endif

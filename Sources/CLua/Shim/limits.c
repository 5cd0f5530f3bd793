/* The limits a sandboxed script runs under: the allocator behind the memory cap, the count hook
   behind the instruction budget and the per-call clock, the watchdog's arming of that hook, and
   the host memory charged to the cap. They live in C because the hook and the allocator must be
   able to raise Lua errors (long jumps), which must never cross a Swift frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

double nrl_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The innermost script line on L's stack, as "file:line" (the sandbox's own Lua prelude,
   chunk "=nrlhost", is not a script line). */
static void nrl_where_into(lua_State *L, char *where, size_t size) {
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && strcmp(ar.source, "=nrlhost") != 0) {
            /* In a loaded chunk, the line of the load call: "x.lua:12: (load)" gives "x.lua:12". */
            size_t n = strlen(ar.short_src), suffix = strlen(NRL_LOAD_SUFFIX);
            if (n > suffix && strcmp(ar.short_src + n - suffix, NRL_LOAD_SUFFIX) == 0)
                snprintf(where, size, "%.*s", (int)(n - suffix), ar.short_src);
            else
                snprintf(where, size, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

void nrl_record_where(lua_State *L, nrl_limits *g) {
    nrl_where_into(L, g->where, sizeof g->where);
}

/* Count hook: accounts instructions, checks the clock, and once a limit is hit raises at
   every instruction so that no pcall inside the script can swallow the stop. */
void nrl_hook(lua_State *L, lua_Debug *ar) {
    nrl_limits *g = nrl_limits_of(L);
    (void)ar;
    if (g->stop == NRL_STOP_NONE) {
        /* Coroutines always run with the standard count; the main thread's may be 1 once the
           watchdog has found its call past the clock. */
        g->instructions += L == g->main ? g->hook_count : NRL_HOOK_COUNT;
        if (g->instruction_budget > 0 && g->instructions > g->instruction_budget) g->stop = NRL_STOP_INSTRUCTIONS;
        else if (g->seconds_per_call > 0 && g->expired_serial == g->call_serial) g->stop = NRL_STOP_TIME;
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
    g->hook_count = 1;
    lua_sethook(L, nrl_hook, LUA_MASKCOUNT, 1);
    /* A stop inside a coroutine must also stop the thread that resumed it. */
    if (L != g->main) lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1);
    lua_pushliteral(L, "nrlhost: script stopped by a limit");
    lua_error(L);
}

/* The count hook costs every Lua instruction a detour, so the main thread runs without it and a
   watchdog thread arms it (lua_sethook is async-safe) once a single call has run for a while:
   ordinary calls pay nothing, and a runaway one is still counted and stopped. Coroutines always
   run hooked (see nrl_sandbox_cocreate in sandbox.c). */
static void nrl_arm_hook(nrl_limits *g) {
    g->hook_count = NRL_HOOK_COUNT;
    g->hook_armed = 1;
    lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, NRL_HOOK_COUNT);
}

void nrl_begin_call(nrl_limits *g) {
    g->instructions = 0;
    g->deadline = 0;
    g->call_serial++;
    g->in_call = 1;
}

void nrl_end_call(nrl_limits *g) {
    g->in_call = 0;
    if (g->hook_armed && g->stop == NRL_STOP_NONE) {
        g->hook_armed = 0;
        lua_sethook(g->main, NULL, 0, 0);
    }
}

/* Clears a limit stop once the protected call it stopped has returned (a failed reload of a
   watched script), so that the state's next calls run normally again, and collects what the
   stopped call left. */
void nrl_clear_stop(nrl_limits *g) {
    g->stop = NRL_STOP_NONE;
    g->expired_serial = 0;
    g->where[0] = 0;
    g->instructions = 0;
    g->deadline = 0;
    g->hook_armed = 0;
    lua_sethook(g->main, NULL, 0, 0);
    lua_gc(g->main, LUA_GCCOLLECT);  /* what the stopped call left (a memory stop's garbage) */
}

/* One watchdog tick: arms the hook if the same call was already running at the previous tick;
   once that call is past its clock, the hook runs at the next instruction and stops it there.
   The count hook alone reads the clock every 1000 instructions, which a loop of slow library or
   host calls (a big string.rep, a large network's forward pass) stretches to seconds. The call
   began at most one tick before it was first seen, so the clock counted from then is never early.
   If the call ends between the check and the hook change, the next call only runs hooked at every
   instruction until it ends (its serial differs from expired_serial, so it is not stopped). */
void nrl_watchdog_tick(nrl_limits *g, long long *seen_serial, double *seen_at, double now) {
    long long serial = g->call_serial;
    if (serial != *seen_serial) {
        *seen_serial = serial;
        *seen_at = now;
        return;
    }
    if (!g->in_call) return;
    if (!g->hook_armed) nrl_arm_hook(g);
    double seconds = g->seconds_per_call;
    if (seconds > 0 && now - *seen_at >= seconds && g->expired_serial != serial && g->stop == NRL_STOP_NONE) {
        g->expired_serial = serial;
        g->hook_count = 1;
        g->hook_armed = 1;
        lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1);
    }
}

/* A memory stop: sticky, re-raised by the hook at every instruction. */
static void nrl_memory_stop(nrl_limits *g) {
    g->stop = NRL_STOP_MEMORY;
    if (g->refused_where[0] != 0) memcpy(g->where, g->refused_where, sizeof g->where);
    else if (g->main) nrl_record_where(g->main, g);
    if (g->main) { g->hook_armed = 1; lua_sethook(g->main, nrl_hook, LUA_MASKCOUNT, 1); }
}

void nrl_settle_refusal(nrl_limits *g) {
    if (g->refused && g->stop == NRL_STOP_NONE) nrl_memory_stop(g);
    g->refused = 0;
    g->refused_where[0] = 0;
}

/* The allocator behind the memory cap. Script code gets NULL (a Lua memory error) past the cap,
   and the stop is recorded so that the hook re-raises it; host code is never refused.
   Lua answers a refusal with an emergency collection and asks for the same block again: only a
   second refusal of it is a stop, so garbage the collector had not reached yet does not count against
   the cap. A refusal that is not asked again (lauxlib's buffers raise at once) is a stop as soon as
   any other request comes. */
static void *nrl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    nrl_limits *g = (nrl_limits *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        g->memory_used -= old;
        return NULL;
    }
    int again = g->refused && g->refused_block == ptr && g->refused_size == nsize;
    if (g->refused && !again) nrl_settle_refusal(g);
    g->refused = 0;
    if (nsize > old && g->memory_limit > 0 && g->host_depth == 0
        && g->memory_used + g->host_bytes - old + nsize > g->memory_limit) {
        if (g->stop == NRL_STOP_NONE) {
            if (!again) {
                g->refused = 1;
                g->refused_block = ptr;
                g->refused_size = nsize;
                if (g->main) nrl_where_into(g->main, g->refused_where, sizeof g->refused_where);
            } else {
                nrl_memory_stop(g);
            }
        }
        return NULL;
    }
    g->refused_where[0] = 0;
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
}

/* A new state whose allocator enforces `g`'s memory cap. */
lua_State *nrl_newstate(nrl_limits *g) {
    memset(g, 0, sizeof *g);
    g->host_depth = 1;
    lua_State *L = lua_newstate(nrl_alloc, g);
    if (L) {
        g->main = L;
        g->running = L;
        *(nrl_limits **)lua_getextraspace(L) = g;
        lua_atpanic(L, nrl_panic);
        lua_setwarnf(L, NULL, NULL);
    }
    return L;
}

/* Whether `extra` more bytes exceed the cap. */
static int nrl_over_cap(const nrl_limits *g, size_t extra) {
    return g->memory_limit > 0 && g->memory_used + g->host_bytes + extra > g->memory_limit;
}

void nrl_collect_host(lua_State *L) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_charged = 0;
    g->collecting++;
    lua_gc(L, LUA_GCCOLLECT);  /* returns at once inside a finalizer (the collector is stopped there) */
    g->collecting--;
}

/* Charges `bytes` of host memory to the cap; 0 (and a sticky memory stop) if it does not fit. */
int nrl_charge_host(lua_State *L, size_t bytes) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_charged += bytes;
    size_t pace = g->memory_limit > 0 ? g->memory_limit / 8 : (size_t)64 << 20;
    if (g->host_charged > pace || nrl_over_cap(g, bytes)) nrl_collect_host(L);
    if (nrl_over_cap(g, bytes)) {
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

void nrl_release_host(lua_State *L, size_t bytes) {
    nrl_limits *g = nrl_limits_of(L);
    g->host_bytes -= bytes < g->host_bytes ? bytes : g->host_bytes;
}

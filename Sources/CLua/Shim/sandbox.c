/* The sandbox's own versions of Lua library functions (print, load, setmetatable,
   collectgarbage, coroutine.create, pow) and the opening and loading of scripts. They are in C
   because each can raise a Lua error on a script's bad argument, and a Lua error must never
   long-jump through a Swift frame. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <lualib.h>
#include "internal.h"

/* Opens the libraries the sandbox draws from (not io, os, package or debug). */
void nrl_open_libraries(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1); lua_pop(L, 1);
}

/* Loads a script as text only (binary chunks are refused) and sets its _ENV to the table on top
   of the stack (which it pops). Leaves the function, or an error message, on the stack. */
int nrl_load_text(lua_State *L, const char *text, size_t length, const char *chunkname) {
    int status = luaL_loadbufferx(L, text, length, chunkname, "t");
    if (status == LUA_OK) {
        lua_insert(L, -2);                    /* function, env */
        if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
    } else {
        lua_remove(L, -2);                    /* drop env, keep message */
    }
    return status;
}

/* Writes script text with control characters shown as \xNN (newlines and tabs kept), so printed
   text cannot move the cursor or forge other lines on a terminal. */
static void nrl_write_visible(const char *s, size_t len, FILE *out) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) fprintf(out, "\\x%02X", c);
        else fputc(c, out);
    }
}

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
        nrl_write_visible(line, len, stderr);
    } else if (g->print_bytes <= g->print_limit) {
        fprintf(stderr, "(further script output suppressed after %lld bytes)\n", g->print_limit);
    }
    g->print_bytes += (long long)len;
    return 0;
}

/* The name of a chunk a script loads, whatever name it passed: the real script and the line of the
   load call, "@/path/x.lua:12: (load)", so that an error in it reads "/path/x.lua:12: (load):2: …"
   and never names another file. A chunk loaded by a loaded chunk keeps the outermost name. */
static void nrl_push_load_chunkname(lua_State *L) {
    lua_Debug ar;
    size_t suffix = strlen(NRL_LOAD_SUFFIX);
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 || strcmp(ar.source, "=nrlhost") == 0) continue;
        size_t n = strlen(ar.source);
        if (n > suffix && strcmp(ar.source + n - suffix, NRL_LOAD_SUFFIX) == 0) {
            lua_pushstring(L, ar.source);
            return;
        }
        if (ar.source[0] == '@') {
            lua_pushfstring(L, "%s:%d" NRL_LOAD_SUFFIX, ar.source, ar.currentline);
            return;
        }
        break;
    }
    lua_pushliteral(L, "=(load)");
}

/* load(chunk [, chunkname [, mode [, env]]]): strings only, text only, and the sandbox as the
   default environment (upvalue 1). The chunk name argument is ignored (see above). */
static int nrl_sandbox_load(lua_State *L) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (s == NULL || lua_type(L, 1) != LUA_TSTRING) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: only source strings can be loaded here");
        return 2;
    }
    luaL_optstring(L, 2, NULL);  /* checked, then ignored */
    const char *mode = luaL_optstring(L, 3, "t");
    if (strchr(mode, 'b') != NULL && strchr(mode, 't') == NULL) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: binary chunks are not allowed");
        return 2;
    }
    int has_env = !lua_isnone(L, 4);
    nrl_push_load_chunkname(L);
    int status = luaL_loadbufferx(L, s, len, lua_tostring(L, -1), "t");
    lua_remove(L, -2);                        /* the name */
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

void nrl_push_sandbox_functions(lua_State *L, int env) {
    env = lua_absindex(L, env);
    lua_pushcfunction(L, nrl_sandbox_print); lua_setfield(L, env, "print");
    lua_pushvalue(L, env); lua_pushcclosure(L, nrl_sandbox_load, 1); lua_setfield(L, env, "load");
    lua_pushcfunction(L, nrl_sandbox_setmetatable); lua_setfield(L, env, "setmetatable");
    lua_pushcfunction(L, nrl_sandbox_collectgarbage); lua_setfield(L, env, "collectgarbage");
}

lua_CFunction nrl_libm_pow_function(void) { return nrl_libm_pow; }
lua_CFunction nrl_cocreate_function(void) { return nrl_sandbox_cocreate; }

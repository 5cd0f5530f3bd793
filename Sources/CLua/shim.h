#ifndef NRLHOST_CLUA_SHIM_H
#define NRLHOST_CLUA_SHIM_H
/* Lua 5.4 for Swift. Many Lua API entry points are macros, which Swift cannot call;
   the static inline functions below give them a callable form. */
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static inline int nrl_lua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline void nrl_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline int nrl_luaL_loadstring(lua_State *L, const char *s) { return luaL_loadstring(L, s); }
static inline lua_Number nrl_lua_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }
static inline const char *nrl_lua_tostring(lua_State *L, int idx) { return lua_tostring(L, idx); }
static inline void nrl_lua_newtable(lua_State *L) { lua_newtable(L); }
static inline int nrl_lua_isnil(lua_State *L, int idx) { return lua_isnil(L, idx); }

#endif

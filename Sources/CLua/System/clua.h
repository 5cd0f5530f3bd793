/* Lua 5.4 as the Swift module CLua: the headers of Debian's liblua5.4-dev, found through
   pkg-config (lua5.4). The nrlhost shim on top of them is the C target CLuaShim (../Shim). */
#ifndef NRLHOST_CLUA_H
#define NRLHOST_CLUA_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#endif

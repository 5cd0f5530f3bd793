/* The metamethods of the vector userdata. Scripts index vectors at every step, so v[i], v[i] = x,
   #v and tostring(v) are answered here in C, from the element pointer in the userdata, without a
   call into Swift; their errors (index out of range, read-only vector) are raised here too. */
#include <stdio.h>
#include "internal.h"

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

/* Sets the vector metatable's C metamethods in the table on top (methods table at `methods`). */
void nrl_set_vector_metamethods(lua_State *L, int methods) {
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

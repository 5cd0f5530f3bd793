/* The metamethods of the vector userdata. Scripts index vectors at every step, so v[i], v[i] = x,
   #v and tostring(v) are answered here in C, from the element pointer in the userdata, without a
   call into Swift; their errors (index out of range, read-only vector) are raised here too.
   The other host types' __index and __tostring are here too. Every one of them refuses a collected
   object: its storage may already be freed. */
#include <stdio.h>
#include "internal.h"

/* Raises the collected-object error for the userdata at idx (level 1: the script line). */
int nrl_collected_error(lua_State *L, int idx) {
    const char *name = "host";
    if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) name = lua_tostring(L, -1);
    /* The innermost script line: tostring(v) reaches __tostring through a C function. */
    lua_Debug ar;
    int level = 1;
    while (lua_getstack(L, level, &ar) && !(lua_getinfo(L, "l", &ar) && ar.currentline > 0)) level++;
    luaL_where(L, level);
    lua_pushfstring(L, NRL_COLLECTED_FORMAT, name);
    lua_concat(L, 2);
    return lua_error(L);
}

/* The vector at index 1 of a metamethod, refusing a collected one. */
static nrl_vector *nrl_live_vector(lua_State *L) {
    nrl_vector *v = (nrl_vector *)lua_touserdata(L, 1);
    if (v == NULL || v->object == NULL) nrl_collected_error(L, 1);
    return v;
}

/* __index: v[i] for 1 <= i <= #v, otherwise a method from the table in upvalue 1. */
static int nrl_vector_index(lua_State *L) {
    nrl_vector *v = nrl_live_vector(L);
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
    nrl_vector *v = nrl_live_vector(L);
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
    lua_pushinteger(L, nrl_live_vector(L)->count);
    return 1;
}

static int nrl_vector_tostring(lua_State *L) {
    nrl_vector *v = nrl_live_vector(L);
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

/* __tostring of the other host types: "<matrices>". */
static int nrl_object_tostring(lua_State *L) {
    nrl_object *o = (nrl_object *)lua_touserdata(L, 1);
    if (o == NULL || o->object == NULL) return nrl_collected_error(L, 1);
    luaL_getmetafield(L, 1, "__name");
    lua_pushfstring(L, "<%s>", lua_tostring(L, -1));
    return 1;
}

/* __index of the other host types is the methods table itself: the VM looks a method up without a
   call into C (scripts call several methods per step). A collected object's method is still found,
   but every method refuses it as its argument, so nothing reaches freed storage. */
void nrl_set_object_metamethods(lua_State *L, int methods) {
    methods = lua_absindex(L, methods);
    lua_pushvalue(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, nrl_object_tostring);
    lua_setfield(L, -2, "__tostring");
}

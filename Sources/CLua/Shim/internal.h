/* What the shim's .c files share with each other but not with Swift. */
#ifndef NRLHOST_CLUA_SHIM_INTERNAL_H
#define NRLHOST_CLUA_SHIM_INTERNAL_H
#include "shim.h"

/* The count hook (limits.c): accounts instructions, checks the clock, and once a limit is hit
   raises at every instruction. The trampoline and coroutine.create set it too. */
void nrl_hook(lua_State *L, lua_Debug *ar);

/* A refused allocation that Lua did not ask for again before the call ended (lauxlib's buffers raise
   at once) becomes a memory stop (limits.c). */
void nrl_settle_refusal(nrl_limits *g);

/* Records the innermost script line on L's stack in g->where, as "file:line" (limits.c). */
void nrl_record_where(lua_State *L, nrl_limits *g);

/* Raises "a collected <type> object was used …" for the userdata at idx (vector.c). */
int nrl_collected_error(lua_State *L, int idx);

/* The end of the name of a chunk a script loaded with load (sandbox.c): "@/path/x.lua:12: (load)". */
#define NRL_LOAD_SUFFIX ": (load)"

/* Element i (0-based) of a vector, as a Lua number. */
static inline lua_Number nrl_vector_get(const nrl_vector *v, int i) {
    return v->is_double ? ((const double *)v->data)[i] : (lua_Number)((const float *)v->data)[i];
}

#endif

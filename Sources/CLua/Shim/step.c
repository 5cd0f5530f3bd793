/* Reading a Lua environment's step results. A Lua environment returns obs, reward, terminated,
   truncated, info at every step; checking and copying them here in one call from Swift replaces
   a dozen Swift-to-Lua API calls per step. */
#include <math.h>
#include "internal.h"

int nrl_read_step(lua_State *L, int first, float *obs, int n, double *reward, int *flags, int *bad) {
    int o = lua_absindex(L, first);
    nrl_vector *v = nrl_to_vector(L, o);
    if (v != NULL && v->object != NULL) {
        if (v->count != n) { *bad = v->count; return 2; }
        for (int i = 0; i < n; i++) {
            double x = nrl_vector_get(v, i);
            if (!isfinite((float)x)) { *bad = i + 1; return 3; }  /* NaN, inf, or beyond float32 */
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
            if (!is_number || !isnum || !isfinite((float)x)) { *bad = i + 1; return 3; }
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
        /* Raw: this runs outside the protected call, where a metamethod's error would abort the
           process and its loop would run with no limit. */
        lua_pushliteral(L, "new_trial");
        lua_rawget(L, o + 4);
        if (lua_toboolean(L, -1)) *flags |= 4;
        lua_pop(L, 1);
    }
    return 0;
}

// The shared-memory step channel between nrlhost and its Python worker (docs/bridge.md, "The step channel").
// A step is a write into shared memory and a counter bump on each side, with no system call while both
// sides are awake: each waits by spinning for a while, then sleeps on a futex. C because Swift cannot
// call futex(2) (syscall is variadic) nor place an atomic on shared memory.
#ifndef NRL_WORKER_CHANNEL_H
#define NRL_WORKER_CHANNEL_H
#include <stdint.h>

// Byte offsets in the shared region (little-endian; the worker uses the same numbers).
enum {
    NRL_CHANNEL_REQUEST = 0,        // u32, bumped by nrlhost for every request
    NRL_CHANNEL_RESPONSE = 4,       // u32, set to the request's number by the worker when a step is answered
    NRL_CHANNEL_WORKER_ASLEEP = 8,  // u32, 1 while the worker sleeps on REQUEST
    NRL_CHANNEL_HOST_ASLEEP = 12,   // u32, 1 while nrlhost sleeps on RESPONSE
    NRL_CHANNEL_KIND = 16,          // u32: 3 a step, 2 a reset, 0 a frame waits on the socket
    NRL_CHANNEL_ACTION = 20,        // u32: a step's action; a reset's 1 when SEED holds a seed
    NRL_CHANNEL_REWARD = 24,        // f64
    NRL_CHANNEL_STATUS = 32,        // u32: 0 answered, 1 the worker raised (its error frame is on the socket)
    NRL_CHANNEL_FLAGS = 36,         // u32: 1 terminated, 2 truncated, 4 new trial
    NRL_CHANNEL_SEED = 40,          // u64: a reset's seed
    NRL_CHANNEL_OBSERVATION = 64,   // f32 × observation size
    NRL_CHANNEL_BYTES = 1 << 20     // the region's size; larger observations go over the socket
};

// An anonymous shared-memory file of NRL_CHANNEL_BYTES (memfd), or -1 with errno.
int nrl_channel_create(void);
// Maps the file; NULL on failure.
void *nrl_channel_map(int fd);
void nrl_channel_unmap(void *base);

// Publishes request `number` of `kind` (and `action`), and wakes the worker if it sleeps.
void nrl_channel_post(void *base, uint32_t number, uint32_t kind, uint32_t action);

// Waits until RESPONSE equals `number`: spins for up to `spin_ns` nanoseconds, then sleeps on a futex for at
// most `slice_ns`. Returns 2 when answered while spinning, 1 when answered after sleeping, 0 when the
// slice ended first (the caller checks the worker and its deadline, then waits again with spin_ns 0).
int nrl_channel_await(void *base, uint32_t number, int64_t spin_ns, int64_t slice_ns);
#endif

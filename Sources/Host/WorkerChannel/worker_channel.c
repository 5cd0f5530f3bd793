#define _GNU_SOURCE
#include "worker_channel.h"
#include <errno.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint32_t *word(void *base, int offset) { return (uint32_t *)((char *)base + offset); }

int nrl_channel_create(void) {
    int fd = memfd_create("nrlhost-worker-channel", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (ftruncate(fd, NRL_CHANNEL_BYTES) != 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

void *nrl_channel_map(int fd) {
    void *base = mmap(NULL, NRL_CHANNEL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return base == MAP_FAILED ? NULL : base;
}

void nrl_channel_unmap(void *base) { munmap(base, NRL_CHANNEL_BYTES); }

void nrl_channel_post(void *base, uint32_t number, uint32_t kind, uint32_t action) {
    __atomic_store_n(word(base, NRL_CHANNEL_KIND), kind, __ATOMIC_RELAXED);
    __atomic_store_n(word(base, NRL_CHANNEL_ACTION), action, __ATOMIC_RELAXED);
    // Sequentially consistent: the bump is visible before WORKER_ASLEEP is read, so a worker going to
    // sleep either sees the bump (futex compares it) or is seen asleep and woken.
    __atomic_store_n(word(base, NRL_CHANNEL_REQUEST), number, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(word(base, NRL_CHANNEL_WORKER_ASLEEP), __ATOMIC_SEQ_CST))
        syscall(SYS_futex, word(base, NRL_CHANNEL_REQUEST), FUTEX_WAKE, 1, NULL, NULL, 0);
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int nrl_channel_await(void *base, uint32_t number, int64_t spin_ns, int64_t slice_ns) {
    uint32_t *response = word(base, NRL_CHANNEL_RESPONSE);
    if (__atomic_load_n(response, __ATOMIC_ACQUIRE) == number) return 2;
    if (spin_ns > 0) {
        int64_t end = now_ns() + spin_ns;
        for (unsigned k = 1;; k++) {
            relax();
            if (__atomic_load_n(response, __ATOMIC_ACQUIRE) == number) return 2;
            if ((k & 63) == 0 && now_ns() >= end) break;
        }
    }
    uint32_t *asleep = word(base, NRL_CHANNEL_HOST_ASLEEP);
    __atomic_store_n(asleep, 1, __ATOMIC_SEQ_CST);
    uint32_t seen = __atomic_load_n(response, __ATOMIC_SEQ_CST);
    if (seen != number) {
        struct timespec slice = { (time_t)(slice_ns / 1000000000), (long)(slice_ns % 1000000000) };
        syscall(SYS_futex, response, FUTEX_WAIT, seen, &slice, NULL, 0);
    }
    __atomic_store_n(asleep, 0, __ATOMIC_RELAXED);
    return __atomic_load_n(response, __ATOMIC_ACQUIRE) == number;
}

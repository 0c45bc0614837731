#ifndef CPREFETCH_H
#define CPREFETCH_H

#include <sched.h>

/// A software prefetch of the cache line holding `address` (PREFETCHT0 on x86). Swift has no prefetch of its
/// own and cannot import `_mm_prefetch` (a macro); a static inline function is imported and inlined. Unlike a
/// load, a prefetch retires at once and never faults, so it can run far ahead of a streamed weight matrix.
static inline __attribute__((always_inline)) void prefetchForRead(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// A hint inside a spin-wait loop (PAUSE on x86, YIELD on arm64): it lets the sibling hyperthread run and
/// keeps the loop from flooding the memory system with loads of the flag it waits on.
static inline __attribute__((always_inline)) void spinPause(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/// Gives up the rest of this thread's time slice: a spin-wait that has lasted long is probably waiting for a
/// thread the OS descheduled, and spinning on would only keep that thread off the core.
static inline void spinYield(void) { sched_yield(); }

#endif

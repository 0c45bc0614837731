#ifndef CPREFETCH_H
#define CPREFETCH_H

/// A software prefetch of the cache line holding `address` (PREFETCHT0 on x86). Swift has no prefetch of its
/// own and cannot import `_mm_prefetch` (a macro); a static inline function is imported and inlined. Unlike a
/// load, a prefetch retires at once and never faults, so it can run far ahead of a streamed weight matrix.
static inline __attribute__((always_inline)) void prefetchForRead(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif

// A fast non-cryptographic 64-bit hash for the quantized-weights cache key: four independent multiply-xor lanes over
// 8-byte words (≈ 10 GB/s on one core, so a 270 MB model hashes in well under a second), then a mix of the lanes,
// the tail bytes and the length.
#include "include/CQuant.h"
#include <string.h>

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

uint64_t cq_hash64(const void *bytes, uint64_t count, uint64_t seed) {
    const uint8_t *p = bytes;
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t lane[4] = {seed ^ 0x243F6A8885A308D3ULL, seed ^ 0x13198A2E03707344ULL, seed ^ 0xA4093822299F31D0ULL, seed ^ 0x082EFA98EC4E6C89ULL};
    uint64_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            lane[l] = rotl((lane[l] ^ w) * k, 31);
        }
    }
    uint64_t h = mix(lane[0]) ^ rotl(mix(lane[1]), 16) ^ rotl(mix(lane[2]), 32) ^ rotl(mix(lane[3]), 48);
    for (; i < count; i++) h = (h ^ p[i]) * 0x100000001B3ULL;
    return mix(h ^ count);
}

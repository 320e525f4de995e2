/*
 * Helpers shared by the fuzz targets of tests/fuzz: the libFuzzer entry
 * point, an invariant check that aborts (libFuzzer then saves the input as
 * a crash reproducer) and a reader of typed fields from the input bytes.
 *
 * The targets build two ways: with clang -fsanitize=fuzzer,address,undefined
 * (tests/fuzz/build.sh, scripts/test.sh --suite fuzz), and with any C
 * compiler next to tests/fuzz/replay.c, which runs saved inputs through the
 * same entry point (the top-level meson unit tests replay the corpus).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DWC_EP_FUZZ_COMMON_H
#define DWC_EP_FUZZ_COMMON_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and abort, so that the input is kept. */
#define FUZZ_CHECK(cond)                                                \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: invariant broken: %s\n",            \
                    __FILE__, __LINE__, #cond);                         \
            abort();                                                    \
        }                                                               \
    } while (0)

/* Reads fields from the input in order; past its end every field is 0. */
typedef struct FuzzInput {
    const uint8_t *p;
    size_t left;
} FuzzInput;

static inline uint8_t fuzz_u8(FuzzInput *in)
{
    uint8_t v = 0;

    if (in->left) {
        v = *in->p++;
        in->left--;
    }
    return v;
}

/* Little-endian, so that seed files are easy to write by hand. */
static inline uint16_t fuzz_u16(FuzzInput *in)
{
    uint16_t lo = fuzz_u8(in);

    return lo | (uint16_t)(fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(FuzzInput *in)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        v |= (uint32_t)fuzz_u8(in) << (8 * i);
    }
    return v;
}

static inline uint64_t fuzz_u64(FuzzInput *in)
{
    uint64_t lo = fuzz_u32(in);

    return lo | ((uint64_t)fuzz_u32(in) << 32);
}

/*
 * A heap copy of exactly @len bytes of @src, so that ASan catches an access
 * even one byte past what a function was given (a 0-byte copy has no
 * addressable byte at all).  Free it with free().
 */
static inline uint8_t *fuzz_dup(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len);

    FUZZ_CHECK(p != NULL || len == 0);
    if (len) {
        memcpy(p, src, len);
    }
    return p;
}

#endif

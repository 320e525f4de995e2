/*
 * Stand-in for QEMU's "hw/registerfields.h" in the QEMU-free builds (unit
 * tests, fuzz targets): the register and field declarations and the 32
 * and 64-bit field accessors that the project's QEMU-free files use, with
 * the names and meaning of QEMU's macros.  QEMU builds use QEMU's header.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DWC_EP_UNIT_REGISTERFIELDS_H
#define DWC_EP_UNIT_REGISTERFIELDS_H

#include "qemu/osdep.h"

/* A 64-bit mask of @len bits from bit @shift (0 < @len, shift + len <= 64) */
#define SHIM_MASK64(shift, len) \
    ((~0ULL >> (64 - (len))) << (shift))

/* REG32(reg, addr): A_reg is the byte offset, R_reg the word index. */
#define REG32(reg, addr)                                                  \
    enum { A_ ## reg = (addr) };                                          \
    enum { R_ ## reg = (addr) / 4 };

/* FIELD(reg, field, shift, length): R_reg_field_{SHIFT,LENGTH,MASK} */
#define FIELD(reg, field, shift, length)                                  \
    enum { R_ ## reg ## _ ## field ## _SHIFT = (shift) };                 \
    enum { R_ ## reg ## _ ## field ## _LENGTH = (length) };               \
    enum { R_ ## reg ## _ ## field ## _MASK =                             \
           SHIM_MASK64(shift, length) };

static inline uint64_t shim_field_ex(uint64_t v, unsigned shift,
                                     unsigned len)
{
    return (v >> shift) & (~0ULL >> (64 - len));
}

static inline uint64_t shim_field_dp(uint64_t v, unsigned shift,
                                     unsigned len, uint64_t f)
{
    uint64_t m = SHIM_MASK64(shift, len);

    return (v & ~m) | ((f << shift) & m);
}

#define FIELD_EX32(storage, reg, field)                                   \
    ((uint32_t)shim_field_ex((uint32_t)(storage),                         \
                             R_ ## reg ## _ ## field ## _SHIFT,           \
                             R_ ## reg ## _ ## field ## _LENGTH))
#define FIELD_EX64(storage, reg, field)                                   \
    shim_field_ex((storage), R_ ## reg ## _ ## field ## _SHIFT,           \
                  R_ ## reg ## _ ## field ## _LENGTH)
#define FIELD_DP32(storage, reg, field, val)                              \
    ((uint32_t)shim_field_dp((uint32_t)(storage),                         \
                             R_ ## reg ## _ ## field ## _SHIFT,           \
                             R_ ## reg ## _ ## field ## _LENGTH, (val)))
#define FIELD_DP64(storage, reg, field, val)                              \
    shim_field_dp((storage), R_ ## reg ## _ ## field ## _SHIFT,           \
                  R_ ## reg ## _ ## field ## _LENGTH, (val))

#endif

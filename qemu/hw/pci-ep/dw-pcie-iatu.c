/*
 * DesignWare PCIe iATU: register decode and address translation.
 *
 * Pure functions over DwIatuRegion (see dw-pcie-iatu.h); also built
 * outside QEMU by the top-level meson unit tests.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-iatu.h"

/*
 * Where register @offset (an A_IATU_*) lives in DwIatuRegion, in bytes;
 * -1 for an offset that is no register.
 */
static int reg_slot(unsigned offset)
{
    switch (offset) {
    case A_IATU_CTRL1:
        return offsetof(DwIatuRegion, ctrl1);
    case A_IATU_CTRL2:
        return offsetof(DwIatuRegion, ctrl2);
    case A_IATU_LOWER_BASE:
        return offsetof(DwIatuRegion, lower_base);
    case A_IATU_UPPER_BASE:
        return offsetof(DwIatuRegion, upper_base);
    case A_IATU_LOWER_LIMIT:
        return offsetof(DwIatuRegion, lower_limit);
    case A_IATU_LOWER_TARGET:
        return offsetof(DwIatuRegion, lower_target);
    case A_IATU_UPPER_TARGET:
        return offsetof(DwIatuRegion, upper_target);
    case A_IATU_UPPER_LIMIT:
        return offsetof(DwIatuRegion, upper_limit);
    default:
        return -1;
    }
}

#define IATU_REG_ROW(reg, reset_, ro_, rsvd_) \
    { A_##reg, #reg, (reset_), (ro_), (rsvd_) },

bool dw_iatu_reg_info(unsigned offset, unsigned limit_bits,
                      DwIatuRegInfo *info)
{
    const DwIatuRegInfo rows[] = { DW_IATU_REGS(IATU_REG_ROW, limit_bits) };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (rows[i].offset == offset) {
            *info = rows[i];
            return true;
        }
    }
    return false;
}

void dw_iatu_region_reset(DwIatuRegion *r)
{
    /* reset values do not depend on the limit width */
    const DwIatuRegInfo rows[] = { DW_IATU_REGS(IATU_REG_ROW, 64) };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(rows); i++) {
        *(uint32_t *)((char *)r + reg_slot(rows[i].offset)) = rows[i].reset;
    }
}

bool dw_iatu_reg_read(const DwIatuRegion *r, unsigned offset, uint32_t *val)
{
    int slot = reg_slot(offset);

    if (slot < 0) {
        return false;
    }
    *val = *(const uint32_t *)((const char *)r + slot);
    return true;
}

bool dw_iatu_reg_write(DwIatuRegion *r, unsigned offset, uint32_t val,
                       unsigned limit_bits)
{
    int slot = reg_slot(offset);
    DwIatuRegInfo info;

    if (slot < 0 || !dw_iatu_reg_info(offset, limit_bits, &info)) {
        return false;
    }
    *(uint32_t *)((char *)r + slot) = (info.reset & info.ro) |
                                      (val & ~(info.ro | info.rsvd));
    return true;
}

uint64_t dw_iatu_base(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_base << 32) | r->lower_base;
}

uint64_t dw_iatu_limit(const DwIatuRegion *r)
{
    uint32_t hi = FIELD_EX32(r->ctrl1, IATU_CTRL1, INCREASE_REGION_SIZE) ?
                  r->upper_limit : r->upper_base;

    return ((uint64_t)hi << 32) | r->lower_limit;
}

uint64_t dw_iatu_target(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_target << 32) | r->lower_target;
}

static bool region_is_mem(const DwIatuRegion *r)
{
    return FIELD_EX32(r->ctrl2, IATU_CTRL2, REGION_EN) &&
           FIELD_EX32(r->ctrl1, IATU_CTRL1, TYPE) == DW_IATU_TYPE_MEM;
}

bool dw_iatu_match_addr(const DwIatuRegion *r, bool inbound, uint64_t addr,
                        uint64_t *out, uint64_t *room)
{
    uint64_t base = dw_iatu_base(r);
    uint64_t limit = dw_iatu_limit(r);

    if (!region_is_mem(r) ||
        (inbound && FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_MODE_EN))) {
        return false;
    }
    if (limit < base || addr < base || addr > limit) {
        return false;
    }
    *out = dw_iatu_target(r) + (addr - base);
    /* limit - addr + 1 cannot overflow unless the region spans 2^64. */
    *room = (limit - addr == UINT64_MAX) ? UINT64_MAX : limit - addr + 1;
    return true;
}

bool dw_iatu_match_bar(const DwIatuRegion *r, unsigned bar, uint64_t bar_size,
                       uint64_t offset, uint64_t *out, uint64_t *room)
{
    if (!region_is_mem(r) || !FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_MODE_EN)) {
        return false;
    }
    if (FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_NUM) != bar ||
        offset >= bar_size) {
        return false;
    }
    *out = dw_iatu_target(r) + offset;
    *room = bar_size - offset;
    return true;
}

int dw_iatu_translate_inbound(const DwIatuRegion *regions, unsigned n,
                              unsigned bar, uint64_t bar_size,
                              uint64_t offset, uint64_t pci_addr,
                              uint64_t *out, uint64_t *room)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        if (dw_iatu_match_bar(&regions[i], bar, bar_size, offset, out, room)) {
            return i;
        }
    }
    for (i = 0; i < n; i++) {
        if (dw_iatu_match_addr(&regions[i], true, pci_addr, out, room)) {
            return i;
        }
    }
    return -1;
}

int dw_iatu_translate_outbound(const DwIatuRegion *regions, unsigned n,
                               uint64_t addr, uint64_t *out, uint64_t *room)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        if (dw_iatu_match_addr(&regions[i], false, addr, out, room)) {
            return i;
        }
    }
    return -1;
}

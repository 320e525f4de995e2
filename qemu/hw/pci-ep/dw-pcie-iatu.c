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

#define LOW_MASK (DW_IATU_MIN_REGION_SIZE - 1)

void dw_iatu_region_reset(DwIatuRegion *r)
{
    memset(r, 0, sizeof(*r));
    r->lower_limit = LOW_MASK;
}

bool dw_iatu_reg_read(const DwIatuRegion *r, unsigned offset, uint32_t *val)
{
    switch (offset) {
    case DW_IATU_REGION_CTRL1:
        *val = r->ctrl1;
        return true;
    case DW_IATU_REGION_CTRL2:
        *val = r->ctrl2;
        return true;
    case DW_IATU_LOWER_BASE:
        *val = r->lower_base;
        return true;
    case DW_IATU_UPPER_BASE:
        *val = r->upper_base;
        return true;
    case DW_IATU_LOWER_LIMIT:
        *val = r->lower_limit;
        return true;
    case DW_IATU_LOWER_TARGET:
        *val = r->lower_target;
        return true;
    case DW_IATU_UPPER_TARGET:
        *val = r->upper_target;
        return true;
    case DW_IATU_UPPER_LIMIT:
        *val = r->upper_limit;
        return true;
    default:
        return false;
    }
}

bool dw_iatu_reg_write(DwIatuRegion *r, unsigned offset, uint32_t val,
                       unsigned limit_bits)
{
    uint32_t upper_mask;

    switch (offset) {
    case DW_IATU_REGION_CTRL1:
        r->ctrl1 = val;
        return true;
    case DW_IATU_REGION_CTRL2:
        r->ctrl2 = val;
        return true;
    case DW_IATU_LOWER_BASE:
        r->lower_base = val & ~LOW_MASK;
        return true;
    case DW_IATU_UPPER_BASE:
        r->upper_base = val;
        return true;
    case DW_IATU_LOWER_LIMIT:
        r->lower_limit = val | LOW_MASK;
        return true;
    case DW_IATU_LOWER_TARGET:
        r->lower_target = val & ~LOW_MASK;
        return true;
    case DW_IATU_UPPER_TARGET:
        r->upper_target = val;
        return true;
    case DW_IATU_UPPER_LIMIT:
        if (limit_bits <= 32) {
            upper_mask = 0;
        } else if (limit_bits >= 64) {
            upper_mask = UINT32_MAX;
        } else {
            upper_mask = (uint32_t)((1ull << (limit_bits - 32)) - 1);
        }
        r->upper_limit = val & upper_mask;
        return true;
    default:
        return false;
    }
}

uint64_t dw_iatu_base(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_base << 32) | r->lower_base;
}

uint64_t dw_iatu_limit(const DwIatuRegion *r)
{
    uint32_t hi = (r->ctrl1 & DW_IATU_CTRL1_INCREASE_REGION_SIZE) ?
                  r->upper_limit : r->upper_base;

    return ((uint64_t)hi << 32) | r->lower_limit;
}

uint64_t dw_iatu_target(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_target << 32) | r->lower_target;
}

static bool region_is_mem(const DwIatuRegion *r)
{
    return (r->ctrl2 & DW_IATU_CTRL2_ENABLE) &&
           (r->ctrl1 & DW_IATU_CTRL1_TYPE_MASK) == DW_IATU_CTRL1_TYPE_MEM;
}

bool dw_iatu_match_addr(const DwIatuRegion *r, bool inbound, uint64_t addr,
                        uint64_t *out, uint64_t *room)
{
    uint64_t base = dw_iatu_base(r);
    uint64_t limit = dw_iatu_limit(r);

    if (!region_is_mem(r) ||
        (inbound && (r->ctrl2 & DW_IATU_CTRL2_BAR_MODE_ENABLE))) {
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
    if (!region_is_mem(r) || !(r->ctrl2 & DW_IATU_CTRL2_BAR_MODE_ENABLE)) {
        return false;
    }
    if (((r->ctrl2 & DW_IATU_CTRL2_BAR_MASK) >> DW_IATU_CTRL2_BAR_SHIFT) != bar ||
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

/*
 * DesignWare PCIe iATU (internal Address Translation Unit), unrolled layout:
 * register decode and address translation, with no device state.
 *
 * The region registers and their semantics follow the DesignWare "iATU
 * unroll" register map as driven by Linux 7.2's
 * drivers/pci/controller/dwc/pcie-designware.c: each region has a 0x100
 * byte block at (index << 9) | (inbound << 8) in the "atu" register region.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_PCIE_IATU_H
#define HW_PCI_EP_DW_PCIE_IATU_H

#include "hw/registerfields.h"

/*
 * The registers of one region, as byte offsets inside its block (A_*),
 * with the fields the model gives a meaning to or keeps for the driver:
 * those Linux 7.2's pcie-designware.c programs (PCIE_ATU_* in
 * pcie-designware.h; MSG_CODE is its "code", BAR_NUM its "bar << 8").
 * FUNC_NUM is kept 3 bits wide (functions 0..7; Linux shifts the
 * function number to bit 20).
 */
REG32(IATU_CTRL1, 0x00)                 /* REGION_CTRL1 */
    FIELD(IATU_CTRL1, TYPE, 0, 5)       /* TLP type; 0 is memory */
    FIELD(IATU_CTRL1, TD, 8, 1)         /* TLP digest (ECRC) */
    FIELD(IATU_CTRL1, INCREASE_REGION_SIZE, 13, 1) /* UPPER_LIMIT used */
    FIELD(IATU_CTRL1, FUNC_NUM, 20, 3)  /* function of the region */
REG32(IATU_CTRL2, 0x04)                 /* REGION_CTRL2 */
    FIELD(IATU_CTRL2, MSG_CODE, 0, 8)   /* outbound message code */
    FIELD(IATU_CTRL2, BAR_NUM, 8, 3)    /* inbound BAR match: BAR 0..5 */
    FIELD(IATU_CTRL2, FUNC_NUM_MATCH_EN, 19, 1)
    FIELD(IATU_CTRL2, INHIBIT_PAYLOAD, 22, 1)      /* outbound messages */
    FIELD(IATU_CTRL2, CFG_SHIFT_MODE, 28, 1)       /* RC ECAM windows */
    FIELD(IATU_CTRL2, BAR_MODE_EN, 30, 1)  /* inbound: match mode BAR */
    FIELD(IATU_CTRL2, REGION_EN, 31, 1)
REG32(IATU_LOWER_BASE, 0x08)
    FIELD(IATU_LOWER_BASE, HW, 0, 12)   /* read-only zero: 4 KiB granule */
    FIELD(IATU_LOWER_BASE, RW, 12, 20)
REG32(IATU_UPPER_BASE, 0x0c)
REG32(IATU_LOWER_LIMIT, 0x10)           /* Linux's PCIE_ATU_LIMIT */
    FIELD(IATU_LOWER_LIMIT, HW, 0, 12)  /* read-only ones */
    FIELD(IATU_LOWER_LIMIT, RW, 12, 20)
REG32(IATU_LOWER_TARGET, 0x14)
    FIELD(IATU_LOWER_TARGET, HW, 0, 12) /* read-only zero */
    FIELD(IATU_LOWER_TARGET, RW, 12, 20)
REG32(IATU_UPPER_TARGET, 0x18)
REG32(IATU_UPPER_LIMIT, 0x20)           /* bits 63:32 of the limit */

/* TYPE of a memory read/write region, the only one that translates. */
#define DW_IATU_TYPE_MEM          0x0u

/*
 * Where a register is in the "atu" region: region INDEX's outbound block,
 * then its inbound one (Linux's PCIE_ATU_UNROLL_BASE()).
 */
FIELD(IATU_ADDR, OFFSET, 0, 8)          /* A_IATU_* in the block */
FIELD(IATU_ADDR, INBOUND, 8, 1)
FIELD(IATU_ADDR, INDEX, 9, 8)
#define DW_IATU_REGION_BLOCK      (1u << R_IATU_ADDR_INBOUND_SHIFT)
#define DW_IATU_REGION_STRIDE     (1u << R_IATU_ADDR_INDEX_SHIFT)

/* Smallest region granule: the read-only low bits of base/limit/target. */
#define DW_IATU_MIN_REGION_SIZE   (1u << R_IATU_LOWER_BASE_RW_SHIFT)

/*
 * The bits of CTRL1/CTRL2 the model keeps.  The rest is reserved: it
 * reads as 0 and a write that sets it is ignored (the device logs it as a
 * guest error).  That includes databook fields no Linux 7.2 code
 * programs (traffic class, attributes, tag and header substitution,
 * invert mode, ...): the model implements none of them.
 */
#define DW_IATU_CTRL1_KEPT  (R_IATU_CTRL1_TYPE_MASK | R_IATU_CTRL1_TD_MASK | \
                             R_IATU_CTRL1_INCREASE_REGION_SIZE_MASK |      \
                             R_IATU_CTRL1_FUNC_NUM_MASK)
#define DW_IATU_CTRL2_KEPT  (R_IATU_CTRL2_MSG_CODE_MASK |                  \
                             R_IATU_CTRL2_BAR_NUM_MASK |                   \
                             R_IATU_CTRL2_FUNC_NUM_MATCH_EN_MASK |         \
                             R_IATU_CTRL2_INHIBIT_PAYLOAD_MASK |           \
                             R_IATU_CTRL2_CFG_SHIFT_MODE_MASK |            \
                             R_IATU_CTRL2_BAR_MODE_EN_MASK |               \
                             R_IATU_CTRL2_REGION_EN_MASK)

/*
 * Read-only bits of UPPER_LIMIT for a largest region of 2^@lb bytes: the
 * limit bits at and above @lb read as zero (all of them for @lb <= 32,
 * none for @lb >= 64).  dw_pcie_iatu_detect() writes all ones and reads
 * back the largest region size from what sticks.
 */
#define DW_IATU_UPPER_LIMIT_RO(lb)                                        \
    ((lb) <= 32 ? UINT32_MAX :                                            \
     (lb) >= 64 ? 0 : (uint32_t)(UINT32_MAX << ((lb) - 32)))

/*
 * The registers of a region as data, for the model
 * (dw_iatu_reg_info(), dw_iatu_reg_write(), dw_iatu_region_reset()) and
 * for the tests' checks of reset values, read-only and reserved bits:
 *   X(name, reset value, read-only bits, reserved bits)
 * with @lb the region limit width of dw_iatu_reg_write()'s @limit_bits.
 * Read-only bits always read their reset value; reserved bits read as 0;
 * a write stores every other bit.  The low 12 bits of LOWER_LIMIT read
 * as ones (a 4 KiB granule: what dw_pcie_iatu_detect() reads back as the
 * region alignment); of LOWER_BASE and LOWER_TARGET, as zeros.
 */
#define DW_IATU_REGS(X, lb)                                               \
    X(IATU_CTRL1, 0, 0, ~(uint32_t)DW_IATU_CTRL1_KEPT)                    \
    X(IATU_CTRL2, 0, 0, ~(uint32_t)DW_IATU_CTRL2_KEPT)                    \
    X(IATU_LOWER_BASE, 0, R_IATU_LOWER_BASE_HW_MASK, 0)                   \
    X(IATU_UPPER_BASE, 0, 0, 0)                                           \
    X(IATU_LOWER_LIMIT, R_IATU_LOWER_LIMIT_HW_MASK,                       \
      R_IATU_LOWER_LIMIT_HW_MASK, 0)                                      \
    X(IATU_LOWER_TARGET, 0, R_IATU_LOWER_TARGET_HW_MASK, 0)               \
    X(IATU_UPPER_TARGET, 0, 0, 0)                                         \
    X(IATU_UPPER_LIMIT, 0, DW_IATU_UPPER_LIMIT_RO(lb), 0)

/*
 * One direction of one iATU region, as its raw register values.  A device
 * model keeps an array of these as its register file; the helpers below
 * decode them.
 */
typedef struct DwIatuRegion {
    uint32_t ctrl1;
    uint32_t ctrl2;
    uint32_t lower_base;
    uint32_t upper_base;
    uint32_t lower_limit;
    uint32_t lower_target;
    uint32_t upper_target;
    uint32_t upper_limit;
} DwIatuRegion;

/* One row of DW_IATU_REGS() for one register. */
typedef struct DwIatuRegInfo {
    unsigned offset;        /* A_IATU_* */
    const char *name;       /* "IATU_CTRL1", ... */
    uint32_t reset;         /* value after dw_iatu_region_reset() */
    uint32_t ro;            /* bits that always read their reset value */
    uint32_t rsvd;          /* bits that read as 0 and ignore writes */
} DwIatuRegInfo;

/*
 * dw_iatu_reg_info: the row of DW_IATU_REGS() for the register at byte
 * offset @offset (an A_IATU_*) of a block, for a region limit of
 * @limit_bits address bits (any value; see DW_IATU_UPPER_LIMIT_RO).
 * Returns false, leaving @info alone, for an offset that is no register
 * (including one that is not 4-byte aligned).
 */
bool dw_iatu_reg_info(unsigned offset, unsigned limit_bits,
                      DwIatuRegInfo *info);

/*
 * dw_iatu_reg_read/dw_iatu_reg_write: access one 32-bit register of a
 * region by its byte offset inside the region's block (A_IATU_*).
 * Return false for an offset that is no register, doing nothing (the
 * caller logs a guest error).  A write keeps the read-only bits at their
 * reset value and the reserved bits at 0 and stores the others, as
 * DW_IATU_REGS() says; @limit_bits is the width of the largest region
 * (address bits, e.g. 36 for 64 GiB), which sets the read-only bits of
 * UPPER_LIMIT.  Reserved bits are dropped silently: callers that want to
 * report them compare @val with dw_iatu_reg_info()'s rsvd.
 */
bool dw_iatu_reg_read(const DwIatuRegion *r, unsigned offset, uint32_t *val);
bool dw_iatu_reg_write(DwIatuRegion *r, unsigned offset, uint32_t val,
                       unsigned limit_bits);

/* Every register of @r to its reset value: disabled, limit low bits ones. */
void dw_iatu_region_reset(DwIatuRegion *r);

/*
 * 64-bit decode.  The limit's upper 32 bits are UPPER_LIMIT when
 * INCREASE_REGION_SIZE is set in CTRL1, else those of the base (databook:
 * without the bit, a region may not cross a 4 GiB boundary).
 */
uint64_t dw_iatu_base(const DwIatuRegion *r);
uint64_t dw_iatu_limit(const DwIatuRegion *r);
uint64_t dw_iatu_target(const DwIatuRegion *r);

/*
 * dw_iatu_match_addr: address-match translation, used for outbound regions
 * (CPU address -> PCI address) and for inbound regions without BAR match
 * (PCI address -> EP address).  A region matches when it is enabled, of
 * type MEM, not in BAR mode, and base <= @addr <= limit; a limit below the
 * base matches nothing.  On a match returns true and stores the translated
 * address in @out and the bytes left in the region from @addr (>= 1) in
 * @room; else returns false.  With @inbound false, BAR mode is ignored.
 */
bool dw_iatu_match_addr(const DwIatuRegion *r, bool inbound, uint64_t addr,
                        uint64_t *out, uint64_t *room);

/*
 * dw_iatu_match_bar: inbound BAR-match translation of @offset inside BAR
 * @bar (0..5) whose current size is @bar_size bytes (a power of two).  A
 * region matches when it is enabled, of type MEM, in BAR mode and names
 * @bar; the EP address is target + @offset, @room the bytes left in the
 * BAR.  @offset >= @bar_size never matches.
 */
bool dw_iatu_match_bar(const DwIatuRegion *r, unsigned bar, uint64_t bar_size,
                       uint64_t offset, uint64_t *out, uint64_t *room);

/*
 * dw_iatu_translate_inbound: the inbound lookup order of the controller.
 * BAR-match regions are tried first (lowest index wins), then
 * address-match regions on @pci_addr.  @n is the number of regions in
 * @regions.  Returns the index of the region used, or -1 for no match (an
 * Unsupported Request).
 */
int dw_iatu_translate_inbound(const DwIatuRegion *regions, unsigned n,
                              unsigned bar, uint64_t bar_size,
                              uint64_t offset, uint64_t pci_addr,
                              uint64_t *out, uint64_t *room);

/*
 * dw_iatu_translate_outbound: outbound lookup of CPU address @addr (lowest
 * index wins).  Returns the region index, or -1 for no match.
 */
int dw_iatu_translate_outbound(const DwIatuRegion *regions, unsigned n,
                               uint64_t addr, uint64_t *out, uint64_t *room);

#endif

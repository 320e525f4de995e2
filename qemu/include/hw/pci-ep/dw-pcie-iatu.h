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

/* Byte offsets inside one region's block. */
#define DW_IATU_REGION_CTRL1      0x00
#define DW_IATU_REGION_CTRL2      0x04
#define DW_IATU_LOWER_BASE        0x08
#define DW_IATU_UPPER_BASE        0x0c
#define DW_IATU_LOWER_LIMIT       0x10
#define DW_IATU_LOWER_TARGET      0x14
#define DW_IATU_UPPER_TARGET      0x18
#define DW_IATU_UPPER_LIMIT       0x20
#define DW_IATU_REGION_BLOCK      0x100   /* one direction of one region */
#define DW_IATU_REGION_STRIDE     0x200   /* outbound + inbound block */

/* REGION_CTRL1 */
#define DW_IATU_CTRL1_TYPE_MASK           0x1fu
#define DW_IATU_CTRL1_TYPE_MEM            0x0u
#define DW_IATU_CTRL1_TD                  (1u << 8)
#define DW_IATU_CTRL1_INCREASE_REGION_SIZE (1u << 13)
#define DW_IATU_CTRL1_FUNC_NUM_SHIFT      20
#define DW_IATU_CTRL1_FUNC_NUM_MASK       (0x7u << 20)
/* REGION_CTRL2 */
#define DW_IATU_CTRL2_ENABLE              (1u << 31)
#define DW_IATU_CTRL2_BAR_MODE_ENABLE     (1u << 30)
#define DW_IATU_CTRL2_FUNC_NUM_MATCH_EN   (1u << 19)
#define DW_IATU_CTRL2_BAR_SHIFT           8
#define DW_IATU_CTRL2_BAR_MASK            (0x7u << 8)

/* Smallest region granule: the low 12 bits of base/limit/target. */
#define DW_IATU_MIN_REGION_SIZE   0x1000u

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

/*
 * dw_iatu_reg_read/dw_iatu_reg_write: access one 32-bit register of a
 * region by its byte offset inside the region's block (DW_IATU_*).
 * Returns false for an offset that is not a register (the caller logs a
 * guest error); @offset must be 4-byte aligned.  Writes apply the
 * read-only bits of the databook: the low 12 bits of LOWER_BASE and
 * LOWER_TARGET read as zero and those of LOWER_LIMIT as ones (a 4 KiB
 * minimum region, which is what makes Linux print "align 4K"); the upper
 * limit keeps only the bits below @limit_bits (the width of the largest
 * region, so Linux reads back the maximum region size from it).
 */
bool dw_iatu_reg_read(const DwIatuRegion *r, unsigned offset, uint32_t *val);
bool dw_iatu_reg_write(DwIatuRegion *r, unsigned offset, uint32_t val,
                       unsigned limit_bits);

/* Reset value of a region: disabled, limit low bits all ones. */
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

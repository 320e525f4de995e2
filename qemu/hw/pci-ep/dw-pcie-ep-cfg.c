/*
 * Synopsys DesignWare PCIe controller, endpoint mode: its config space.
 *
 * The config header and capabilities with their reset values and write
 * masks (one set for the DBI, one for the link), Resizable BAR, the DBI
 * and DBI2 (BAR mask) register views, and config reads and writes from
 * the RC over the link (dw-pcie-ep.c has the device itself).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/pci/pci_regs.h"
#include "qemu/log.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"
#include "qemu/bitops.h"
#include "qemu/range.h"
#include "qemu/units.h"

#define REBAR_NUM 2
static const uint8_t rebar_bars[REBAR_NUM] = { 0, 2 };


/* ---- config space helpers ---- */

uint32_t dw_pcie_ep_cfg_get(DwPcieEpState *s, unsigned addr, unsigned len)
{
    uint32_t v = 0;
    unsigned i;

    for (i = 0; i < len; i++) {
        v |= (uint32_t)s->config[addr + i] << (8 * i);
    }
    return v;
}

void dw_pcie_ep_cfg_set(uint8_t *arr, unsigned addr, uint32_t v, unsigned len)
{
    unsigned i;

    for (i = 0; i < len; i++) {
        arr[addr + i] = v >> (8 * i);
    }
}

/* The BAR register @bar (0..5) as the RC last wrote it. */
static uint32_t dw_pcie_ep_bar_reg(DwPcieEpState *s, unsigned bar)
{
    return dw_pcie_ep_cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
}

/* Initial value and masks of one register field. */
static void cfg_init(DwPcieEpState *s, unsigned addr, unsigned len,
                     uint32_t val, uint32_t link, uint32_t dbi, uint32_t ro,
                     uint32_t w1c)
{
    dw_pcie_ep_cfg_set(s->config, addr, val, len);
    dw_pcie_ep_cfg_set(s->wmask_link, addr, link, len);
    dw_pcie_ep_cfg_set(s->wmask_dbi, addr, dbi, len);
    dw_pcie_ep_cfg_set(s->romask_dbi, addr, ro, len);
    dw_pcie_ep_cfg_set(s->w1cmask, addr, w1c, len);
}

static unsigned rebar_ctrl_offset(unsigned i)
{
    return DW_PCIE_EP_EXT_CAP_REBAR + 8 + 8 * i;
}

static unsigned rebar_cap_offset(unsigned i)
{
    return rebar_ctrl_offset(i) - 4;
}

/*
 * Whether Resizable BAR entry @i advertises BAR Size @sel (2^sel MiB):
 * its CAP register has bit sel + 4 set.  Sizes past CAP bit 31 (BAR Size
 * 28 and up, 256 TiB and more) are never advertised: the CTRL register's
 * extra size bits are not modelled.  The one check of a selection, for
 * the link, the DBI and dw_pcie_ep_bar_size alike.
 */
static bool dw_pcie_ep_rebar_size_ok(DwPcieEpState *s, unsigned i,
                                     unsigned sel)
{
    uint32_t cap = dw_pcie_ep_cfg_get(s, rebar_cap_offset(i), 4);

    return sel + 4 < 32 && (cap & (1u << (sel + 4)));
}

/* The largest BAR Size that entry @i advertises, or -1 if it has none. */
static int dw_pcie_ep_rebar_largest(DwPcieEpState *s, unsigned i)
{
    uint32_t sizes = dw_pcie_ep_cfg_get(s, rebar_cap_offset(i), 4) >> 4;

    return sizes ? 31 - clz32(sizes) : -1;
}

static int rebar_index(unsigned bar)
{
    unsigned i;

    for (i = 0; i < REBAR_NUM; i++) {
        if (rebar_bars[i] == bar) {
            return i;
        }
    }
    return -1;
}

uint64_t dw_pcie_ep_bar_size(DwPcieEpState *s, unsigned bar)
{
    uint32_t reg = dw_pcie_ep_bar_reg(s, bar);
    uint64_t mask;
    int r;

    if (bar >= DW_PCIE_EP_NUM_BARS || !(s->bar_mask[bar] & 1)) {
        return 0;
    }
    r = rebar_index(bar);
    if (r >= 0) {
        unsigned sel = extract32(dw_pcie_ep_cfg_get(s, rebar_ctrl_offset(r),
                                                    4), 8, 6);

        /* Only a size the capability advertises; with none, the BAR is off */
        return dw_pcie_ep_rebar_size_ok(s, r, sel) ? MiB << sel : 0;
    }
    mask = s->bar_mask[bar];
    if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
        bar + 1 < DW_PCIE_EP_NUM_BARS) {
        mask |= (uint64_t)s->bar_mask[bar + 1] << 32;
    }
    return mask + 1;
}

void dw_pcie_ep_config_init(DwPcieEpState *s)
{
    unsigned i;

    memset(s->config, 0, sizeof(s->config));
    memset(s->wmask_link, 0, sizeof(s->wmask_link));
    memset(s->wmask_dbi, 0, sizeof(s->wmask_dbi));
    memset(s->romask_dbi, 0, sizeof(s->romask_dbi));
    memset(s->w1cmask, 0, sizeof(s->w1cmask));

    /* Type 0 header */
    cfg_init(s, PCI_VENDOR_ID, 2, s->vendor_id, 0, 0, 0xffff, 0);
    cfg_init(s, PCI_DEVICE_ID, 2, s->device_id, 0, 0, 0xffff, 0);
    cfg_init(s, PCI_COMMAND, 2, 0, 0x0547, 0x0547, 0, 0);
    cfg_init(s, PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0, 0, 0, 0xf900);
    cfg_init(s, PCI_CLASS_REVISION, 4, 0, 0, 0, 0xffffffff, 0);
    cfg_init(s, PCI_CACHE_LINE_SIZE, 1, 0, 0xff, 0xff, 0, 0);
    for (i = 0; i < DW_PCIE_EP_NUM_BARS; i++) {
        /* The BAR address is masked by DBI2 from the link side. */
        cfg_init(s, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0, 0, 0xfffffff0,
                 0xffffffff, 0);
    }
    cfg_init(s, PCI_SUBSYSTEM_VENDOR_ID, 4, 0, 0, 0, 0xffffffff, 0);
    cfg_init(s, PCI_CAPABILITY_LIST, 1, DW_PCIE_EP_CAP_PM, 0, 0, 0, 0);
    cfg_init(s, PCI_INTERRUPT_LINE, 1, 0, 0xff, 0xff, 0, 0);
    cfg_init(s, PCI_INTERRUPT_PIN, 1, 0, 0, 0, 0xff, 0);

    /* PCI Power Management */
    cfg_init(s, DW_PCIE_EP_CAP_PM, 2, PCI_CAP_ID_PM | DW_PCIE_EP_CAP_MSI << 8,
             0, 0, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_PM + PCI_PM_PMC, 2, 0x0003, 0, 0, 0xffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_PM + PCI_PM_CTRL, 2, 0, 0x0103, 0x0103, 0,
             0x8000);

    /* MSI, 64-bit, up to 32 vectors */
    cfg_init(s, DW_PCIE_EP_CAP_MSI, 2, PCI_CAP_ID_MSI | DW_PCIE_EP_CAP_EXP << 8,
             0, 0, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSI + PCI_MSI_FLAGS, 2,
             PCI_MSI_FLAGS_64BIT | (5 << 1), 0x0071, 0x0071, 0x008e, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_LO, 4, 0, 0xfffffffc,
             0xfffffffc, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_HI, 4, 0, 0xffffffff,
             0xffffffff, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSI + PCI_MSI_DATA_64, 2, 0, 0xffff, 0xffff,
             0, 0);

    /* PCI Express v2, endpoint, 8 GT/s x1 */
    cfg_init(s, DW_PCIE_EP_CAP_EXP, 2, PCI_CAP_ID_EXP | DW_PCIE_EP_CAP_MSIX << 8,
             0, 0, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_FLAGS, 2, 0x0002, 0, 0, 0xffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCAP, 4, 0x00008001, 0, 0,
             0xffffffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCTL, 2, 0x2810, 0x7fff, 0x7fff,
             0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVSTA, 2, 0, 0, 0, 0, 0x000f);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCAP, 4, 0x00000013, 0, 0,
             0xffffffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCTL, 2, 0, 0x0fc3, 0x0fc3, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKSTA, 2, 0x0013, 0, 0, 0xffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCAP2, 4, 0, 0, 0, 0xffffffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCTL2, 2, 0, 0xffff, 0xffff, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCAP2, 4, 0x0000000e, 0, 0,
             0xffffffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCTL2, 2, 0x0003, 0xffff, 0xffff,
             0, 0);

    /* MSI-X: table size, BIR and offsets are set by the EP core via DBI */
    cfg_init(s, DW_PCIE_EP_CAP_MSIX, 2, PCI_CAP_ID_MSIX, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSIX + PCI_MSIX_FLAGS, 2, 0, 0xc000, 0xc000,
             0x07ff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE, 4, 0, 0, 0, 0xffffffff, 0);
    cfg_init(s, DW_PCIE_EP_CAP_MSIX + PCI_MSIX_PBA, 4, 0, 0, 0, 0xffffffff, 0);

    /* Resizable BAR for BAR0 and BAR2: 1 MiB .. 512 MiB, 1 MiB selected */
    cfg_init(s, DW_PCIE_EP_EXT_CAP_REBAR, 4, PCI_EXT_CAP_ID_REBAR | 1 << 16,
             0, 0, 0, 0);
    for (i = 0; i < REBAR_NUM; i++) {
        cfg_init(s, rebar_ctrl_offset(i) - 4, 4, 0x00003ff0, 0, 0, 0xfffffff0,
                 0);
        cfg_init(s, rebar_ctrl_offset(i), 4, rebar_bars[i] | REBAR_NUM << 5,
                 0x3f00, 0x3f00, 0xffff0000, 0);
    }

    /* Port logic: read/write storage from the DBI, some fields fixed */
    for (i = 0x700; i < DW_PCIE_EP_DBI_SIZE; i++) {
        s->wmask_dbi[i] = 0xff;
    }
    cfg_init(s, A_PORT_LINK_CONTROL, 4, 0x00010120, 0, 0xffffffff,
             0, 0);
    cfg_init(s, A_PORT_DEBUG0, 4, 0, 0, 0, 0, 0);
    cfg_init(s, A_PORT_DEBUG1, 4, 0, 0, 0, 0, 0);
    cfg_init(s, A_GEN2_CTRL, 4, 0x0001010f, 0, 0xffffffff, 0, 0);
    cfg_init(s, A_VERSION_NUMBER, 4, DW_PCIE_VERSION_520A, 0, 0, 0, 0);
    cfg_init(s, A_VERSION_TYPE, 4, DW_PCIE_VERSION_TYPE, 0, 0, 0, 0);
    cfg_init(s, A_ATU_VIEWPORT, 4, 0xffffffff, 0, 0, 0, 0);
    cfg_init(s, A_EDMA_VIEWPORT_CTRL, 4, 0xffffffff, 0, 0, 0, 0);
    memcpy(s->link_reset, s->config, sizeof(s->link_reset));
}

/*
 * The bits of config byte @a that the RC may have written through the
 * link: its link write mask, and all of the BAR registers (which address
 * bits the RC may write follows the BAR sizes, which the EP may change;
 * the flag bits only the DBI writes, so they equal link_reset anyway).
 */
static uint8_t dw_pcie_ep_link_bits(DwPcieEpState *s, unsigned a)
{
    if (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) {
        return 0xff;
    }
    return s->wmask_link[a];
}

/*
 * A link reset (link down, which a new peer always follows): what the RC
 * wrote through config space (BARs, COMMAND, MSI address, data and
 * enable, MSI-X enable, Resizable BAR sizes, device and link control...)
 * goes back to what reset and the DBI left there, so that the next RC
 * inherits none of it.  What the EP set up through the DBI stays.
 */
void dw_pcie_ep_link_reset_config(DwPcieEpState *s)
{
    unsigned a;

    for (a = 0; a < DW_PCIE_EP_DBI_SIZE; a++) {
        uint8_t m = dw_pcie_ep_link_bits(s, a);

        s->config[a] = (s->config[a] & ~m) | (s->link_reset[a] & m);
    }
    trace_dw_pcie_ep_link_reset_config();
}


/* ---- DBI ---- */

static uint64_t dw_pcie_ep_dbi_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;
    uint32_t val = dw_pcie_ep_cfg_get(s, addr, size);

    trace_dw_pcie_ep_dbi_read(addr, size, val);
    return val;
}

/*
 * A CAP write selects the largest size it offers (databook: the hardware
 * updates the BAR Size field of the CTRL register).  A CAP that offers no
 * size leaves the BAR without one (disabled) until a CAP write offers some.
 */
static void dw_pcie_ep_rebar_cap_written(DwPcieEpState *s, unsigned i)
{
    unsigned ctrl = rebar_ctrl_offset(i);
    int largest = dw_pcie_ep_rebar_largest(s, i);

    if (largest < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: Resizable BAR capability "
                      "of BAR%u advertises no size: the BAR is disabled\n",
                      rebar_bars[i]);
    } else {
        dw_pcie_ep_cfg_set(s->config, ctrl,
                deposit32(dw_pcie_ep_cfg_get(s, ctrl, 4), 8, 6, largest), 4);
    }
    trace_dw_pcie_ep_rebar(rebar_bars[i],
                           dw_pcie_ep_bar_size(s, rebar_bars[i]));
}

/*
 * After a write by @who (for the log) that may have changed the BAR Size
 * field of Resizable BAR entry @i, which read @old_ctrl before it: keep
 * the new selection if the capability advertises it.  Otherwise log it
 * and go back to the old selection if that is advertised, else to the
 * largest advertised size; with none advertised the field keeps its old
 * value and the BAR stays without a size.
 */
static void dw_pcie_ep_rebar_ctrl_written(DwPcieEpState *s, unsigned i,
                                          uint32_t old_ctrl, const char *who)
{
    unsigned ctrl = rebar_ctrl_offset(i);
    uint32_t v = dw_pcie_ep_cfg_get(s, ctrl, 4);
    unsigned sel = extract32(v, 8, 6), old = extract32(old_ctrl, 8, 6);
    int keep;

    if (sel == old) {
        return;
    }
    if (!dw_pcie_ep_rebar_size_ok(s, i, sel)) {
        keep = dw_pcie_ep_rebar_size_ok(s, i, old) ? old :
               dw_pcie_ep_rebar_largest(s, i);
        if (keep < 0) {
            keep = old;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: %s selected BAR Size %u "
                      "for resizable BAR%u, which its capability (0x%08x) "
                      "does not advertise: %u kept\n", who, sel,
                      rebar_bars[i], dw_pcie_ep_cfg_get(s,
                                                        rebar_cap_offset(i), 4),
                      keep);
        dw_pcie_ep_cfg_set(s->config, ctrl, deposit32(v, 8, 6, keep), 4);
    }
    trace_dw_pcie_ep_rebar(rebar_bars[i],
                           dw_pcie_ep_bar_size(s, rebar_bars[i]));
}

static void dw_pcie_ep_dbi_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    bool ro_wr = FIELD_EX32(dw_pcie_ep_cfg_get(s, A_MISC_CONTROL_1, 4),
                            MISC_CONTROL_1, DBI_RO_WR_EN);
    uint32_t old_ctrl[REBAR_NUM];
    unsigned i;

    trace_dw_pcie_ep_dbi_write(addr, size, val);
    for (i = 0; i < REBAR_NUM; i++) {
        old_ctrl[i] = dw_pcie_ep_cfg_get(s, rebar_ctrl_offset(i), 4);
    }
    for (i = 0; i < size; i++) {
        unsigned a = addr + i;
        uint8_t b = val >> (8 * i);
        uint8_t m = s->wmask_dbi[a] | (ro_wr ? s->romask_dbi[a] : 0);

        s->config[a] = (s->config[a] & ~m) | (b & m);
        s->config[a] &= ~(b & s->w1cmask[a]);
        /* the EP's own setting: a link reset keeps it */
        s->link_reset[a] = (s->link_reset[a] & ~m) | (s->config[a] & m);
    }
    for (i = 0; i < REBAR_NUM; i++) {
        bool cap = ro_wr && ranges_overlap(addr, size, rebar_cap_offset(i), 4);
        bool ctrl = ranges_overlap(addr, size, rebar_ctrl_offset(i), 4);

        if (cap) {
            dw_pcie_ep_rebar_cap_written(s, i);
        }
        if (ctrl) {
            dw_pcie_ep_rebar_ctrl_written(s, i, old_ctrl[i], "the DBI");
        }
        if (cap || ctrl) {
            /* the size the controller selected for the EP is the EP's */
            memcpy(s->link_reset + rebar_ctrl_offset(i),
                   s->config + rebar_ctrl_offset(i), 4);
        }
    }
    if (ranges_overlap(addr, size, PCI_BASE_ADDRESS_0, 24)) {
        unsigned bar = (MAX(addr, PCI_BASE_ADDRESS_0) - PCI_BASE_ADDRESS_0) / 4;

        trace_dw_pcie_ep_bar(bar, dw_pcie_ep_bar_reg(s, bar),
                             dw_pcie_ep_bar_size(s, bar));
    }
    dw_pcie_ep_map_changed(s, true);
}

const MemoryRegionOps dw_pcie_ep_dbi_ops = {
    .read = dw_pcie_ep_dbi_read,
    .write = dw_pcie_ep_dbi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* The DWC core uses 1-, 2- and 4-byte accesses, naturally aligned. */
    .valid = { .min_access_size = 1, .max_access_size = 4, .unaligned = false },
};

/* ---- DBI2: the BAR masks ---- */

static uint64_t dw_pcie_ep_dbi2_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;

    if (addr >= PCI_BASE_ADDRESS_0 && addr <= PCI_BASE_ADDRESS_5) {
        return s->bar_mask[(addr - PCI_BASE_ADDRESS_0) / 4];
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep: dbi2 read 0x%" HWADDR_PRIx
                  " is not modelled\n", addr);
    return 0;
}

static void dw_pcie_ep_dbi2_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned bar;

    trace_dw_pcie_ep_dbi2_write(addr, val);
    if (addr >= PCI_BASE_ADDRESS_0 && addr <= PCI_BASE_ADDRESS_5) {
        bar = (addr - PCI_BASE_ADDRESS_0) / 4;
        s->bar_mask[bar] = val;
        trace_dw_pcie_ep_bar(bar, dw_pcie_ep_bar_reg(s, bar),
                             dw_pcie_ep_bar_size(s, bar));
        dw_pcie_ep_map_changed(s, true);
        return;
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep: dbi2 write 0x%" HWADDR_PRIx
                  " = 0x%" PRIx64 " is not modelled, ignored\n", addr, val);
}

const MemoryRegionOps dw_pcie_ep_dbi2_ops = {
    .read = dw_pcie_ep_dbi2_read,
    .write = dw_pcie_ep_dbi2_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};


/* ---- the link side: what the RC sees ---- */

static bool dw_pcie_ep_bar_is_64(DwPcieEpState *s, unsigned bar)
{
    uint32_t reg = dw_pcie_ep_bar_reg(s, bar);

    return !(reg & PCI_BASE_ADDRESS_SPACE_IO) &&
           (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
           PCI_BASE_ADDRESS_MEM_TYPE_64 && bar + 1 < DW_PCIE_EP_NUM_BARS;
}

/*
 * The address bits of BAR register @bar that the RC may write: above the
 * size (and above the flag bits) of an enabled BAR, the upper half of an
 * enabled 64-bit BAR below it, nothing for a disabled BAR.
 */
static uint32_t dw_pcie_ep_bar_wmask(DwPcieEpState *s, unsigned bar)
{
    uint64_t size;

    if (bar > 0 && dw_pcie_ep_bar_is_64(s, bar - 1)) {
        size = dw_pcie_ep_bar_size(s, bar - 1);
        return size ? (uint32_t)(~(size - 1) >> 32) : 0;
    }
    size = dw_pcie_ep_bar_size(s, bar);
    if (!size) {
        return 0;
    }
    return (uint32_t)~(size - 1) & ~0xfu;
}

uint64_t dw_pcie_ep_bar_addr(DwPcieEpState *s, unsigned bar)
{
    uint64_t addr = dw_pcie_ep_bar_reg(s, bar) & ~0xfull;

    if (dw_pcie_ep_bar_is_64(s, bar)) {
        addr |= (uint64_t)dw_pcie_ep_bar_reg(s, bar + 1) << 32;
    }
    return addr;
}

uint32_t dw_pcie_ep_link_cfg_read(DwPcieEpState *s, unsigned off,
                                  unsigned size)
{
    uint32_t val = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned a = off + i;
        uint8_t b = s->config[a];

        if (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) {
            unsigned bar = (a - PCI_BASE_ADDRESS_0) / 4, sh = (a & 3) * 8;
            uint32_t reg = dw_pcie_ep_bar_reg(s, bar);
            uint32_t wm = dw_pcie_ep_bar_wmask(s, bar);
            bool upper = bar > 0 && dw_pcie_ep_bar_is_64(s, bar - 1);
            uint32_t flags = upper || !wm ? 0 : reg & 0xf;

            b = ((reg & wm) | flags) >> sh;
        } else if (a >= 0x700) {
            b = 0;      /* port logic is the DBI's alone */
        }
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

void dw_pcie_ep_link_cfg_write(DwPcieEpState *s, unsigned off,
                               unsigned size, uint32_t val)
{
    uint32_t old_ctrl[REBAR_NUM];
    unsigned i;

    for (i = 0; i < REBAR_NUM; i++) {
        old_ctrl[i] = dw_pcie_ep_cfg_get(s, rebar_ctrl_offset(i), 4);
    }
    for (i = 0; i < size; i++) {
        unsigned a = off + i;
        uint8_t b = val >> (8 * i), m = s->wmask_link[a];

        if (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) {
            unsigned bar = (a - PCI_BASE_ADDRESS_0) / 4;

            m = dw_pcie_ep_bar_wmask(s, bar) >> ((a & 3) * 8);
        }
        s->config[a] = (s->config[a] & ~m) | (b & m);
        s->config[a] &= ~(b & s->w1cmask[a]);
    }
    for (i = 0; i < REBAR_NUM; i++) {
        if (ranges_overlap(off, size, rebar_ctrl_offset(i), 4)) {
            dw_pcie_ep_rebar_ctrl_written(s, i, old_ctrl[i], "the RC");
        }
    }
    dw_pcie_ep_map_changed(s, false);   /* in the link's I/O thread */
}

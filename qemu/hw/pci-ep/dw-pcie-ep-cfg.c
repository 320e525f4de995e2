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
#include "qemu/bswap.h"
#include "qemu/range.h"
#include "qemu/units.h"

/*
 * The Resizable BAR capability's entries: one per BAR the face makes
 * resizable, in BAR order (DwPcieEpFace).  dw_pcie_ep_rebar_num: how
 * many; dw_pcie_ep_rebar_bar: the BAR of entry @i.
 */
static unsigned dw_pcie_ep_rebar_num(DwPcieEpState *s)
{
    const DwPcieEpFace *f = DW_PCIE_EP_GET_CLASS(s)->face;
    unsigned bar, n = 0;

    for (bar = 0; bar < DW_PCIE_EP_NUM_BARS; bar++) {
        n += f->bar[bar].type == DW_PCIE_EP_BAR_RESIZABLE;
    }
    return n;
}

static unsigned dw_pcie_ep_rebar_bar(DwPcieEpState *s, unsigned i)
{
    const DwPcieEpFace *f = DW_PCIE_EP_GET_CLASS(s)->face;
    unsigned bar;

    for (bar = 0; bar < DW_PCIE_EP_NUM_BARS; bar++) {
        if (f->bar[bar].type == DW_PCIE_EP_BAR_RESIZABLE && i-- == 0) {
            break;
        }
    }
    return bar;
}

/* One register of the config space table (DW_PCIE_EP_CFG_REGS). */
typedef struct DwPcieEpCfgReg {
    uint16_t off;
    uint8_t len;
    uint32_t reset;
    uint32_t wmask_link;
    uint32_t wmask_dbi;
    uint32_t romask_dbi;
    uint32_t w1c;
} DwPcieEpCfgReg;

#define DW_PCIE_EP_CFG_ENTRY(o, l, r, link, dbi, ro, w)                     \
    { .off = (o), .len = (l), .reset = (r), .wmask_link = (link),           \
      .wmask_dbi = (dbi), .romask_dbi = (ro), .w1c = (w) },

static const DwPcieEpCfgReg dw_pcie_ep_cfg_regs[] = {
    DW_PCIE_EP_CFG_REGS(DW_PCIE_EP_CFG_ENTRY)
};

/* ---- config space helpers ---- */

uint32_t dw_pcie_ep_cfg_get(DwPcieEpState *s, unsigned addr, unsigned len)
{
    return ldn_le_p(s->config + addr, len);
}

void dw_pcie_ep_cfg_set(uint8_t *arr, unsigned addr, uint32_t v, unsigned len)
{
    stn_le_p(arr + addr, len, v);
}

/* The BAR register @bar (0..5) as the RC last wrote it. */
static uint32_t dw_pcie_ep_bar_reg(DwPcieEpState *s, unsigned bar)
{
    return dw_pcie_ep_cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
}

/* Whether config offset @a is in one of the six BAR registers. */
static bool dw_pcie_ep_is_bar(unsigned a)
{
    return a >= PCI_BASE_ADDRESS_0 && a <= PCI_BASE_ADDRESS_5 + 3;
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
    uint32_t sizes = FIELD_EX32(dw_pcie_ep_cfg_get(s, DW_PCIE_EP_REBAR_CAP(i),
                                                   4), REBAR_CAP, SIZES);

    return sel < R_REBAR_CAP_SIZES_LENGTH && (sizes & (1u << sel));
}

/* The largest BAR Size that entry @i advertises, or -1 if it has none. */
static int dw_pcie_ep_rebar_largest(DwPcieEpState *s, unsigned i)
{
    uint32_t sizes = FIELD_EX32(dw_pcie_ep_cfg_get(s, DW_PCIE_EP_REBAR_CAP(i),
                                                   4), REBAR_CAP, SIZES);

    return sizes ? 31 - clz32(sizes) : -1;
}

/* The BAR Size field of entry @i's CTRL register. */
static unsigned dw_pcie_ep_rebar_sel(DwPcieEpState *s, unsigned i)
{
    return FIELD_EX32(dw_pcie_ep_cfg_get(s, DW_PCIE_EP_REBAR_CTRL(i), 4),
                      REBAR_CTRL, BAR_SIZE);
}

static int rebar_index(DwPcieEpState *s, unsigned bar)
{
    unsigned i, n = dw_pcie_ep_rebar_num(s);

    for (i = 0; i < n; i++) {
        if (dw_pcie_ep_rebar_bar(s, i) == bar) {
            return i;
        }
    }
    return -1;
}

uint64_t dw_pcie_ep_bar_size(DwPcieEpState *s, unsigned bar)
{
    uint32_t reg;
    uint64_t mask;
    int r;

    if (bar >= DW_PCIE_EP_NUM_BARS || !(s->bar_mask[bar] & 1)) {
        return 0;
    }
    if (dw_pcie_ep_bar_reserved(s, bar)) {
        return dw_pcie_ep_bar_rule(s, bar)->fixed_size;
    }
    r = rebar_index(s, bar);
    if (r >= 0) {
        unsigned sel = dw_pcie_ep_rebar_sel(s, r);

        /* Only a size the capability advertises; with none, the BAR is off */
        return dw_pcie_ep_rebar_size_ok(s, r, sel) ? MiB << sel : 0;
    }
    reg = dw_pcie_ep_bar_reg(s, bar);
    mask = s->bar_mask[bar];
    if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
        PCI_BASE_ADDRESS_MEM_TYPE_64 && bar + 1 < DW_PCIE_EP_NUM_BARS) {
        mask |= (uint64_t)s->bar_mask[bar + 1] << 32;
    }
    return mask + 1;
}

/* Table entry @r into the config space and its masks, at offset @off. */
static void dw_pcie_ep_cfg_apply(DwPcieEpState *s, const DwPcieEpCfgReg *r,
                                 unsigned off)
{
    stn_le_p(s->config + off, r->len, r->reset);
    stn_le_p(s->wmask_link + off, r->len, r->wmask_link);
    stn_le_p(s->wmask_dbi + off, r->len, r->wmask_dbi);
    stn_le_p(s->romask_dbi + off, r->len, r->romask_dbi);
    stn_le_p(s->w1cmask + off, r->len, r->w1c);
}

void dw_pcie_ep_config_init(DwPcieEpState *s)
{
    unsigned i, n;

    memset(s->config, 0, sizeof(s->config));
    memset(s->wmask_link, 0, sizeof(s->wmask_link));
    memset(s->wmask_dbi, 0, sizeof(s->wmask_dbi));
    memset(s->romask_dbi, 0, sizeof(s->romask_dbi));
    memset(s->w1cmask, 0, sizeof(s->w1cmask));
    /* the port logic is storage for the DBI, bar what the table says */
    memset(s->wmask_dbi + DW_PCIE_EP_PORT_LOGIC, 0xff,
           DW_PCIE_EP_DBI_SIZE - DW_PCIE_EP_PORT_LOGIC);
    for (i = 0; i < ARRAY_SIZE(dw_pcie_ep_cfg_regs); i++) {
        dw_pcie_ep_cfg_apply(s, &dw_pcie_ep_cfg_regs[i],
                             dw_pcie_ep_cfg_regs[i].off);
    }
    /* Resizable BAR: one entry per resizable BAR of the face */
    n = dw_pcie_ep_rebar_num(s);
    for (i = 0; i < DW_PCIE_EP_NUM_BARS; i++) {
        static const DwPcieEpCfgReg none = { .len = 4 };
        DwPcieEpCfgReg cap = {
            .off = DW_PCIE_EP_REBAR_CAP(i), .len = 4, .reset = 0x00003ff0,
            .romask_dbi = 0xfffffff0u,
        };
        DwPcieEpCfgReg ctrl = {
            .off = DW_PCIE_EP_REBAR_CTRL(i), .len = 4,
            .reset = dw_pcie_ep_rebar_bar(s, i) | n << 5,
            .wmask_link = R_REBAR_CTRL_BAR_SIZE_MASK,
            .wmask_dbi = R_REBAR_CTRL_BAR_SIZE_MASK,
            .romask_dbi = 0xffff0000u,
        };

        dw_pcie_ep_cfg_apply(s, i < n ? &cap : &none, cap.off);
        dw_pcie_ep_cfg_apply(s, i < n ? &ctrl : &none, ctrl.off);
    }
    for (i = 0; i < DW_PCIE_EP_NUM_BARS; i++) {
        if (dw_pcie_ep_bar_reserved(s, i)) {
            /* a 32-bit memory BAR the DBI cannot retype */
            stl_le_p(s->romask_dbi + PCI_BASE_ADDRESS_0 + 4 * i, 0);
        }
    }
    if (!DW_PCIE_EP_GET_CLASS(s)->face->msix) {
        /* a face without MSI-X: the chain ends at the PCIe capability */
        for (i = DW_PCIE_EP_CAP_MSIX; i < DW_PCIE_EP_CAP_MSIX + 12; i++) {
            s->config[i] = s->wmask_link[i] = s->wmask_dbi[i] = 0;
            s->romask_dbi[i] = s->w1cmask[i] = 0;
        }
        s->config[DW_PCIE_EP_CAP_EXP + PCI_CAP_LIST_NEXT] = 0;
    }
    stw_le_p(s->config + PCI_VENDOR_ID, s->vendor_id);
    stw_le_p(s->config + PCI_DEVICE_ID, s->device_id);
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
    return dw_pcie_ep_is_bar(a) ? 0xff : s->wmask_link[a];
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
    unsigned ctrl = DW_PCIE_EP_REBAR_CTRL(i);
    int largest = dw_pcie_ep_rebar_largest(s, i);

    if (largest < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: Resizable BAR capability "
                      "of BAR%u advertises no size: the BAR is disabled\n",
                      dw_pcie_ep_rebar_bar(s, i));
    } else {
        dw_pcie_ep_cfg_set(s->config, ctrl,
                           FIELD_DP32(dw_pcie_ep_cfg_get(s, ctrl, 4),
                                      REBAR_CTRL, BAR_SIZE, largest), 4);
    }
    trace_dw_pcie_ep_rebar(dw_pcie_ep_rebar_bar(s, i),
                           dw_pcie_ep_bar_size(s, dw_pcie_ep_rebar_bar(s, i)));
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
    unsigned ctrl = DW_PCIE_EP_REBAR_CTRL(i);
    uint32_t v = dw_pcie_ep_cfg_get(s, ctrl, 4);
    unsigned sel = FIELD_EX32(v, REBAR_CTRL, BAR_SIZE);
    unsigned old = FIELD_EX32(old_ctrl, REBAR_CTRL, BAR_SIZE);
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
                      dw_pcie_ep_rebar_bar(s, i),
                      dw_pcie_ep_cfg_get(s, DW_PCIE_EP_REBAR_CAP(i), 4), keep);
        dw_pcie_ep_cfg_set(s->config, ctrl,
                           FIELD_DP32(v, REBAR_CTRL, BAR_SIZE, keep), 4);
    }
    trace_dw_pcie_ep_rebar(dw_pcie_ep_rebar_bar(s, i),
                           dw_pcie_ep_bar_size(s, dw_pcie_ep_rebar_bar(s, i)));
}

/*
 * The one write of config space, from the DBI (@dbi) or the link: @size
 * bytes (1, 2 or 4, naturally aligned, so within one register dword) of
 * @val at @addr, where only the bits in @wmask change and the
 * write-1-to-clear bits set in @val clear.  A DBI write is the EP's own
 * setting, which a link reset keeps.  Then Resizable BAR: a written CAP
 * selects its largest size, a CTRL write keeps only an advertised size.
 */
static void dw_pcie_ep_cfg_write(DwPcieEpState *s, unsigned addr,
                                 unsigned size, uint32_t val, uint32_t wmask,
                                 bool dbi)
{
    uint32_t old_ctrl[DW_PCIE_EP_NUM_BARS];
    uint32_t v = dw_pcie_ep_cfg_get(s, addr, size);
    uint32_t w1c = ldn_le_p(s->w1cmask + addr, size);
    unsigned i, nrebar = dw_pcie_ep_rebar_num(s);

    for (i = 0; i < nrebar; i++) {
        old_ctrl[i] = dw_pcie_ep_cfg_get(s, DW_PCIE_EP_REBAR_CTRL(i), 4);
    }
    v = ((v & ~wmask) | (val & wmask)) & ~(val & w1c);
    dw_pcie_ep_cfg_set(s->config, addr, v, size);
    if (dbi) {
        uint32_t keep = ldn_le_p(s->link_reset + addr, size);

        dw_pcie_ep_cfg_set(s->link_reset, addr,
                           (keep & ~wmask) | (v & wmask), size);
    }
    for (i = 0; i < nrebar; i++) {
        bool cap = wmask && ranges_overlap(addr, size,
                                           DW_PCIE_EP_REBAR_CAP(i), 4);
        bool ctrl = ranges_overlap(addr, size, DW_PCIE_EP_REBAR_CTRL(i), 4);

        if (cap) {
            dw_pcie_ep_rebar_cap_written(s, i);
        }
        if (ctrl) {
            dw_pcie_ep_rebar_ctrl_written(s, i, old_ctrl[i],
                                          dbi ? "the DBI" : "the RC");
        }
        if (dbi && (cap || ctrl)) {
            /* the size the controller selected for the EP is the EP's */
            memcpy(s->link_reset + DW_PCIE_EP_REBAR_CTRL(i),
                   s->config + DW_PCIE_EP_REBAR_CTRL(i), 4);
        }
    }
    if (dbi && dw_pcie_ep_is_bar(addr)) {
        /* the EP's setting of a BAR (the RC's address is not traced) */
        unsigned bar = (addr - PCI_BASE_ADDRESS_0) / 4;

        trace_dw_pcie_ep_bar(bar, dw_pcie_ep_bar_reg(s, bar),
                             dw_pcie_ep_bar_size(s, bar));
    }
    /* from the DBI now; from the link's I/O thread, in a bottom half */
    dw_pcie_ep_map_changed(s, dbi);
}

static void dw_pcie_ep_dbi_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    bool ro_wr = FIELD_EX32(dw_pcie_ep_cfg_get(s, A_MISC_CONTROL_1, 4),
                            MISC_CONTROL_1, DBI_RO_WR_EN);
    uint32_t wmask = ldn_le_p(s->wmask_dbi + addr, size);

    trace_dw_pcie_ep_dbi_write(addr, size, val);
    if (ro_wr) {
        wmask |= ldn_le_p(s->romask_dbi + addr, size);
    }
    dw_pcie_ep_cfg_write(s, addr, size, val, wmask, true);
    if (s->link_up && ranges_overlap(addr, size, A_GEN2_CTRL, 4)) {
        dw_pcie_ep_speed_change_done(s);    /* at once, the link is up */
    }
}

void dw_pcie_ep_speed_change_done(DwPcieEpState *s)
{
    uint32_t gen2 = dw_pcie_ep_cfg_get(s, A_GEN2_CTRL, 4);

    dw_pcie_ep_cfg_set(s->config, A_GEN2_CTRL,
                       FIELD_DP32(gen2, GEN2_CTRL, SPEED_CHANGE, 0), 4);
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

/* What DBI2 holds as the mask of a BAR of rule @r after @val is written. */
static uint32_t dw_pcie_ep_bar_mask_of(const DwPcieEpBarRule *r,
                                       uint32_t val)
{
    switch (r->type) {
    case DW_PCIE_EP_BAR_FIXED:
        return ((r->fixed_size - 1) & ~1u) | (val & 1);
    case DW_PCIE_EP_BAR_RESERVED:
        return (r->fixed_size - 1) | 1;
    case DW_PCIE_EP_BAR_DISABLED:
        return 0;
    default:
        return val;
    }
}

uint32_t dw_pcie_ep_bar_mask_reset(DwPcieEpState *s, unsigned bar)
{
    return dw_pcie_ep_bar_mask_of(dw_pcie_ep_bar_rule(s, bar), 0);
}

uint32_t dw_pcie_ep_bar_mask_rule(DwPcieEpState *s, unsigned bar,
                                  uint32_t val)
{
    const DwPcieEpBarRule *r = dw_pcie_ep_bar_rule(s, bar);
    uint32_t mask = dw_pcie_ep_bar_mask_of(r, val);

    if (r->type == DW_PCIE_EP_BAR_RESERVED && (val | 1) != mask) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: BAR%u is reserved by "
                      "the hardware: its DBI2 mask write 0x%08x is "
                      "ignored\n", bar, val);
    } else if (r->type == DW_PCIE_EP_BAR_DISABLED && val) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: BAR%u is not "
                      "implemented on this SoC: its DBI2 mask write "
                      "0x%08x is ignored\n", bar, val);
    }
    return mask;
}

static void dw_pcie_ep_dbi2_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned bar;

    trace_dw_pcie_ep_dbi2_write(addr, val);
    if (addr >= PCI_BASE_ADDRESS_0 && addr <= PCI_BASE_ADDRESS_5) {
        bar = (addr - PCI_BASE_ADDRESS_0) / 4;
        s->bar_mask[bar] = dw_pcie_ep_bar_mask_rule(s, bar, val);
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

        if (dw_pcie_ep_is_bar(a)) {
            unsigned bar = (a - PCI_BASE_ADDRESS_0) / 4, sh = (a & 3) * 8;
            uint32_t reg = dw_pcie_ep_bar_reg(s, bar);
            uint32_t wm = dw_pcie_ep_bar_wmask(s, bar);
            bool upper = bar > 0 && dw_pcie_ep_bar_is_64(s, bar - 1);
            uint32_t flags = upper || !wm ? 0 : reg & 0xf;

            b = ((reg & wm) | flags) >> sh;
        } else if (a >= DW_PCIE_EP_PORT_LOGIC) {
            b = 0;      /* port logic is the DBI's alone */
        }
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

void dw_pcie_ep_link_cfg_write(DwPcieEpState *s, unsigned off,
                               unsigned size, uint32_t val)
{
    uint32_t wmask = ldn_le_p(s->wmask_link + off, size);

    if (dw_pcie_ep_is_bar(off)) {
        wmask = dw_pcie_ep_bar_wmask(s, (off - PCI_BASE_ADDRESS_0) / 4) >>
                ((off & 3) * 8);
    }
    dw_pcie_ep_cfg_write(s, off, size, val, wmask, false);
}

/*
 * Synopsys DesignWare PCIe controller, endpoint mode.
 *
 * The DBI (config space and port logic), the DBI2 shadow (BAR masks), the
 * unrolled iATU, our "app" glue block and the outbound "addr_space"
 * window, as the Linux 7.2 DWC endpoint core drives them
 * (drivers/pci/controller/dwc/pcie-designware{,-ep}.c).  The eDMA register
 * block is a child device (hw/misc/dw_edma_emu.c).  The iATU decode and
 * translation live in dw-pcie-iatu.c, free of device state.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/pci/pci_regs.h"
#include "exec/address-spaces.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/bitops.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "system/device_tree.h"
#include "hw/arm/fdt.h"
#include <libfdt.h>
#include "trace.h"

#define DW_PCIE_EP_IATU_LIMIT_BITS 36   /* largest region: 64 GiB */
#define REBAR_NUM 2
static const uint8_t rebar_bars[REBAR_NUM] = { 0, 2 };

/* ---- config space helpers ---- */

static uint32_t cfg_get(DwPcieEpState *s, unsigned addr, unsigned len)
{
    uint32_t v = 0;
    unsigned i;

    for (i = 0; i < len; i++) {
        v |= (uint32_t)s->config[addr + i] << (8 * i);
    }
    return v;
}

static void cfg_set(uint8_t *arr, unsigned addr, uint32_t v, unsigned len)
{
    unsigned i;

    for (i = 0; i < len; i++) {
        arr[addr + i] = v >> (8 * i);
    }
}

/* Initial value and masks of one register field. */
static void cfg_init(DwPcieEpState *s, unsigned addr, unsigned len,
                     uint32_t val, uint32_t link, uint32_t dbi, uint32_t ro,
                     uint32_t w1c)
{
    cfg_set(s->config, addr, val, len);
    cfg_set(s->wmask_link, addr, link, len);
    cfg_set(s->wmask_dbi, addr, dbi, len);
    cfg_set(s->romask_dbi, addr, ro, len);
    cfg_set(s->w1cmask, addr, w1c, len);
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
    uint32_t cap = cfg_get(s, rebar_cap_offset(i), 4);

    return sel + 4 < 32 && (cap & (1u << (sel + 4)));
}

/* The largest BAR Size that entry @i advertises, or -1 if it has none. */
static int dw_pcie_ep_rebar_largest(DwPcieEpState *s, unsigned i)
{
    uint32_t sizes = cfg_get(s, rebar_cap_offset(i), 4) >> 4;

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
    uint32_t reg = cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
    uint64_t mask;
    int r;

    if (bar >= DW_PCIE_EP_NUM_BARS || !(s->bar_mask[bar] & 1)) {
        return 0;
    }
    r = rebar_index(bar);
    if (r >= 0) {
        unsigned sel = extract32(cfg_get(s, rebar_ctrl_offset(r), 4), 8, 6);

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

static void dw_pcie_ep_config_init(DwPcieEpState *s)
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
    cfg_init(s, DW_PCIE_PL_PORT_LINK_CONTROL, 4, 0x00010120, 0, 0xffffffff,
             0, 0);
    cfg_init(s, DW_PCIE_PL_PORT_DEBUG0, 4, 0, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_PL_PORT_DEBUG1, 4, 0, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_PL_GEN2_CTRL, 4, 0x0001010f, 0, 0xffffffff, 0, 0);
    cfg_init(s, DW_PCIE_PL_VERSION_NUMBER, 4, DW_PCIE_VERSION_520A, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_PL_VERSION_TYPE, 4, 0x6c776370, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_PL_ATU_VIEWPORT, 4, 0xffffffff, 0, 0, 0, 0);
    cfg_init(s, DW_PCIE_PL_EDMA_VIEWPORT_CTRL, 4, 0xffffffff, 0, 0, 0, 0);
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
static void dw_pcie_ep_link_reset_config(DwPcieEpState *s)
{
    unsigned a;

    for (a = 0; a < DW_PCIE_EP_DBI_SIZE; a++) {
        uint8_t m = dw_pcie_ep_link_bits(s, a);

        s->config[a] = (s->config[a] & ~m) | (s->link_reset[a] & m);
    }
    trace_dw_pcie_ep_link_reset_config();
}

/* ---- link state and the app block ---- */

static void dw_pcie_ep_update_app_irq(DwPcieEpState *s)
{
    qemu_set_irq(s->irq_app, !!(s->app_irq_status & s->app_irq_enable));
}

static bool dw_pcie_ep_has_peer(DwPcieEpState *s)
{
    return qemu_chr_fe_backend_connected(&s->chr);
}

/* Requests can cross the link: it is trained and a peer is on it. */
static bool dw_pcie_ep_link_usable(DwPcieEpState *s)
{
    return s->link_up && dw_pcie_ep_has_peer(s);
}

/*
 * Whether the function may issue a memory request of @size bytes at PCI
 * address @pci (@write or read) for @who (for the log): only with Bus
 * Master Enable set in its COMMAND register, as the RC set it.  Without,
 * the request is not sent (logged as a guest error) and the caller fails
 * it: a CPU read returns all ones, an eDMA transfer aborts.
 */
static bool dw_pcie_ep_may_master(DwPcieEpState *s, const char *who,
                                  uint64_t pci, uint64_t size, bool write)
{
    if (cfg_get(s, PCI_COMMAND, 2) & PCI_COMMAND_MASTER) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: %s %s of 0x%" PRIx64
                  " bytes at PCI 0x%" PRIx64 " not sent: Bus Master Enable "
                  "is clear\n", who, write ? "write" : "read", size, pci);
    trace_dw_pcie_ep_no_master(pci, size, write);
    return false;
}

static void dw_pcie_ep_set_link(DwPcieEpState *s, bool up)
{
    uint32_t dbg1;

    if (s->link_up == up) {
        return;
    }
    s->link_up = up;
    trace_dw_pcie_ep_link(up);
    if (!up) {
        dw_pcie_ep_link_reset_config(s);
    }
    cfg_set(s->config, DW_PCIE_PL_PORT_DEBUG0, up ? DW_PCIE_LTSSM_L0 : 0, 4);
    dbg1 = up ? DW_PCIE_PL_PORT_DEBUG1_LINK_UP : 0;
    cfg_set(s->config, DW_PCIE_PL_PORT_DEBUG1, dbg1, 4);
    s->app_irq_status |= up ? DW_PCIE_EP_APP_IRQ_LINK_UP :
                              DW_PCIE_EP_APP_IRQ_LINK_DOWN;
    dw_pcie_ep_update_app_irq(s);
    dw_pcie_ep_map_changed(s, false);
}

/*
 * Bring the link to what LTSSM_EN and the peer allow: up when training is
 * enabled and (with a link configured) the peer is connected.  The peer
 * learns our state through LINK messages.
 */
static void dw_pcie_ep_train(DwPcieEpState *s)
{
    bool want = s->app_ctrl & DW_PCIE_EP_APP_CTRL_LTSSM_EN;

    if (dw_pcie_ep_has_peer(s)) {
        want = want && pcie_link_connected(&s->link);
        if (want != s->link_up && pcie_link_connected(&s->link)) {
            pcie_link_send_state(&s->link, want);
        }
    }
    dw_pcie_ep_set_link(s, want);
}

static uint64_t dw_pcie_ep_app_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;
    uint32_t val = 0;

    switch (addr) {
    case DW_PCIE_EP_APP_ID:
        val = DW_PCIE_EP_APP_ID_VALUE;
        break;
    case DW_PCIE_EP_APP_CTRL:
        val = s->app_ctrl;
        break;
    case DW_PCIE_EP_APP_STATUS:
        val = s->link_up ? DW_PCIE_EP_APP_STATUS_LINK_UP : 0;
        break;
    case DW_PCIE_EP_APP_IRQ_STATUS:
        val = s->app_irq_status;
        break;
    case DW_PCIE_EP_APP_IRQ_ENABLE:
        val = s->app_irq_enable;
        break;
    case DW_PCIE_EP_APP_INTX:
        val = s->app_intx;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: app read of unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
        break;
    }
    trace_dw_pcie_ep_app_read(addr, val);
    return val;
}

static void dw_pcie_ep_app_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    const uint32_t irq_bits = DW_PCIE_EP_APP_IRQ_LINK_UP |
                              DW_PCIE_EP_APP_IRQ_LINK_DOWN;

    trace_dw_pcie_ep_app_write(addr, val);
    switch (addr) {
    case DW_PCIE_EP_APP_CTRL:
        s->app_ctrl = val & DW_PCIE_EP_APP_CTRL_LTSSM_EN;
        dw_pcie_ep_train(s);
        break;
    case DW_PCIE_EP_APP_INTX:
        s->app_intx = val & 1;
        trace_dw_pcie_ep_intx(s->app_intx);
        if (dw_pcie_ep_has_peer(s) && s->link_up) {
            pcie_link_intx(&s->link, 0, s->app_intx);
        }
        break;
    case DW_PCIE_EP_APP_IRQ_STATUS:
        s->app_irq_status &= ~(val & irq_bits);
        dw_pcie_ep_update_app_irq(s);
        break;
    case DW_PCIE_EP_APP_IRQ_ENABLE:
        s->app_irq_enable = val & irq_bits;
        dw_pcie_ep_update_app_irq(s);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: app write of read-only or "
                      "unknown register 0x%" HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps dw_pcie_ep_app_ops = {
    .read = dw_pcie_ep_app_read,
    .write = dw_pcie_ep_app_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- DBI ---- */

static uint64_t dw_pcie_ep_dbi_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;
    uint32_t val = cfg_get(s, addr, size);

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
        cfg_set(s->config, ctrl,
                deposit32(cfg_get(s, ctrl, 4), 8, 6, largest), 4);
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
    uint32_t v = cfg_get(s, ctrl, 4);
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
                      rebar_bars[i], cfg_get(s, rebar_cap_offset(i), 4),
                      keep);
        cfg_set(s->config, ctrl, deposit32(v, 8, 6, keep), 4);
    }
    trace_dw_pcie_ep_rebar(rebar_bars[i],
                           dw_pcie_ep_bar_size(s, rebar_bars[i]));
}

static void dw_pcie_ep_dbi_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    bool ro_wr = s->config[DW_PCIE_PL_MISC_CONTROL_1] & DW_PCIE_PL_DBI_RO_WR_EN;
    uint32_t old_ctrl[REBAR_NUM];
    unsigned i;

    trace_dw_pcie_ep_dbi_write(addr, size, val);
    for (i = 0; i < REBAR_NUM; i++) {
        old_ctrl[i] = cfg_get(s, rebar_ctrl_offset(i), 4);
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

        trace_dw_pcie_ep_bar(bar, cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4),
                             dw_pcie_ep_bar_size(s, bar));
    }
    dw_pcie_ep_map_changed(s, true);
}

static const MemoryRegionOps dw_pcie_ep_dbi_ops = {
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
        trace_dw_pcie_ep_bar(bar, cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4),
                             dw_pcie_ep_bar_size(s, bar));
        dw_pcie_ep_map_changed(s, true);
        return;
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep: dbi2 write 0x%" HWADDR_PRIx
                  " = 0x%" PRIx64 " is not modelled, ignored\n", addr, val);
}

static const MemoryRegionOps dw_pcie_ep_dbi2_ops = {
    .read = dw_pcie_ep_dbi2_read,
    .write = dw_pcie_ep_dbi2_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- iATU ---- */

static DwIatuRegion *dw_pcie_ep_atu_region(DwPcieEpState *s, hwaddr addr,
                                           unsigned *reg)
{
    unsigned index = addr / DW_IATU_REGION_STRIDE;
    bool inbound = addr & DW_IATU_REGION_BLOCK;

    *reg = addr & (DW_IATU_REGION_BLOCK - 1);
    if (inbound) {
        return index < s->num_ib ? &s->ib[index] : NULL;
    }
    return index < s->num_ob ? &s->ob[index] : NULL;
}

static uint64_t dw_pcie_ep_atu_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned reg;
    DwIatuRegion *r = dw_pcie_ep_atu_region(s, addr, &reg);
    uint32_t val = 0;

    /* Regions past the configured count read as zero: that is how the
     * driver counts them. */
    if (r && !dw_iatu_reg_read(r, reg, &val)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: iATU read of unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
    }
    return val;
}

static void dw_pcie_ep_atu_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned reg;
    DwIatuRegion *r = dw_pcie_ep_atu_region(s, addr, &reg);

    trace_dw_pcie_ep_atu_write(addr / DW_IATU_REGION_STRIDE,
                               !!(addr & DW_IATU_REGION_BLOCK), reg, val);
    if (!r) {
        return;
    }
    if (!dw_iatu_reg_write(r, reg, val, DW_PCIE_EP_IATU_LIMIT_BITS)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: iATU write of unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
    }
    if (addr & DW_IATU_REGION_BLOCK) {
        dw_pcie_ep_map_changed(s, true);    /* inbound: before it completes */
    } else {
        dw_pcie_ep_outbound_sync(s);
    }
}

static const MemoryRegionOps dw_pcie_ep_atu_ops = {
    .read = dw_pcie_ep_atu_read,
    .write = dw_pcie_ep_atu_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- addr_space: outbound window ---- */

hwaddr dw_pcie_ep_cpu_addr(MemoryRegion *mr)
{
    hwaddr base = 0;

    for (; mr; mr = mr->container) {
        base += mr->addr;
    }
    return base;
}

static bool dw_pcie_ep_outbound(DwPcieEpState *s, hwaddr addr, unsigned size,
                                uint64_t *pci)
{
    hwaddr cpu = dw_pcie_ep_cpu_addr(&s->addr_space) + addr;
    uint64_t room;
    int idx = dw_iatu_translate_outbound(s->ob, s->num_ob, cpu, pci, &room);

    if (idx < 0 || room < size) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: outbound access at 0x%"
                      HWADDR_PRIx " (%u bytes) matches no outbound iATU "
                      "region\n", cpu, size);
        return false;
    }
    /*
     * The PCI address is target + offset in the region: one that wrapped
     * past 2^64 (below the target), or whose last byte would, is no
     * address the link can carry nor one the region maps.
     */
    if (*pci < dw_iatu_target(&s->ob[idx]) || !pl_mem_range_ok(*pci, size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: outbound access at 0x%"
                      HWADDR_PRIx " (%u bytes): outbound iATU region %d "
                      "translates it past 2^64 (target 0x%" PRIx64 ")\n",
                      cpu, size, idx, dw_iatu_target(&s->ob[idx]));
        return false;
    }
    trace_dw_pcie_ep_outbound(cpu, idx, *pci, size);
    return true;
}

static uint64_t dw_pcie_ep_addr_space_read(void *opaque, hwaddr addr,
                                           unsigned size)
{
    DwPcieEpState *s = opaque;
    uint64_t pci;

    uint64_t val = ~0ull;

    if (dw_pcie_ep_outbound(s, addr, size, &pci)) {
        if (!dw_pcie_ep_link_usable(s)) {
            /* No link: an unanswered read completes with all ones. */
            trace_dw_pcie_ep_outbound_nolink(pci, size, false);
        } else if (dw_pcie_ep_may_master(s, "outbound", pci, size, false)) {
            pcie_link_mem_read(&s->link, PL_BAR_NONE, pci, &val, size);
            val = le64_to_cpu(val);
        }
    }
    return val;
}

static void dw_pcie_ep_addr_space_write(void *opaque, hwaddr addr,
                                        uint64_t val, unsigned size)
{
    DwPcieEpState *s = opaque;
    uint64_t pci;

    if (dw_pcie_ep_outbound(s, addr, size, &pci)) {
        if (!dw_pcie_ep_link_usable(s)) {
            trace_dw_pcie_ep_outbound_nolink(pci, size, true);
        } else if (dw_pcie_ep_may_master(s, "outbound", pci, size, true)) {
            uint64_t le = cpu_to_le64(val);

            pcie_link_mem_write(&s->link, PL_BAR_NONE, pci, &le, size);
        }
    }
}

/*
 * The eDMA's way to PCI addresses: bus-master requests on the link, with no
 * outbound iATU in between (an eDMA channel carries the PCI address
 * itself).  Without a trained link or without Bus Master Enable every
 * access fails, and the channel aborts; so does one whose range wraps
 * past 2^64 (the link refuses it).
 */
typedef struct DwPcieEpEdmaRead {
    DwEdmaEmuReadDone *done;
    void *opaque;
} DwPcieEpEdmaRead;

static void dw_pcie_ep_edma_read_done(void *opaque, PlStatus st,
                                      const uint8_t *data, uint32_t size)
{
    g_autofree DwPcieEpEdmaRead *r = opaque;

    r->done(r->opaque, st == PL_STATUS_SC ? MEMTX_OK : MEMTX_ERROR, data,
            size);
}

static bool dw_pcie_ep_edma_pci_read_async(void *opaque, uint64_t addr,
                                           uint64_t len,
                                           DwEdmaEmuReadDone *done,
                                           void *done_opaque)
{
    DwPcieEpState *s = opaque;
    DwPcieEpEdmaRead *r;
    void *ram;

    if (!dw_pcie_ep_link_usable(s) ||
        !dw_pcie_ep_may_master(s, "eDMA", addr, len, false) ||
        len > UINT32_MAX) {
        return false;
    }
    ram = dw_pcie_ep_rc_ram_ptr(s, addr, len);
    if (ram) {
        /* the RC's RAM, shared: done at once */
        done(done_opaque, MEMTX_OK, ram, len);
        return true;
    }
    r = g_new(DwPcieEpEdmaRead, 1);
    r->done = done;
    r->opaque = done_opaque;
    if (!pcie_link_mem_read_async(&s->link, PL_BAR_NONE, addr, len,
                                  dw_pcie_ep_edma_read_done, r)) {
        g_free(r);
        return false;
    }
    return true;
}

static MemTxResult dw_pcie_ep_edma_pci_write(void *opaque, uint64_t addr,
                                             const void *buf, uint64_t len)
{
    DwPcieEpState *s = opaque;
    void *ram;

    if (!dw_pcie_ep_link_usable(s) ||
        !dw_pcie_ep_may_master(s, "eDMA", addr, len, true)) {
        return MEMTX_ERROR;
    }
    ram = dw_pcie_ep_rc_ram_ptr(s, addr, len);
    if (ram) {
        memcpy(ram, buf, len);      /* the RC's RAM, shared */
        return MEMTX_OK;
    }
    if (!pcie_link_mem_write(&s->link, PL_BAR_NONE, addr, buf, len)) {
        return MEMTX_ERROR;
    }
    /* A peer that went away while we sent did not get all of it. */
    return pcie_link_connected(&s->link) ? MEMTX_OK : MEMTX_ERROR;
}

static const DwEdmaEmuPciOps dw_pcie_ep_edma_pci_ops = {
    .read_async = dw_pcie_ep_edma_pci_read_async,
    .write = dw_pcie_ep_edma_pci_write,
};

static const MemoryRegionOps dw_pcie_ep_addr_space_ops = {
    .read = dw_pcie_ep_addr_space_read,
    .write = dw_pcie_ep_addr_space_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

/* ---- the link side: what the RC sees ---- */

static bool dw_pcie_ep_bar_is_64(DwPcieEpState *s, unsigned bar)
{
    uint32_t reg = cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4);

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

static uint64_t dw_pcie_ep_bar_addr(DwPcieEpState *s, unsigned bar)
{
    uint64_t addr = cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4) & ~0xfull;

    if (dw_pcie_ep_bar_is_64(s, bar)) {
        addr |= (uint64_t)cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar + 4, 4) << 32;
    }
    return addr;
}

static uint32_t dw_pcie_ep_link_cfg_read(DwPcieEpState *s, unsigned off,
                                         unsigned size)
{
    uint32_t val = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        unsigned a = off + i;
        uint8_t b = s->config[a];

        if (a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) {
            unsigned bar = (a - PCI_BASE_ADDRESS_0) / 4, sh = (a & 3) * 8;
            uint32_t reg = cfg_get(s, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
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

static void dw_pcie_ep_link_cfg_write(DwPcieEpState *s, unsigned off,
                                      unsigned size, uint32_t val)
{
    uint32_t old_ctrl[REBAR_NUM];
    unsigned i;

    for (i = 0; i < REBAR_NUM; i++) {
        old_ctrl[i] = cfg_get(s, rebar_ctrl_offset(i), 4);
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

static PlStatus dw_pcie_ep_inbound(DwPcieEpState *s, const PlMsg *m,
                                   uint8_t *data)
{
    bool write = m->type == PL_MSG_MEM_WR;
    unsigned bar = m->u.mem.bar;
    uint64_t bar_size, base, offset, ep, room;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res;
    int idx = -1;

    if (!(cfg_get(s, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY)) {
        /* Memory Space Enable clear: the function claims no BAR access */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: RC %s of %u bytes at PCI "
                      "0x%" PRIx64 " (BAR%u) with Memory Space Enable clear: "
                      "UR\n", write ? "write" : "read", m->u.mem.size,
                      m->u.mem.addr, bar);
        trace_dw_pcie_ep_inbound_disabled(bar, m->u.mem.addr, m->u.mem.size,
                                          write);
        if (!write) {
            memset(data, 0xff, m->u.mem.size);
        }
        return PL_STATUS_UR;
    }
    if (bar < DW_PCIE_EP_NUM_BARS && (bar_size = dw_pcie_ep_bar_size(s, bar))) {
        base = dw_pcie_ep_bar_addr(s, bar);
        offset = m->u.mem.addr - base;
        if (m->u.mem.addr < base) {
            offset = bar_size;      /* outside the BAR: no BAR match */
        }
        idx = dw_iatu_translate_inbound(s->ib, s->num_ib, bar, bar_size,
                                        offset, m->u.mem.addr, &ep, &room);
    }
    if (idx >= 0 && room >= m->u.mem.size &&
        (ep < dw_iatu_target(&s->ib[idx]) ||
         !pl_mem_range_ok(ep, m->u.mem.size))) {
        /* target + offset wrapped past 2^64: not in what the region maps */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: inbound request at PCI "
                      "0x%" PRIx64 " (%u bytes): inbound iATU region %d "
                      "translates it past 2^64 (target 0x%" PRIx64 ")\n",
                      m->u.mem.addr, m->u.mem.size, idx,
                      dw_iatu_target(&s->ib[idx]));
        idx = -1;
    }
    if (idx < 0 || room < m->u.mem.size) {
        trace_dw_pcie_ep_inbound_ur(bar, m->u.mem.addr, m->u.mem.size);
        if (!write) {
            memset(data, 0xff, m->u.mem.size);
        }
        return PL_STATUS_UR;
    }
    trace_dw_pcie_ep_inbound(bar, m->u.mem.addr, idx, ep, m->u.mem.size, write);
    /* The controller is the bus master: its requester ID goes along, which
     * is the device ID the GIC ITS sees for a doorbell write. */
    attrs.requester_id = s->its_device_id;
    if (write) {
        res = address_space_write(&address_space_memory, ep, attrs,
                                  m->u.mem.data, m->u.mem.size);
    } else {
        res = address_space_read(&address_space_memory, ep, attrs, data,
                                 m->u.mem.size);
    }
    return res == MEMTX_OK ? PL_STATUS_SC : PL_STATUS_CA;
}

static PlStatus dw_pcie_ep_link_request(void *opaque, const PlMsg *m,
                                        uint8_t *data)
{
    DwPcieEpState *s = opaque;
    uint32_t v;

    if (m->type == PL_MSG_MAP) {
        return dw_pcie_ep_map_rc_ram(s, m);     /* link up or not */
    }
    if (!s->link_up) {
        return PL_STATUS_UR;
    }
    switch (m->type) {
    case PL_MSG_CFG_RD:
        v = dw_pcie_ep_link_cfg_read(s, m->u.cfg.offset, m->u.cfg.size);
        stl_le_p(data, v);
        return PL_STATUS_SC;
    case PL_MSG_CFG_WR:
        dw_pcie_ep_link_cfg_write(s, m->u.cfg.offset, m->u.cfg.size,
                                  m->u.cfg.data);
        return PL_STATUS_SC;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        return dw_pcie_ep_inbound(s, m, data);
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: peer sent %s, which an "
                      "endpoint does not take\n", pl_msg_name(m->type));
        return PL_STATUS_UR;
    }
}

static void dw_pcie_ep_link_connected(void *opaque, bool connected)
{
    dw_pcie_ep_map_connected(opaque);
    dw_pcie_ep_train(opaque);
}

static const PcieLinkOps dw_pcie_ep_link_ops = {
    .request = dw_pcie_ep_link_request,
    .connected = dw_pcie_ep_link_connected,
};

/* ---- eDMA interrupt ---- */

static void dw_pcie_ep_dma_irq(void *opaque, int n, int level)
{
    DwPcieEpState *s = opaque;

    qemu_set_irq(s->irq_dma, level);
}

/* ---- device tree ---- */

static int dw_pcie_ep_add_fdt_node(SysBusDevice *sbd, void *fdt,
                                   const char *parent, PlatformBusDevice *pbus,
                                   int irq_start)
{
    DwPcieEpState *s = DW_PCIE_EP(sbd);
    static const char * const reg_names[DW_PCIE_EP_MMIO_NUM] = {
        "dbi", "dbi2", "atu", "dma", "app", "addr_space",
    };
    static const char * const irq_names[DW_PCIE_EP_IRQ_NUM] = { "dma", "app" };
    MemoryRegion *pbus_mr = sysbus_mmio_get_region(SYS_BUS_DEVICE(pbus), 0);
    uint64_t reg[DW_PCIE_EP_MMIO_NUM * 2];
    uint32_t irqs[DW_PCIE_EP_IRQ_NUM * 3];
    const char *names[DW_PCIE_EP_MMIO_NUM];
    uint8_t max_functions = 1;
    hwaddr base;
    char *node;
    int i, n;

    /*
     * The node goes at the root with absolute addresses, not under the
     * platform bus: the DWC core compares the "addr_space" reg with its CPU
     * address and warns when they differ.
     */
    base = pbus_mr->addr + platform_bus_get_mmio_addr(pbus, sbd, 0);
    node = g_strdup_printf("/pcie-ep@%" PRIx64, (uint64_t)base);
    qemu_fdt_add_subnode(fdt, node);
    /* Bound by the series in kernel-patches/ (pcie-qemu-ep.c). */
    qemu_fdt_setprop_string(fdt, node, "compatible", "qemu,dw-pcie-ep");
    /* Without "dt-edma", the dma region and interrupt are not described. */
    for (i = n = 0; i < DW_PCIE_EP_MMIO_NUM; i++) {
        MemoryRegion *mr = sysbus_mmio_get_region(sbd, i);

        if (!s->edma_described && !strcmp(reg_names[i], "dma")) {
            continue;
        }
        reg[2 * n] = cpu_to_be64(pbus_mr->addr +
                                 platform_bus_get_mmio_addr(pbus, sbd, i));
        reg[2 * n + 1] = cpu_to_be64(memory_region_size(mr));
        names[n++] = reg_names[i];
    }
    qemu_fdt_setprop(fdt, node, "reg", reg, n * 2 * sizeof(reg[0]));
    qemu_fdt_setprop_string_array(fdt, node, "reg-names", (char **)names, n);
    for (i = n = 0; i < DW_PCIE_EP_IRQ_NUM; i++) {
        if (!s->edma_described && !strcmp(irq_names[i], "dma")) {
            continue;
        }
        irqs[3 * n] = cpu_to_be32(GIC_FDT_IRQ_TYPE_SPI);
        irqs[3 * n + 1] = cpu_to_be32(irq_start +
                                      platform_bus_get_irqn(pbus, sbd, i));
        irqs[3 * n + 2] = cpu_to_be32(GIC_FDT_IRQ_FLAGS_LEVEL_HI);
        names[n++] = irq_names[i];
    }
    qemu_fdt_setprop(fdt, node, "interrupts", irqs, n * 3 * sizeof(irqs[0]));
    qemu_fdt_setprop_string_array(fdt, node, "interrupt-names",
                                  (char **)names, n);
    qemu_fdt_setprop_cell(fdt, node, "num-ib-windows", s->num_ib);
    qemu_fdt_setprop_cell(fdt, node, "num-ob-windows", s->num_ob);
    qemu_fdt_setprop_cell(fdt, node, "num-lanes", 1);
    /* The DWC core reads max-functions as a u8. */
    qemu_fdt_setprop(fdt, node, "max-functions", &max_functions, 1);
    qemu_fdt_setprop(fdt, node, "dma-coherent", NULL, 0);
    if (s->msi_doorbell) {
        int its = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
        uint32_t phandle = its >= 0 ? fdt_get_phandle(fdt, its) : 0;

        if (!phandle) {
            error_report("dw-pcie-ep: msi-doorbell=on needs a GICv3 ITS "
                         "(use -machine virt,gic-version=3,its=on)");
            g_free(node);
            return -1;
        }
        /*
         * msi-map, not msi-parent: Linux's pci-ep-msi finds the EPC's
         * platform MSI domain with of_msi_map_get_device_domain(), which
         * takes msi-parent only when #msi-cells is 0, and the ITS has 1.
         * Requester ID 0 maps to its-device-id.
         */
        qemu_fdt_setprop_cells(fdt, node, "msi-map", 0, phandle,
                               s->its_device_id, 1);
    }
    g_free(node);
    return 0;
}

/* ---- QOM ---- */

/*
 * Device reset: all of the controller's state (config space, DBI2 masks,
 * iATU, app block; the eDMA is a reset child, see
 * dw_pcie_ep_reset_child_foreach).  A link that was up goes down, and
 * the peer hears of it (the RC surprise-removes the function); the link
 * comes up again when the EP driver sets LTSSM_EN.
 */
static void dw_pcie_ep_reset_hold(Object *obj, ResetType type)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    unsigned i;

    if (s->link_up && dw_pcie_ep_has_peer(s)) {
        pcie_link_send_state(&s->link, false);
    }
    dw_pcie_ep_config_init(s);
    memset(s->bar_mask, 0, sizeof(s->bar_mask));
    for (i = 0; i < DW_PCIE_EP_MAX_REGIONS; i++) {
        dw_iatu_region_reset(&s->ob[i]);
        dw_iatu_region_reset(&s->ib[i]);
    }
    dw_pcie_ep_outbound_sync(s);
    s->app_ctrl = 0;
    s->app_irq_status = 0;
    s->app_irq_enable = 0;
    s->app_intx = 0;
    if (s->link_up) {
        s->link_up = false;
        trace_dw_pcie_ep_link(false);
    }
    dw_pcie_ep_update_app_irq(s);
    dw_pcie_ep_map_changed(s, false);
}

/* The reset children: the buses (none), and the eDMA engine. */
static void dw_pcie_ep_reset_child_foreach(Object *obj,
                                           ResettableChildCallback cb,
                                           void *opaque, ResetType type)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(obj);

    if (k->parent_reset_child_foreach) {
        k->parent_reset_child_foreach(obj, cb, opaque, type);
    }
    /* also on the main system bus: a system reset counts both visits */
    cb(OBJECT(&s->edma), opaque, type);
}

static void dw_pcie_ep_init(Object *obj)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);

    object_initialize_child(obj, "edma", &s->edma, TYPE_DW_EDMA_EMU);
    object_property_add_alias(obj, "wr-channels", OBJECT(&s->edma),
                              "wr-channels");
    object_property_add_alias(obj, "rd-channels", OBJECT(&s->edma),
                              "rd-channels");
}

static void dw_pcie_ep_realize(DeviceState *dev, Error **errp)
{
    DwPcieEpState *s = DW_PCIE_EP(dev);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);
    uint32_t regions;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

    if (s->num_ib < 1 || s->num_ib > DW_PCIE_EP_MAX_REGIONS ||
        s->num_ob < 1 || s->num_ob > DW_PCIE_EP_MAX_REGIONS) {
        error_setg(errp, "dw-pcie-ep: num-ib-windows and num-ob-windows must "
                   "be 1..%d", DW_PCIE_EP_MAX_REGIONS);
        return;
    }
    if (s->addr_space_size < 64 * KiB || !is_power_of_2(s->addr_space_size)) {
        error_setg(errp, "dw-pcie-ep: addr-space-size must be a power of two "
                   "of at least 64 KiB");
        return;
    }
    attrs.requester_id = s->its_device_id;
    dw_edma_emu_set_ports(&s->edma, &address_space_memory, attrs,
                          &dw_pcie_ep_edma_pci_ops, s);
    if (!sysbus_realize(SYS_BUS_DEVICE(&s->edma), errp)) {
        return;
    }
    regions = MAX(s->num_ib, s->num_ob);

    memory_region_init_io(&s->dbi, OBJECT(dev), &dw_pcie_ep_dbi_ops, s,
                          "dw-pcie-ep.dbi", DW_PCIE_EP_DBI_SIZE);
    memory_region_init_io(&s->dbi2, OBJECT(dev), &dw_pcie_ep_dbi2_ops, s,
                          "dw-pcie-ep.dbi2", DW_PCIE_EP_DBI_SIZE);
    memory_region_init_io(&s->atu, OBJECT(dev), &dw_pcie_ep_atu_ops, s,
                          "dw-pcie-ep.atu",
                          ROUND_UP(regions * DW_IATU_REGION_STRIDE, 4 * KiB));
    memory_region_init_io(&s->app, OBJECT(dev), &dw_pcie_ep_app_ops, s,
                          "dw-pcie-ep.app", DW_PCIE_EP_APP_SIZE);
    memory_region_init_io(&s->addr_space, OBJECT(dev),
                          &dw_pcie_ep_addr_space_ops, s,
                          "dw-pcie-ep.addr_space", s->addr_space_size);

    sysbus_init_mmio(sbd, &s->dbi);
    sysbus_init_mmio(sbd, &s->dbi2);
    sysbus_init_mmio(sbd, &s->atu);
    sysbus_init_mmio(sbd, sysbus_mmio_get_region(SYS_BUS_DEVICE(&s->edma), 0));
    sysbus_init_mmio(sbd, &s->app);
    sysbus_init_mmio(sbd, &s->addr_space);
    sysbus_init_irq(sbd, &s->irq_dma);
    sysbus_init_irq(sbd, &s->irq_app);
    if (qemu_chr_fe_backend_connected(&s->chr)) {
        dw_pcie_ep_map_init(s);
        if (!pcie_link_init(&s->link, &s->chr, PL_ROLE_EP, "dw-pcie-ep",
                            s->link_timeout_ms,
                            s->fast_path ? PL_FEAT_SHM : 0,
                            &dw_pcie_ep_link_ops, s, errp)) {
            return;
        }
    }
    qdev_init_gpio_in_named(dev, dw_pcie_ep_dma_irq, "edma-irq", 1);
    sysbus_connect_irq(SYS_BUS_DEVICE(&s->edma), 0,
                       qdev_get_gpio_in_named(dev, "edma-irq", 0));
}

/*
 * Properties:
 *  num-ib-windows, num-ob-windows: inbound and outbound iATU regions,
 *      1..256, default 8 each (found by the driver's detection sequence).
 *  addr-space-size: bytes of the outbound window, a power of two >= 64 KiB,
 *      default 16 MiB (it must fit virt's 32 MiB platform bus with the rest).
 *  vendor-id, device-id: reset values of the config header (the EP core
 *      overwrites them from the function's configfs settings).
 *  msi-doorbell: add msi-map = <0 &its its-device-id 1> to the node, so
 *      that the EP's doorbells use the GIC ITS (off: the eDMA embedded
 *      fallback).
 *  its-device-id: the ITS device ID (requester ID) of the controller.
 *  wr-channels, rd-channels: eDMA channel counts, 1..8 (see dw-edma-emu).
 *  dt-edma: describe the eDMA ("dma" reg and interrupt) in the device tree
 *      (default on).  Off, Linux finds no eDMA (core version 5.20a has no
 *      legacy eDMA viewport): no DMA channels and no embedded doorbell,
 *      as on controllers built without the eDMA.  The registers stay
 *      mapped either way.
 *  chardev: socket chardev of the PCIe link to the RC QEMU (pci-ep-link);
 *      without it the link comes up on LTSSM_EN with nobody on the other
 *      side (outbound reads return all ones).
 *  link-timeout-ms: milliseconds a request on the link waits for its
 *      completion (the waiting vCPU or bottom half with the BQL released)
 *      before it completes with CA, default 5000, 0 taken as 1; after
 *      one timed out, requests wait at most PL_STALL_MS (100) until the
 *      peer sends anything.  Also how long the transmit queue may stay
 *      full before the link is cut (see pcie-link.h).
 *  fast-path: offer the RC the EP RAM that a BAR-match inbound iATU
 *      region maps a whole BAR onto, as shared memory (MAP messages, see
 *      dw-pcie-ep-map.c), default on.  Takes effect only over a unix
 *      socket, with a peer that offers it too, for RAM in a shared memory
 *      backend (-object memory-backend-memfd,share=on as the machine's
 *      memory-backend), for host-page-aligned targets and sizes; every
 *      other BAR access stays on messages.  The RC then reads and writes
 *      that RAM directly: give the fast path only to a peer you trust with
 *      all of this QEMU's RAM (the descriptor is of the whole backend).
 */
static const Property dw_pcie_ep_properties[] = {
    DEFINE_PROP_UINT32("num-ib-windows", DwPcieEpState, num_ib, 8),
    DEFINE_PROP_UINT32("num-ob-windows", DwPcieEpState, num_ob, 8),
    DEFINE_PROP_UINT64("addr-space-size", DwPcieEpState, addr_space_size,
                       16 * MiB),
    DEFINE_PROP_UINT16("vendor-id", DwPcieEpState, vendor_id, 0x16c3),
    DEFINE_PROP_UINT16("device-id", DwPcieEpState, device_id, 0xabcd),
    DEFINE_PROP_BOOL("msi-doorbell", DwPcieEpState, msi_doorbell, false),
    DEFINE_PROP_BOOL("dt-edma", DwPcieEpState, edma_described, true),
    DEFINE_PROP_UINT32("its-device-id", DwPcieEpState, its_device_id, 0x100),
    DEFINE_PROP_CHR("chardev", DwPcieEpState, chr),
    DEFINE_PROP_UINT32("link-timeout-ms", DwPcieEpState, link_timeout_ms, 5000),
    DEFINE_PROP_BOOL("fast-path", DwPcieEpState, fast_path, true),
};

static const VMStateDescription vmstate_dw_pcie_ep = {
    .name = TYPE_DW_PCIE_EP,
    /* State spans two processes once the link exists: not migratable. */
    .unmigratable = 1,
};

static void dw_pcie_ep_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    DwPcieEpClass *k = DW_PCIE_EP_CLASS(klass);

    dc->desc = "Synopsys DesignWare PCIe controller, endpoint mode";
    dc->realize = dw_pcie_ep_realize;
    dc->vmsd = &vmstate_dw_pcie_ep;
    dc->user_creatable = true;
    rc->phases.hold = dw_pcie_ep_reset_hold;
    k->parent_reset_child_foreach = rc->child_foreach;
    rc->child_foreach = dw_pcie_ep_reset_child_foreach;
    device_class_set_props(dc, dw_pcie_ep_properties);
    k->add_fdt_node = dw_pcie_ep_add_fdt_node;
}

static const TypeInfo dw_pcie_ep_info = {
    .name = TYPE_DW_PCIE_EP,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(DwPcieEpState),
    .instance_init = dw_pcie_ep_init,
    .class_size = sizeof(DwPcieEpClass),
    .class_init = dw_pcie_ep_class_init,
};

static void dw_pcie_ep_register_types(void)
{
    type_register_static(&dw_pcie_ep_info);
}

type_init(dw_pcie_ep_register_types)

/*
 * Synopsys DesignWare PCIe controller, endpoint mode: link training and
 * the "app" glue block (LTSSM enable, link status, its interrupt, INTx),
 * and the eDMA interrupt line.
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
#include "hw/irq.h"

/* ---- link state and the app block ---- */

void dw_pcie_ep_update_app_irq(DwPcieEpState *s)
{
    qemu_set_irq(s->irq_app, !!(s->app_irq_status & s->app_irq_enable));
}

bool dw_pcie_ep_has_peer(DwPcieEpState *s)
{
    return qemu_chr_fe_backend_connected(&s->chr);
}

/* Requests can cross the link: it is trained and a peer is on it. */
bool dw_pcie_ep_link_usable(DwPcieEpState *s)
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
bool dw_pcie_ep_may_master(DwPcieEpState *s, const char *who,
                           uint64_t pci, uint64_t size, bool write)
{
    if (dw_pcie_ep_cfg_get(s, PCI_COMMAND, 2) & PCI_COMMAND_MASTER) {
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
    dw_pcie_ep_cfg_set(s->config, DW_PCIE_PL_PORT_DEBUG0,
                       up ? DW_PCIE_LTSSM_L0 : 0, 4);
    dbg1 = up ? DW_PCIE_PL_PORT_DEBUG1_LINK_UP : 0;
    dw_pcie_ep_cfg_set(s->config, DW_PCIE_PL_PORT_DEBUG1, dbg1, 4);
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
void dw_pcie_ep_train(DwPcieEpState *s)
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

const MemoryRegionOps dw_pcie_ep_app_ops = {
    .read = dw_pcie_ep_app_read,
    .write = dw_pcie_ep_app_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};


/* ---- eDMA interrupt ---- */

void dw_pcie_ep_dma_irq(void *opaque, int n, int level)
{
    DwPcieEpState *s = opaque;

    qemu_set_irq(s->irq_dma, level);
}

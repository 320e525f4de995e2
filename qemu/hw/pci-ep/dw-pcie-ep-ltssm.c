/*
 * Synopsys DesignWare PCIe controller, endpoint mode: link training (the
 * LTSSM as the glue enables it and the peer allows), Bus Master Enable
 * for the function's own requests, the eDMA interrupt line, and the ops
 * the faces' register-API glue blocks share.  The glue registers that
 * drive these are the faces' (dw-pcie-ep-qemu.c, dw-pcie-ep-rcar.c,
 * dw-pcie-ep-rk3588.c).
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
#include "hw/register.h"

/* ---- link state ---- */

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
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(s);
    uint32_t dbg1;

    if (s->link_up == up) {
        return;
    }
    s->link_up = up;
    trace_dw_pcie_ep_link(up);
    if (!up) {
        dw_pcie_ep_link_reset_config(s);
    }
    dw_pcie_ep_cfg_set(s->config, A_PORT_DEBUG0,
                       up ? DW_PCIE_LTSSM_L0 : 0, 4);
    dbg1 = up ? R_PORT_DEBUG1_LINK_UP_MASK : 0;
    dw_pcie_ep_cfg_set(s->config, A_PORT_DEBUG1, dbg1, 4);
    if (up) {
        /* a directed speed change asked for while down completes now */
        dw_pcie_ep_speed_change_done(s);
    }
    if (k->link_changed) {
        k->link_changed(s);
    }
    dw_pcie_ep_map_changed(s, false);
}

/*
 * Bring the link to what LTSSM_EN and the peer allow: up when training is
 * enabled and (with a link configured) the peer is connected, and held
 * down by no fault: x-fault-link=down here, the RC's hold or PERST# (see
 * dw-pcie-ep-fault.c).  The peer learns our state through LINK messages.
 */
void dw_pcie_ep_train(DwPcieEpState *s)
{
    bool want = s->ltssm_en && !s->fault_link_down && !s->rc_hold &&
                !s->perst;

    if (dw_pcie_ep_has_peer(s)) {
        want = want && pcie_link_connected(&s->link);
        if (want != s->link_up && pcie_link_connected(&s->link)) {
            pcie_link_send_state(&s->link, want);
        }
    }
    dw_pcie_ep_set_link(s, want);
}

/* ---- eDMA interrupt ---- */

void dw_pcie_ep_update_dma_irq(DwPcieEpState *s)
{
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(s);

    qemu_set_irq(s->irq_dma, s->dma_level &&
                 (!k->dma_irq_enabled || k->dma_irq_enabled(s)));
}

void dw_pcie_ep_dma_irq(void *opaque, int n, int level)
{
    DwPcieEpState *s = opaque;

    s->dma_level = level;
    dw_pcie_ep_update_dma_irq(s);
}

/* ---- a face's glue registers, on the register API ---- */

static uint64_t dw_pcie_ep_glue_read(void *opaque, hwaddr addr,
                                     unsigned size)
{
    uint64_t val = register_read_memory(opaque, addr, size);

    trace_dw_pcie_ep_app_read(addr, val);
    return val;
}

static void dw_pcie_ep_glue_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    trace_dw_pcie_ep_app_write(addr, val);
    register_write_memory(opaque, addr, val, size);
}

const MemoryRegionOps dw_pcie_ep_glue_regs_ops = {
    .read = dw_pcie_ep_glue_read,
    .write = dw_pcie_ep_glue_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

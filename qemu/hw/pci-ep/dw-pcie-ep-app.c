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
#include "hw/register.h"

/* ---- link state and the app block ---- */

void dw_pcie_ep_update_app_irq(DwPcieEpState *s)
{
    qemu_set_irq(s->irq_app, !!(s->app_regs[R_APP_IRQ_STATUS] &
                                s->app_regs[R_APP_IRQ_ENABLE]));
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
    dw_pcie_ep_cfg_set(s->config, A_PORT_DEBUG0,
                       up ? DW_PCIE_LTSSM_L0 : 0, 4);
    dbg1 = up ? R_PORT_DEBUG1_LINK_UP_MASK : 0;
    dw_pcie_ep_cfg_set(s->config, A_PORT_DEBUG1, dbg1, 4);
    ARRAY_FIELD_DP32(s->app_regs, APP_STATUS, LINK_UP, up);
    s->app_regs[R_APP_IRQ_STATUS] |= up ? R_APP_IRQ_STATUS_LINK_UP_MASK :
                                          R_APP_IRQ_STATUS_LINK_DOWN_MASK;
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
    bool want = ARRAY_FIELD_EX32(s->app_regs, APP_CTRL, LTSSM_EN);

    if (dw_pcie_ep_has_peer(s)) {
        want = want && pcie_link_connected(&s->link);
        if (want != s->link_up && pcie_link_connected(&s->link)) {
            pcie_link_send_state(&s->link, want);
        }
    }
    dw_pcie_ep_set_link(s, want);
}

/* ---- the app block, as data (dw-pcie-ep-regs.h) ---- */

static void dw_pcie_ep_app_ctrl_postw(RegisterInfo *reg, uint64_t val)
{
    dw_pcie_ep_train(DW_PCIE_EP(reg->opaque));
}

static void dw_pcie_ep_app_irq_postw(RegisterInfo *reg, uint64_t val)
{
    dw_pcie_ep_update_app_irq(DW_PCIE_EP(reg->opaque));
}

static void dw_pcie_ep_app_intx_postw(RegisterInfo *reg, uint64_t val)
{
    DwPcieEpState *s = DW_PCIE_EP(reg->opaque);
    bool inta = ARRAY_FIELD_EX32(s->app_regs, APP_INTX, INTA);

    trace_dw_pcie_ep_intx(inta);
    if (dw_pcie_ep_has_peer(s) && s->link_up) {
        pcie_link_intx(&s->link, 0, inta);
    }
}

#define DW_PCIE_EP_APP_REG_INFO(n, rst, ro_, w1c_, rsvd_, hook)  \
    { .name = #n, .addr = A_##n, .reset = (rst), .ro = (ro_),     \
      .w1c = (w1c_), .rsvd = (uint32_t)(rsvd_), .post_write = (hook) },

static const RegisterAccessInfo dw_pcie_ep_app_regs_info[] = {
    DW_PCIE_EP_APP_REGS(DW_PCIE_EP_APP_REG_INFO)
};

static uint64_t dw_pcie_ep_app_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t val = register_read_memory(opaque, addr, size);

    trace_dw_pcie_ep_app_read(addr, val);
    return val;
}

static void dw_pcie_ep_app_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    trace_dw_pcie_ep_app_write(addr, val);
    register_write_memory(opaque, addr, val, size);
}

static const MemoryRegionOps dw_pcie_ep_app_ops = {
    .read = dw_pcie_ep_app_read,
    .write = dw_pcie_ep_app_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

void dw_pcie_ep_app_init(DwPcieEpState *s)
{
    RegisterInfoArray *regs;

    memory_region_init(&s->app, OBJECT(s), "dw-pcie-ep.app",
                       DW_PCIE_EP_APP_SIZE);
    regs = register_init_block32(DEVICE(s), dw_pcie_ep_app_regs_info,
                                 ARRAY_SIZE(dw_pcie_ep_app_regs_info),
                                 s->app_regs_info, s->app_regs,
                                 &dw_pcie_ep_app_ops, false,
                                 DW_PCIE_EP_APP_SIZE);
    memory_region_add_subregion(&s->app, 0, &regs->mem);
}

void dw_pcie_ep_app_reset(DwPcieEpState *s)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(s->app_regs_info); i++) {
        register_reset(&s->app_regs_info[i]);
    }
}



/* ---- eDMA interrupt ---- */

void dw_pcie_ep_dma_irq(void *opaque, int n, int level)
{
    DwPcieEpState *s = opaque;

    qemu_set_irq(s->irq_dma, level);
}

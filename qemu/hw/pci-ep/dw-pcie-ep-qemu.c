/*
 * Synopsys DesignWare PCIe controller, endpoint mode: the "qemu" face,
 * "dw-pcie-ep".  Its glue is our own "app" block (LTSSM enable, link
 * status and events on the "app" interrupt, INTA; dw-pcie-ep-regs.h),
 * bound by kernel-patches/' pcie-qemu-ep.c (compatible "qemu,dw-pcie-ep").
 * Every BAR but the resizable BAR0 and BAR2 is programmable, MSI-X is
 * offered: the face for what only it shows (INTx, MSI-X, link events).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/irq.h"
#include "hw/register.h"
#include "qemu/module.h"
#include "system/device_tree.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

#define DW_PCIE_EP_APP_SIZE      0x1000

OBJECT_DECLARE_SIMPLE_TYPE(DwPcieEpQemuState, DW_PCIE_EP_QEMU)

struct DwPcieEpQemuState {
    DwPcieEpState parent_obj;

    MemoryRegion app;
    qemu_irq irq_app;
    uint32_t app_regs[DW_PCIE_EP_APP_R_MAX];
    RegisterInfo app_regs_info[DW_PCIE_EP_APP_R_MAX];
};

static void dw_pcie_ep_qemu_update_irq(DwPcieEpQemuState *q)
{
    qemu_set_irq(q->irq_app, !!(q->app_regs[R_APP_IRQ_STATUS] &
                                q->app_regs[R_APP_IRQ_ENABLE]));
}

static void dw_pcie_ep_app_ctrl_postw(RegisterInfo *reg, uint64_t val)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(reg->opaque);
    DwPcieEpState *s = DW_PCIE_EP(q);

    s->ltssm_en = ARRAY_FIELD_EX32(q->app_regs, APP_CTRL, LTSSM_EN);
    dw_pcie_ep_train(s);
}

static void dw_pcie_ep_app_irq_postw(RegisterInfo *reg, uint64_t val)
{
    dw_pcie_ep_qemu_update_irq(DW_PCIE_EP_QEMU(reg->opaque));
}

static void dw_pcie_ep_app_intx_postw(RegisterInfo *reg, uint64_t val)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(reg->opaque);
    DwPcieEpState *s = DW_PCIE_EP(q);
    bool inta = ARRAY_FIELD_EX32(q->app_regs, APP_INTX, INTA);

    trace_dw_pcie_ep_intx(inta);
    if (dw_pcie_ep_link_usable(s)) {
        pcie_link_intx(&s->link, 0, inta);
    }
}

static const RegisterAccessInfo dw_pcie_ep_app_regs_info[] = {
    DW_PCIE_EP_APP_REGS(DW_PCIE_EP_GLUE_REG_INFO)
};

/* The app block (region 4, "app") and its interrupt (1, "app"). */
static void dw_pcie_ep_qemu_glue_realize(DwPcieEpState *s)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(s);
    RegisterInfoArray *regs;

    memory_region_init(&q->app, OBJECT(s), "dw-pcie-ep.app",
                       DW_PCIE_EP_APP_SIZE);
    regs = register_init_block32(DEVICE(s), dw_pcie_ep_app_regs_info,
                                 ARRAY_SIZE(dw_pcie_ep_app_regs_info),
                                 q->app_regs_info, q->app_regs,
                                 &dw_pcie_ep_glue_regs_ops, false,
                                 DW_PCIE_EP_APP_SIZE);
    memory_region_add_subregion(&q->app, 0, &regs->mem);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &q->app);
    sysbus_init_irq(SYS_BUS_DEVICE(s), &q->irq_app);
}

static void dw_pcie_ep_qemu_glue_reset(DwPcieEpState *s)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(s);
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(q->app_regs_info); i++) {
        register_reset(&q->app_regs_info[i]);
    }
    /* PERST# is the RC's: a reset of the controller does not change it */
    ARRAY_FIELD_DP32(q->app_regs, APP_STATUS, PERST, s->perst);
    dw_pcie_ep_qemu_update_irq(q);
}

/* APP_STATUS follows the link; each change is an event in APP_IRQ_STATUS. */
static void dw_pcie_ep_qemu_link_changed(DwPcieEpState *s)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(s);

    ARRAY_FIELD_DP32(q->app_regs, APP_STATUS, LINK_UP, s->link_up);
    q->app_regs[R_APP_IRQ_STATUS] |= s->link_up ?
                                     R_APP_IRQ_STATUS_LINK_UP_MASK :
                                     R_APP_IRQ_STATUS_LINK_DOWN_MASK;
    dw_pcie_ep_qemu_update_irq(q);
}

/* APP_STATUS.PERST follows PERST# from the RC. */
static void dw_pcie_ep_qemu_perst_changed(DwPcieEpState *s)
{
    DwPcieEpQemuState *q = DW_PCIE_EP_QEMU(s);

    ARRAY_FIELD_DP32(q->app_regs, APP_STATUS, PERST, s->perst);
}

/* "qemu,dw-pcie-ep": dts/qemu,dw-pcie-ep.yaml is its binding. */
static int dw_pcie_ep_qemu_add_fdt_node(SysBusDevice *sbd, void *fdt,
                                        const char *parent,
                                        PlatformBusDevice *pbus,
                                        int irq_start)
{
    static const char *const compat[] = { "qemu,dw-pcie-ep" };
    static const char *const reg_names[] = {
        "dbi", "dbi2", "atu", "dma", "app", "addr_space",
    };
    static const char *const irq_names[] = { "dma", "app" };
    char *node;

    node = dw_pcie_ep_fdt_node(sbd, fdt, pbus, irq_start,
                               compat, ARRAY_SIZE(compat),
                               reg_names, NULL, ARRAY_SIZE(reg_names),
                               irq_names, NULL, ARRAY_SIZE(irq_names), 1);
    if (!node) {
        return -1;
    }
    g_free(node);
    return 0;
}

static const DwPcieEpFace dw_pcie_ep_qemu_face = {
    .name = "qemu",
    .bar = {
        [0] = { DW_PCIE_EP_BAR_RESIZABLE },
        [1] = { DW_PCIE_EP_BAR_PROGRAMMABLE },
        [2] = { DW_PCIE_EP_BAR_RESIZABLE },
        [3] = { DW_PCIE_EP_BAR_PROGRAMMABLE },
        [4] = { DW_PCIE_EP_BAR_PROGRAMMABLE },
        [5] = { DW_PCIE_EP_BAR_PROGRAMMABLE },
    },
    .msix = true,
    .its = true,
};

static void dw_pcie_ep_qemu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    DwPcieEpClass *k = DW_PCIE_EP_CLASS(klass);

    dc->desc = "Synopsys DesignWare PCIe controller, endpoint mode, with "
               "QEMU's own glue (compatible qemu,dw-pcie-ep)";
    dc->user_creatable = true;
    k->face = data;
    k->glue_realize = dw_pcie_ep_qemu_glue_realize;
    k->glue_reset = dw_pcie_ep_qemu_glue_reset;
    k->link_changed = dw_pcie_ep_qemu_link_changed;
    k->perst_changed = dw_pcie_ep_qemu_perst_changed;
    k->add_fdt_node = dw_pcie_ep_qemu_add_fdt_node;
}

static const TypeInfo dw_pcie_ep_qemu_info = {
    .name = TYPE_DW_PCIE_EP_QEMU,
    .parent = TYPE_DW_PCIE_EP,
    .instance_size = sizeof(DwPcieEpQemuState),
    .class_init = dw_pcie_ep_qemu_class_init,
    .class_data = (void *)&dw_pcie_ep_qemu_face,
};

static void dw_pcie_ep_qemu_register_types(void)
{
    type_register_static(&dw_pcie_ep_qemu_info);
}

type_init(dw_pcie_ep_qemu_register_types)

/*
 * Synopsys DesignWare PCIe controller, endpoint mode: the "rcar-s4" face,
 * "dw-pcie-ep-rcar-s4": the controller as Renesas R-Car S4 (r8a779f0)
 * builds it, bound by Linux 7.2's own pcie-rcar-gen4.c (compatible
 * "renesas,r8a779f0-pcie-ep", "renesas,rcar-gen4-pcie-ep"; binding
 * Documentation/devicetree/bindings/pci/rcar-gen4-pci-ep.yaml).
 *
 * What the face is:
 *  - the BAR rules of the driver's rcar_gen4_pcie_epc_features: BAR0 and
 *    BAR2 resizable, BAR4 fixed at 256 bytes, BAR1, BAR3 and BAR5 not
 *    implemented; MSI and no MSI-X; no ITS for the doorbells;
 *  - the "app" block (dw-pcie-ep-regs.h, RCAR_*): mode (PCIEMSR0), LTSSM
 *    enable and PHY reset hold (PCIERSTCTRL1), link state (PCIEINTSTS0)
 *    and its enable (PCIEINTSTS0EN) on the "app" interrupt, the eDMA
 *    interrupt's enable (PCIEDMAINTSTSEN) gating the "dma" interrupt,
 *    power management control (PCIEPWRMNGCTRL, storage);
 *  - the "phy" region, which the S4 driver maps but never touches (only
 *    V4H and V4M program their PHY): it reads 0 and ignores writes, each
 *    access logged as unimplemented;
 *  - the "sft_ce" interrupt, never raised (correctable errors are not
 *    modelled);
 *  - stand-ins for the SoC's providers, which virt has not: two fixed
 *    clocks ("core", "ref") and a one-bit reset block ("pwr", Linux's
 *    reset-simple, with status) instead of the CPG/MSSR.  Asserting the
 *    reset resets the core (config space, iATU, eDMA, the link goes
 *    down) and keeps the link down until it is released; the app block
 *    keeps its values, as the driver programs PCIEMSR0 under reset.  No
 *    "power-domains": the S4's PCIe sits in its always-on area, and the
 *    only Linux provider of that area (rcar-gen4-sysc) needs the
 *    CPG/MSSR clock driver, which is not modelled.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/irq.h"
#include "hw/register.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "system/device_tree.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

OBJECT_DECLARE_SIMPLE_TYPE(DwPcieEpRcarState, DW_PCIE_EP_RCAR_S4)

struct DwPcieEpRcarState {
    DwPcieEpState parent_obj;

    MemoryRegion app;
    MemoryRegion phy;
    qemu_irq irq_sft_ce;
    qemu_irq irq_app;
    uint32_t app_regs[DW_PCIE_EP_RCAR_APP_R_MAX];
    RegisterInfo app_regs_info[DW_PCIE_EP_RCAR_APP_R_MAX];
};

static void dw_pcie_ep_rcar_update_irq(DwPcieEpRcarState *r)
{
    qemu_set_irq(r->irq_app, !!(r->app_regs[R_RCAR_PCIEINTSTS0] &
                                r->app_regs[R_RCAR_PCIEINTSTS0EN]));
    dw_pcie_ep_update_dma_irq(DW_PCIE_EP(r));
}

/*
 * The LTSSM trains with APP_LTSSM_ENABLE, the PHY out of reset, no pwr
 * reset, in endpoint mode (an RC-mode controller is not modelled).
 */
static void dw_pcie_ep_rcar_train(DwPcieEpState *s)
{
    DwPcieEpRcarState *r = DW_PCIE_EP_RCAR_S4(s);
    bool rc = ARRAY_FIELD_EX32(r->app_regs, RCAR_PCIEMSR0, DEVICE_TYPE_RC);
    bool en = ARRAY_FIELD_EX32(r->app_regs, RCAR_PCIERSTCTRL1,
                               APP_LTSSM_ENABLE);

    if (rc && en) {
        qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rcar-s4: PCIEMSR0 selects RC "
                      "mode, which is not modelled: the link stays down\n");
    }
    s->ltssm_en = en && !rc &&
        !ARRAY_FIELD_EX32(r->app_regs, RCAR_PCIERSTCTRL1, APP_HOLD_PHY_RST) &&
        !FIELD_EX32(s->rst_reg, RCAR_RST, PWR);
    dw_pcie_ep_train(s);
}

static void dw_pcie_ep_rcar_rstctrl_postw(RegisterInfo *reg, uint64_t val)
{
    dw_pcie_ep_rcar_train(DW_PCIE_EP(reg->opaque));
}

static void dw_pcie_ep_rcar_irq_postw(RegisterInfo *reg, uint64_t val)
{
    dw_pcie_ep_rcar_update_irq(DW_PCIE_EP_RCAR_S4(reg->opaque));
}

static const RegisterAccessInfo dw_pcie_ep_rcar_regs_info[] = {
    DW_PCIE_EP_RCAR_APP_REGS(DW_PCIE_EP_GLUE_REG_INFO)
};

/* ---- the face ---- */

/* app (region 4), phy (5); interrupts sft_ce (1), app (2) */
static void dw_pcie_ep_rcar_glue_realize(DwPcieEpState *s)
{
    DwPcieEpRcarState *r = DW_PCIE_EP_RCAR_S4(s);
    SysBusDevice *sbd = SYS_BUS_DEVICE(s);
    RegisterInfoArray *regs;

    memory_region_init(&r->app, OBJECT(s), "dw-pcie-ep-rcar-s4.app",
                       DW_PCIE_EP_RCAR_APP_SIZE);
    regs = register_init_block32(DEVICE(s), dw_pcie_ep_rcar_regs_info,
                                 ARRAY_SIZE(dw_pcie_ep_rcar_regs_info),
                                 r->app_regs_info, r->app_regs,
                                 &dw_pcie_ep_glue_regs_ops, false,
                                 DW_PCIE_EP_RCAR_APP_SIZE);
    memory_region_add_subregion(&r->app, 0, &regs->mem);
    /* mapped by the S4 driver, never accessed (V4H's PHY is not modelled) */
    dw_pcie_ep_init_unimp(s, &r->phy, "dw-pcie-ep-rcar-s4.phy",
                          DW_PCIE_EP_RCAR_PHY_SIZE);
    sysbus_init_mmio(sbd, &r->app);
    sysbus_init_mmio(sbd, &r->phy);
    sysbus_init_irq(sbd, &r->irq_sft_ce);
    sysbus_init_irq(sbd, &r->irq_app);
}

/* the reset block (region 7), after addr_space: one line, pwr */
static void dw_pcie_ep_rcar_glue_realize_late(DwPcieEpState *s)
{
    dw_pcie_ep_rst_init(s, 1, R_RCAR_RST_PWR_MASK);
}

static void dw_pcie_ep_rcar_glue_reset(DwPcieEpState *s)
{
    DwPcieEpRcarState *r = DW_PCIE_EP_RCAR_S4(s);
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(r->app_regs_info); i++) {
        register_reset(&r->app_regs_info[i]);
    }
    dw_pcie_ep_rcar_update_irq(r);
}

static void dw_pcie_ep_rcar_link_changed(DwPcieEpState *s)
{
    DwPcieEpRcarState *r = DW_PCIE_EP_RCAR_S4(s);

    r->app_regs[R_RCAR_PCIEINTSTS0] =
        (r->app_regs[R_RCAR_PCIEINTSTS0] & ~DW_PCIE_EP_RCAR_LINK_BITS) |
        (s->link_up ? DW_PCIE_EP_RCAR_LINK_BITS : 0);
    dw_pcie_ep_rcar_update_irq(r);
}

static bool dw_pcie_ep_rcar_dma_irq_enabled(DwPcieEpState *s)
{
    DwPcieEpRcarState *r = DW_PCIE_EP_RCAR_S4(s);

    return ARRAY_FIELD_EX32(r->app_regs, RCAR_PCIEDMAINTSTSEN, EN) != 0;
}

static int dw_pcie_ep_rcar_add_fdt_node(SysBusDevice *sbd, void *fdt,
                                        const char *parent,
                                        PlatformBusDevice *pbus,
                                        int irq_start)
{
    static const char *const compat[] = {
        "renesas,r8a779f0-pcie-ep", "renesas,rcar-gen4-pcie-ep",
    };
    static const char *const reg_names[] = {
        "dbi", "dbi2", "atu", "dma", "app", "phy", "addr_space",
    };
    static const char *const irq_names[] = { "dma", "sft_ce", "app" };
    static const char *const clock_names[] = { "core", "ref" };
    uint32_t clk_core, clk_ref, rst_phandle;
    char *node;

    /* the reset block is the region after the node's own */
    rst_phandle = dw_pcie_ep_fdt_rst_node(sbd, fdt, pbus,
                                          ARRAY_SIZE(reg_names));
    clk_core = dw_pcie_ep_fdt_clock(sbd, fdt, pbus, "core", 266666666);
    clk_ref = dw_pcie_ep_fdt_clock(sbd, fdt, pbus, "ref", 100000000);

    node = dw_pcie_ep_fdt_node(sbd, fdt, pbus, irq_start,
                               compat, ARRAY_SIZE(compat),
                               reg_names, NULL, ARRAY_SIZE(reg_names),
                               irq_names, NULL, ARRAY_SIZE(irq_names), 2);
    if (!node) {
        return -1;
    }
    qemu_fdt_setprop_cells(fdt, node, "clocks", clk_core, clk_ref);
    qemu_fdt_setprop_string_array(fdt, node, "clock-names",
                                  (char **)clock_names,
                                  ARRAY_SIZE(clock_names));
    qemu_fdt_setprop_cells(fdt, node, "resets", rst_phandle, 0);
    qemu_fdt_setprop_string(fdt, node, "reset-names", "pwr");
    /* as the binding's example has it: x2 (above), 16 GT/s */
    qemu_fdt_setprop_cell(fdt, node, "max-link-speed", 4);
    g_free(node);
    return 0;
}

static const DwPcieEpFace dw_pcie_ep_rcar_face = {
    .name = "rcar-s4",
    .bar = {
        [0] = { DW_PCIE_EP_BAR_RESIZABLE },
        [1] = { DW_PCIE_EP_BAR_DISABLED },
        [2] = { DW_PCIE_EP_BAR_RESIZABLE },
        [3] = { DW_PCIE_EP_BAR_DISABLED },
        [4] = { DW_PCIE_EP_BAR_FIXED, 256 },
        [5] = { DW_PCIE_EP_BAR_DISABLED },
    },
    .msix = false,
    .its = false,
};

static void dw_pcie_ep_rcar_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    DwPcieEpClass *k = DW_PCIE_EP_CLASS(klass);

    dc->desc = "Synopsys DesignWare PCIe controller, endpoint mode, as "
               "Renesas R-Car S4 has it (compatible renesas,r8a779f0-pcie-ep)";
    dc->user_creatable = true;
    k->face = data;
    k->glue_realize = dw_pcie_ep_rcar_glue_realize;
    k->glue_realize_late = dw_pcie_ep_rcar_glue_realize_late;
    k->glue_reset = dw_pcie_ep_rcar_glue_reset;
    k->glue_train = dw_pcie_ep_rcar_train;
    k->link_changed = dw_pcie_ep_rcar_link_changed;
    k->dma_irq_enabled = dw_pcie_ep_rcar_dma_irq_enabled;
    k->add_fdt_node = dw_pcie_ep_rcar_add_fdt_node;
}

static const TypeInfo dw_pcie_ep_rcar_info = {
    .name = TYPE_DW_PCIE_EP_RCAR_S4,
    .parent = TYPE_DW_PCIE_EP,
    .instance_size = sizeof(DwPcieEpRcarState),
    .class_init = dw_pcie_ep_rcar_class_init,
    .class_data = (void *)&dw_pcie_ep_rcar_face,
};

static void dw_pcie_ep_rcar_register_types(void)
{
    type_register_static(&dw_pcie_ep_rcar_info);
}

type_init(dw_pcie_ep_rcar_register_types)

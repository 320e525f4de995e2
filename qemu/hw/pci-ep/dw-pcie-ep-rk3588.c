/*
 * Synopsys DesignWare PCIe controller, endpoint mode: the "rk3588" face,
 * "dw-pcie-ep-rk3588": the controller as Rockchip RK3588 builds it,
 * bound by Linux 7.2's own pcie-dw-rockchip.c (compatible
 * "rockchip,rk3588-pcie-ep"; binding Documentation/devicetree/bindings/
 * pci/rockchip-dw-pcie-ep.yaml) with its PHY driver
 * phy-rockchip-snps-pcie3.c ("rockchip,rk3588-pcie3-phy").
 *
 * What the face is:
 *  - the BAR rules of the driver's rockchip_pcie_epc_features_rk3588:
 *    BAR0-3 and BAR5 resizable, BAR4 reserved by the hardware, which
 *    shows the eDMA's registers there (8 KiB, offset 0), whatever the
 *    iATU says: the host rings the eDMA doorbell (rd_int_status, 0xa0)
 *    through it with no doorbell BAR mapped by the function; MSI and
 *    MSI-X; 2 write and 2 read eDMA channels ("dma0".."dma3", one line);
 *  - the eDMA where RK3588 puts it: in a 1 MiB "atu" region at 0x80000
 *    (no "dma" region in the node);
 *  - the "apb" client block (dw-pcie-ep-regs.h, RK_*), with Rockchip's
 *    convention that the high 16 bits of a write say which low bits it
 *    changes: mode and LTSSM enable (GENERAL_CON), the link-up change
 *    and link reset request events on the "sys" interrupt
 *    (INTR_STATUS_MISC, write 1 to clear; INTR_MASK_MISC, masked from
 *    reset), the hot reset delay (HOT_RESET_CTRL: with APP_DLY2_EN, a
 *    link that went down without the EP asking, which here is the link
 *    to the RC QEMU lost or cut, is not trained again until the driver
 *    writes APP_DLY2_DONE; an in-band hot reset from the host is not
 *    modelled: the link carries none), the LTSSM state (LTSSM_STATUS);
 *    RC mode (GENERAL_CON's device type 4) is not modelled: it does not
 *    train;
 *  - the "pmc", "msg", "legacy" and "err" interrupts, never raised;
 *  - stand-ins for what virt has not: one fixed clock for all five of the
 *    controller's and the PHY's; a reset block ("snps,dw-high-reset",
 *    reset-simple, dw-pcie-ep-standin.c): bit 0 "pwr", bit 1 "pipe" (the
 *    controller's; either asserted resets the core, drops a hot reset
 *    hold and keeps the link down), bit 2 the PHY's (keeps the link
 *    down), all asserted at power-on; the PHY GRF (the lane and clamp
 *    registers phy-rockchip-snps-pcie3 writes are storage, the lanes'
 *    RX common refclk bit set from reset, and its
 *    PHY0/PHY1_STATUS1 SRAM-init-done bits read 1 while the PHY's reset
 *    is released) and the PHP GRF (PCIESEL_CON storage); the PHY's own
 *    registers, which the driver maps and never touches, read 0 and
 *    ignore writes.  No "power-domains" (no provider on virt; Linux's
 *    driver never asks for it).
 *  - not modelled: the iATU's 64 KiB granule (the model's stays 4 KiB;
 *    Linux aligns to the epc_features' 64 KiB anyway), L1 substates.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/irq.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "system/device_tree.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

OBJECT_DECLARE_SIMPLE_TYPE(DwPcieEpRkState, DW_PCIE_EP_RK3588)

enum { RK_IRQ_SYS = 1, RK_IRQ_PMC, RK_IRQ_MSG, RK_IRQ_LEGACY, RK_IRQ_ERR,
       RK_IRQ_NUM };

struct DwPcieEpRkState {
    DwPcieEpState parent_obj;

    MemoryRegion apb;
    MemoryRegion phy;
    MemoryRegion phy_grf;
    MemoryRegion php_grf;
    qemu_irq irq[RK_IRQ_NUM];

    uint32_t general_con;
    uint32_t misc_status;
    uint32_t misc_mask;
    uint32_t hot_reset_ctrl;
    bool dly2_hold;          /* a host-side reset waits for APP_DLY2_DONE */
    uint32_t phy_grf_cmn_con0;
    uint32_t phy_grf_ln_con1[4];
    uint32_t php_grf_pciesel;
};

/* Rockchip: bits 31:16 of a write enable the write of bits 15:0. */
static uint32_t rk_wm16(uint32_t old, uint64_t val)
{
    uint32_t en = (val >> 16) & 0xffff;

    return (old & ~en) | (val & en);
}

static void dw_pcie_ep_rk_update_irq(DwPcieEpRkState *r)
{
    qemu_set_irq(r->irq[RK_IRQ_SYS],
                 !!(r->misc_status & ~r->misc_mask & RK_MISC_IRQS));
}

/*
 * The LTSSM trains when enabled in EP mode, out of every reset and not
 * held after a link reset; a controller reset drops that hold.
 */
static void dw_pcie_ep_rk_train(DwPcieEpState *s)
{
    DwPcieEpRkState *r = DW_PCIE_EP_RK3588(s);
    bool en = FIELD_EX32(r->general_con, RK_GENERAL_CON, ENABLE_LTSSM);
    bool rc = FIELD_EX32(r->general_con, RK_GENERAL_CON, DEVICE_TYPE) != 0;

    if (s->rst_reg & (R_RK_RST_PWR_MASK | R_RK_RST_PIPE_MASK)) {
        r->dly2_hold = false;
    }
    if (rc && en) {
        qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: GENERAL_CON selects a "
                      "mode other than EP, which is not modelled: the link "
                      "stays down\n");
    }
    s->ltssm_en = en && !rc && !(s->rst_reg & RK_RST_ALL) && !r->dly2_hold;
    dw_pcie_ep_train(s);
}

/* ---- apb ---- */

static uint64_t dw_pcie_ep_rk_apb_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    DwPcieEpRkState *r = opaque;
    DwPcieEpState *s = DW_PCIE_EP(r);
    uint32_t val = 0;

    switch (addr) {
    case A_RK_GENERAL_CON:
        val = r->general_con;
        break;
    case A_RK_INTR_STATUS_MISC:
        val = r->misc_status;
        break;
    case A_RK_INTR_MASK_MISC:
        val = r->misc_mask;
        break;
    case A_RK_HOT_RESET_CTRL:
        val = r->hot_reset_ctrl;
        break;
    case A_RK_CDM_RASDES_TBA_INFO_CMN:
        val = 0;                /* no L1 substates */
        break;
    case A_RK_LTSSM_STATUS:
        val = s->link_up ? R_RK_LTSSM_STATUS_LINK_UP_MASK |
                           FIELD_DP32(0, RK_LTSSM_STATUS, LTSSM,
                                      DW_PCIE_LTSSM_L0) : 0;
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: apb read 0x%04"
                      HWADDR_PRIx " is not modelled: 0\n", addr);
    }
    trace_dw_pcie_ep_app_read(addr, val);
    return val;
}

static void dw_pcie_ep_rk_apb_write(void *opaque, hwaddr addr,
                                    uint64_t val, unsigned size)
{
    DwPcieEpRkState *r = opaque;

    trace_dw_pcie_ep_app_write(addr, val);
    switch (addr) {
    case A_RK_GENERAL_CON:
        r->general_con = rk_wm16(r->general_con, val);
        dw_pcie_ep_rk_train(DW_PCIE_EP(r));
        break;
    case A_RK_INTR_STATUS_MISC:
        /* write 1 to clear, no write-enable half (the driver writes back
         * what it read) */
        r->misc_status &= ~(uint32_t)val;
        dw_pcie_ep_rk_update_irq(r);
        break;
    case A_RK_INTR_MASK_MISC:
        r->misc_mask = rk_wm16(r->misc_mask, val);
        dw_pcie_ep_rk_update_irq(r);
        break;
    case A_RK_HOT_RESET_CTRL:
        r->hot_reset_ctrl = rk_wm16(r->hot_reset_ctrl, val);
        if (FIELD_EX32(r->hot_reset_ctrl, RK_HOT_RESET_CTRL, APP_DLY2_DONE)) {
            /* a pulse: the held link may train again */
            r->hot_reset_ctrl = FIELD_DP32(r->hot_reset_ctrl,
                                           RK_HOT_RESET_CTRL,
                                           APP_DLY2_DONE, 0);
            r->dly2_hold = false;
            dw_pcie_ep_rk_train(DW_PCIE_EP(r));
        }
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: apb write 0x%04"
                      HWADDR_PRIx " <- 0x%" PRIx64 " is not modelled: "
                      "ignored\n", addr, val);
    }
}

static const MemoryRegionOps dw_pcie_ep_rk_apb_ops = {
    .read = dw_pcie_ep_rk_apb_read,
    .write = dw_pcie_ep_rk_apb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- PHY GRF, PHP GRF, the PHY ---- */

static int rk_phy_grf_con1(hwaddr addr)
{
    switch (addr) {
    case A_RK_PHY_GRF_PHY0_LN0_CON1:
        return 0;
    case A_RK_PHY_GRF_PHY0_LN1_CON1:
        return 1;
    case A_RK_PHY_GRF_PHY1_LN0_CON1:
        return 2;
    case A_RK_PHY_GRF_PHY1_LN1_CON1:
        return 3;
    }
    return -1;
}

static uint64_t dw_pcie_ep_rk_phy_grf_read(void *opaque, hwaddr addr,
                                           unsigned size)
{
    DwPcieEpRkState *r = opaque;
    int ln = rk_phy_grf_con1(addr);

    if (ln >= 0) {
        return r->phy_grf_ln_con1[ln];
    }
    switch (addr) {
    case A_RK_PHY_GRF_CMN_CON0:
        return r->phy_grf_cmn_con0;
    case A_RK_PHY_GRF_PHY0_STATUS1:
    case A_RK_PHY_GRF_PHY1_STATUS1:
        /* the PHY's SRAM is initialised once its reset is released */
        return !FIELD_EX32(DW_PCIE_EP(r)->rst_reg, RK_RST, PHY);
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: PHY GRF read 0x%04"
                  HWADDR_PRIx " is not modelled: 0\n", addr);
    return 0;
}

static void dw_pcie_ep_rk_phy_grf_write(void *opaque, hwaddr addr,
                                        uint64_t val, unsigned size)
{
    DwPcieEpRkState *r = opaque;
    int ln = rk_phy_grf_con1(addr);

    if (ln >= 0) {
        r->phy_grf_ln_con1[ln] = rk_wm16(r->phy_grf_ln_con1[ln], val);
    } else if (addr == A_RK_PHY_GRF_CMN_CON0) {
        r->phy_grf_cmn_con0 = rk_wm16(r->phy_grf_cmn_con0, val);
    } else {
        qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: PHY GRF write 0x%04"
                      HWADDR_PRIx " <- 0x%" PRIx64 " is not modelled: "
                      "ignored\n", addr, val);
    }
}

static const MemoryRegionOps dw_pcie_ep_rk_phy_grf_ops = {
    .read = dw_pcie_ep_rk_phy_grf_read,
    .write = dw_pcie_ep_rk_phy_grf_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

static uint64_t dw_pcie_ep_rk_php_grf_read(void *opaque, hwaddr addr,
                                           unsigned size)
{
    DwPcieEpRkState *r = opaque;

    if (addr == A_RK_PHP_GRF_PCIESEL_CON) {
        return r->php_grf_pciesel;
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: PHP GRF read 0x%03"
                  HWADDR_PRIx " is not modelled: 0\n", addr);
    return 0;
}

static void dw_pcie_ep_rk_php_grf_write(void *opaque, hwaddr addr,
                                        uint64_t val, unsigned size)
{
    DwPcieEpRkState *r = opaque;

    if (addr == A_RK_PHP_GRF_PCIESEL_CON) {
        r->php_grf_pciesel = rk_wm16(r->php_grf_pciesel, val);
        return;
    }
    qemu_log_mask(LOG_UNIMP, "dw-pcie-ep-rk3588: PHP GRF write 0x%03"
                  HWADDR_PRIx " <- 0x%" PRIx64 " is not modelled: ignored\n",
                  addr, val);
}

static const MemoryRegionOps dw_pcie_ep_rk_php_grf_ops = {
    .read = dw_pcie_ep_rk_php_grf_read,
    .write = dw_pcie_ep_rk_php_grf_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- the face ---- */

static void dw_pcie_ep_rk_instance_init(Object *obj)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);

    /* dma0..dma3 of the binding: 2 write and 2 read channels */
    object_property_set_uint(OBJECT(&s->edma), "wr-channels", 2,
                             &error_abort);
    object_property_set_uint(OBJECT(&s->edma), "rd-channels", 2,
                             &error_abort);
}

/* apb (region 4); interrupts sys, pmc, msg, legacy, err (1-5) */
static void dw_pcie_ep_rk_glue_realize(DwPcieEpState *s)
{
    DwPcieEpRkState *r = DW_PCIE_EP_RK3588(s);
    SysBusDevice *sbd = SYS_BUS_DEVICE(s);
    unsigned i;

    memory_region_init_io(&r->apb, OBJECT(s), &dw_pcie_ep_rk_apb_ops, r,
                          "dw-pcie-ep-rk3588.apb", DW_PCIE_EP_RK_APB_SIZE);
    sysbus_init_mmio(sbd, &r->apb);
    for (i = RK_IRQ_SYS; i < RK_IRQ_NUM; i++) {
        sysbus_init_irq(sbd, &r->irq[i]);
    }
}

/* after addr_space (region 5): phy (6), PHY GRF (7), PHP GRF (8), rst (9) */
enum { RK_MMIO_PHY = 6, RK_MMIO_PHY_GRF, RK_MMIO_PHP_GRF, RK_MMIO_RST };

static void dw_pcie_ep_rk_glue_realize_late(DwPcieEpState *s)
{
    DwPcieEpRkState *r = DW_PCIE_EP_RK3588(s);
    SysBusDevice *sbd = SYS_BUS_DEVICE(s);

    /* the PHY driver maps its registers and never touches them */
    dw_pcie_ep_init_unimp(s, &r->phy, "dw-pcie-ep-rk3588.phy",
                          DW_PCIE_EP_RK_PHY_SIZE);
    memory_region_init_io(&r->phy_grf, OBJECT(s), &dw_pcie_ep_rk_phy_grf_ops,
                          r, "dw-pcie-ep-rk3588.phy-grf",
                          DW_PCIE_EP_RK_PHY_GRF_SIZE);
    memory_region_init_io(&r->php_grf, OBJECT(s), &dw_pcie_ep_rk_php_grf_ops,
                          r, "dw-pcie-ep-rk3588.php-grf",
                          DW_PCIE_EP_RK_PHP_GRF_SIZE);
    sysbus_init_mmio(sbd, &r->phy);
    sysbus_init_mmio(sbd, &r->phy_grf);
    sysbus_init_mmio(sbd, &r->php_grf);
    dw_pcie_ep_rst_init(s, 3, R_RK_RST_PWR_MASK | R_RK_RST_PIPE_MASK);
}

static void dw_pcie_ep_rk_glue_reset(DwPcieEpState *s)
{
    DwPcieEpRkState *r = DW_PCIE_EP_RK3588(s);
    unsigned i;

    r->general_con = 0;
    r->misc_status = 0;
    r->misc_mask = RK_MISC_IRQS;        /* masked until the driver says */
    r->hot_reset_ctrl = 0;
    r->dly2_hold = false;
    r->phy_grf_cmn_con0 = 0;
    for (i = 0; i < ARRAY_SIZE(r->phy_grf_ln_con1); i++) {
        /* RX common refclk mode on, as the PHY driver's comment says */
        r->phy_grf_ln_con1[i] = RK_PHY_GRF_LN_CON1_RX_CMN_REFCLK;
    }
    r->php_grf_pciesel = 0;
    dw_pcie_ep_rk_update_irq(r);
}

/*
 * Every change of the link is a RDLH_LINK_UP_CHGED event; one the EP did
 * not ask for (the LTSSM still enabled: the link to the RC QEMU lost or
 * cut) is also a LINK_REQ_RST_NOT_INT, and with APP_DLY2_EN the link
 * then waits for APP_DLY2_DONE before it trains again.
 */
static void dw_pcie_ep_rk_link_changed(DwPcieEpState *s)
{
    DwPcieEpRkState *r = DW_PCIE_EP_RK3588(s);

    r->misc_status |= R_RK_INTR_STATUS_MISC_RDLH_LINK_UP_CHGED_MASK;
    if (!s->link_up && s->ltssm_en) {
        r->misc_status |= R_RK_INTR_STATUS_MISC_LINK_REQ_RST_NOT_INT_MASK;
        if (FIELD_EX32(r->hot_reset_ctrl, RK_HOT_RESET_CTRL, APP_DLY2_EN)) {
            r->dly2_hold = true;
            s->ltssm_en = false;
        }
    }
    dw_pcie_ep_rk_update_irq(r);
}

/*
 * A syscon or PHY node "/@prefix@<addr>" for sysbus region @region, with
 * @compat, reg and a phandle (returned); its path in @path (to free).
 */
static uint32_t dw_pcie_ep_rk_fdt_reg_node(SysBusDevice *sbd, void *fdt,
                                           PlatformBusDevice *pbus,
                                           const char *prefix, int region,
                                           const char *const *compat,
                                           unsigned ncompat, char **path)
{
    hwaddr addr = dw_pcie_ep_fdt_mmio_addr(sbd, pbus, region);
    char *node = g_strdup_printf("/%s@%" PRIx64, prefix, (uint64_t)addr);
    uint32_t phandle = qemu_fdt_alloc_phandle(fdt);

    qemu_fdt_add_subnode(fdt, node);
    qemu_fdt_setprop_string_array(fdt, node, "compatible", (char **)compat,
                                  ncompat);
    qemu_fdt_setprop_sized_cells(fdt, node, "reg", 2, addr, 2,
                                 memory_region_size(
                                     sysbus_mmio_get_region(sbd, region)));
    qemu_fdt_setprop_cell(fdt, node, "phandle", phandle);
    *path = node;
    return phandle;
}

/*
 * The PHY ("rockchip,rk3588-pcie3-phy") and its GRF syscons; the PHY's
 * phandle.  Its reset is line 2 of the reset block @rst, its clock @clk.
 */
static uint32_t dw_pcie_ep_rk_fdt_phy(SysBusDevice *sbd, void *fdt,
                                      PlatformBusDevice *pbus, uint32_t clk,
                                      uint32_t rst)
{
    static const char *const phy_compat[] = { "rockchip,rk3588-pcie3-phy" };
    static const char *const phy_grf_compat[] = {
        "rockchip,rk3588-pcie3-phy-grf", "syscon",
    };
    static const char *const php_grf_compat[] = {
        "rockchip,rk3588-php-grf", "syscon",
    };
    g_autofree char *phy_node = NULL;
    g_autofree char *phy_grf_node = NULL;
    g_autofree char *php_grf_node = NULL;
    uint32_t phy, phy_grf, php_grf;

    phy_grf = dw_pcie_ep_rk_fdt_reg_node(sbd, fdt, pbus, "syscon",
                                         RK_MMIO_PHY_GRF, phy_grf_compat,
                                         ARRAY_SIZE(phy_grf_compat),
                                         &phy_grf_node);
    php_grf = dw_pcie_ep_rk_fdt_reg_node(sbd, fdt, pbus, "syscon",
                                         RK_MMIO_PHP_GRF, php_grf_compat,
                                         ARRAY_SIZE(php_grf_compat),
                                         &php_grf_node);
    phy = dw_pcie_ep_rk_fdt_reg_node(sbd, fdt, pbus, "phy", RK_MMIO_PHY,
                                     phy_compat, ARRAY_SIZE(phy_compat),
                                     &phy_node);
    qemu_fdt_setprop_cell(fdt, phy_node, "#phy-cells", 0);
    qemu_fdt_setprop_cell(fdt, phy_node, "clocks", clk);
    qemu_fdt_setprop_string(fdt, phy_node, "clock-names", "pclk");
    qemu_fdt_setprop_cells(fdt, phy_node, "resets", rst, 2);
    qemu_fdt_setprop_string(fdt, phy_node, "reset-names", "phy");
    qemu_fdt_setprop_cell(fdt, phy_node, "rockchip,phy-grf", phy_grf);
    qemu_fdt_setprop_cell(fdt, phy_node, "rockchip,pipe-grf", php_grf);
    return phy;
}

static int dw_pcie_ep_rk_add_fdt_node(SysBusDevice *sbd, void *fdt,
                                      const char *parent,
                                      PlatformBusDevice *pbus, int irq_start)
{
    static const char *const compat[] = { "rockchip,rk3588-pcie-ep" };
    /* in the binding's order */
    static const char *const reg_names[] = {
        "dbi", "dbi2", "apb", "addr_space", "atu",
    };
    static const unsigned reg_index[] = { 0, 1, 4, 5, 2 };
    static const char *const irq_names[] = {
        "sys", "pmc", "msg", "legacy", "err", "dma0", "dma1", "dma2", "dma3",
    };
    static const unsigned irq_index[] = {
        RK_IRQ_SYS, RK_IRQ_PMC, RK_IRQ_MSG, RK_IRQ_LEGACY, RK_IRQ_ERR,
        DW_PCIE_EP_IRQ_DMA, DW_PCIE_EP_IRQ_DMA, DW_PCIE_EP_IRQ_DMA,
        DW_PCIE_EP_IRQ_DMA,
    };
    static const char *const clock_names[] = {
        "aclk_mst", "aclk_slv", "aclk_dbi", "pclk", "aux",
    };
    static const char *const reset_names[] = { "pwr", "pipe" };
    uint32_t clk, rst, phy;
    char *node;

    clk = dw_pcie_ep_fdt_clock(sbd, fdt, pbus, "clk", 100000000);
    rst = dw_pcie_ep_fdt_rst_node(sbd, fdt, pbus, RK_MMIO_RST);
    phy = dw_pcie_ep_rk_fdt_phy(sbd, fdt, pbus, clk, rst);
    node = dw_pcie_ep_fdt_node(sbd, fdt, pbus, irq_start,
                               compat, ARRAY_SIZE(compat),
                               reg_names, reg_index, ARRAY_SIZE(reg_names),
                               irq_names, irq_index, ARRAY_SIZE(irq_names),
                               4);
    if (!node) {
        return -1;
    }
    qemu_fdt_setprop_cells(fdt, node, "clocks", clk, clk, clk, clk, clk);
    qemu_fdt_setprop_string_array(fdt, node, "clock-names",
                                  (char **)clock_names,
                                  ARRAY_SIZE(clock_names));
    qemu_fdt_setprop_cells(fdt, node, "resets", rst, 0, rst, 1);
    qemu_fdt_setprop_string_array(fdt, node, "reset-names",
                                  (char **)reset_names,
                                  ARRAY_SIZE(reset_names));
    qemu_fdt_setprop_cell(fdt, node, "phys", phy);
    qemu_fdt_setprop_string(fdt, node, "phy-names", "pcie-phy");
    qemu_fdt_setprop_cell(fdt, node, "max-link-speed", 3);
    g_free(node);
    return 0;
}

static const DwPcieEpFace dw_pcie_ep_rk_face = {
    .name = "rk3588",
    .bar = {
        [0] = { DW_PCIE_EP_BAR_RESIZABLE },
        [1] = { DW_PCIE_EP_BAR_RESIZABLE },
        [2] = { DW_PCIE_EP_BAR_RESIZABLE },
        [3] = { DW_PCIE_EP_BAR_RESIZABLE },
        [4] = { DW_PCIE_EP_BAR_RESERVED, 0x2000 },
        [5] = { DW_PCIE_EP_BAR_RESIZABLE },
    },
    .msix = true,
    .its = true,
    .edma_in_atu = true,
    .edma_channels = 4,     /* dma0..dma3 */
};

static void dw_pcie_ep_rk_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    DwPcieEpClass *k = DW_PCIE_EP_CLASS(klass);

    dc->desc = "Synopsys DesignWare PCIe controller, endpoint mode, as "
               "Rockchip RK3588 has it (compatible rockchip,rk3588-pcie-ep)";
    dc->user_creatable = true;
    k->face = data;
    k->glue_realize = dw_pcie_ep_rk_glue_realize;
    k->glue_realize_late = dw_pcie_ep_rk_glue_realize_late;
    k->glue_reset = dw_pcie_ep_rk_glue_reset;
    k->glue_train = dw_pcie_ep_rk_train;
    k->link_changed = dw_pcie_ep_rk_link_changed;
    k->add_fdt_node = dw_pcie_ep_rk_add_fdt_node;
}

static const TypeInfo dw_pcie_ep_rk_info = {
    .name = TYPE_DW_PCIE_EP_RK3588,
    .parent = TYPE_DW_PCIE_EP,
    .instance_size = sizeof(DwPcieEpRkState),
    .instance_init = dw_pcie_ep_rk_instance_init,
    .class_init = dw_pcie_ep_rk_class_init,
    .class_data = (void *)&dw_pcie_ep_rk_face,
};

static void dw_pcie_ep_rk_register_types(void)
{
    type_register_static(&dw_pcie_ep_rk_info);
}

type_init(dw_pcie_ep_rk_register_types)

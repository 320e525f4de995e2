/*
 * qtest for dw-pcie-ep: register behaviour as the Linux 7.2 DWC endpoint
 * core and dw-edma driver use it, on the arm virt machine.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "dw-pcie-ep-qtest.h"
#include "hw/misc/dw_edma_emu_regs.h"
#include "hw/pci-ep/dw-pcie-ep-regs.h"

#define MSI_FLAGS   (DW_PCIE_EP_CAP_MSI + PCI_MSI_FLAGS)
#define MSIX_FLAGS  (DW_PCIE_EP_CAP_MSIX + PCI_MSIX_FLAGS)
#define MSIX_TABLE  (DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE)
#include "hw/pci-ep/dw-pcie-iatu.h"

typedef struct {
    QTestState *qts;
    uint64_t dbi, dbi2, atu, dma, app, addr_space;
    uint64_t phy, rst;          /* the rcar-s4 face's */
} Ep;

static void ep_start(Ep *ep, const char *extra)
{
    ep->qts = qtest_initf("-machine virt,gic-version=3 -nodefaults "
                          "-device dw-pcie-ep,id=ep%s", extra ? extra : "");
    ep->dbi = region_base(ep->qts, "dw-pcie-ep.dbi");
    ep->dbi2 = region_base(ep->qts, "dw-pcie-ep.dbi2");
    ep->atu = region_base(ep->qts, "dw-pcie-ep.atu");
    ep->dma = region_base(ep->qts, "dw-edma");
    ep->app = region_base(ep->qts, "dw-pcie-ep.app");
    ep->addr_space = region_base(ep->qts, "dw-pcie-ep.addr_space");
    qtest_irq_intercept_out_named(ep->qts, "/machine/peripheral/ep",
                                  "sysbus-irq");
}

static void ro_wr(Ep *ep, bool on)
{
    uint32_t v = qtest_readl(ep->qts, ep->dbi + A_MISC_CONTROL_1);

    qtest_writel(ep->qts, ep->dbi + A_MISC_CONTROL_1, on ? v | 1 : v & ~1u);
}

static void test_header_ro(void)
{
    Ep ep;

    ep_start(&ep, NULL);
    g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + PCI_HEADER_TYPE) & 0x7f,
                    ==, 0);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_VENDOR_ID), ==, 0x16c3);
    /* read-only without DBI_RO_WR_EN */
    qtest_writew(ep.qts, ep.dbi + PCI_VENDOR_ID, 0x1234);
    qtest_writel(ep.qts, ep.dbi + PCI_CLASS_REVISION, 0x05800001);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_VENDOR_ID), ==, 0x16c3);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_CLASS_REVISION), ==, 0);
    /* writable with it, as dw_pcie_ep_write_header() does */
    ro_wr(&ep, true);
    qtest_writew(ep.qts, ep.dbi + PCI_VENDOR_ID, 0x1234);
    qtest_writeb(ep.qts, ep.dbi + PCI_CLASS_REVISION, 0x01);
    qtest_writew(ep.qts, ep.dbi + PCI_CLASS_DEVICE, 0x0580);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_VENDOR_ID), ==, 0x1234);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_CLASS_REVISION),
                    ==, 0x05800001);
    /* header type stays 0 even with RO_WR_EN */
    ro_wr(&ep, true);
    qtest_writeb(ep.qts, ep.dbi + PCI_HEADER_TYPE, 0x80);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + PCI_HEADER_TYPE), ==, 0);
    /* command register is writable; status error bits are W1C */
    qtest_writew(ep.qts, ep.dbi + PCI_COMMAND, 0x0006);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_COMMAND), ==, 0x0006);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_STATUS) & 0x10, ==, 0x10);
    qtest_quit(ep.qts);
}

static void test_capabilities(void)
{
    static const uint8_t want[] = { 0x01, 0x05, 0x10, 0x11 };
    Ep ep;
    uint8_t pos;
    uint32_t hdr;
    int n = 0;

    ep_start(&ep, NULL);
    /* the walk of the kernel's PCI_FIND_NEXT_CAP: byte ptr, word per cap */
    pos = qtest_readb(ep.qts, ep.dbi + PCI_CAPABILITY_LIST);
    while (pos >= 0x40) {
        uint16_t ent = qtest_readw(ep.qts, ep.dbi + pos);

        g_assert_cmpint(n, <, (int)sizeof(want));
        g_assert_cmphex(ent & 0xff, ==, want[n++]);
        pos = ent >> 8;
    }
    g_assert_cmpint(n, ==, sizeof(want));
    /* MSI: 64-bit, 32 vectors capable; set_msi() writes MMC under RO_WR_EN */
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + MSI_FLAGS) & 0x8e, ==, 0x8a);
    ro_wr(&ep, true);
    qtest_writew(ep.qts, ep.dbi + MSI_FLAGS, 0x0084);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + MSI_FLAGS) & 0x8e, ==, 0x84);
    /* MSI-X table size and BIR/offset are DBI-writable with RO_WR_EN only */
    qtest_writel(ep.qts, ep.dbi + MSIX_TABLE, 0x2003);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + MSIX_TABLE), ==, 0);
    ro_wr(&ep, true);
    qtest_writew(ep.qts, ep.dbi + MSIX_FLAGS, 31);
    qtest_writel(ep.qts, ep.dbi + MSIX_TABLE, 0x2003);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + MSIX_FLAGS), ==, 31);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + MSIX_TABLE), ==, 0x2003);
    /* extended capabilities: Resizable BAR, last in the chain */
    hdr = qtest_readl(ep.qts, ep.dbi + DW_PCIE_EP_EXT_CAP_REBAR);
    g_assert_cmphex(hdr & 0xffff, ==, 0x0015);
    g_assert_cmphex(hdr >> 20, ==, 0);
    /* port logic the core reads */
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_VERSION_NUMBER),
                    ==, 0x3532302a);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_ATU_VIEWPORT),
                    ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_EDMA_VIEWPORT_CTRL),
                    ==, 0xffffffff);
    qtest_writel(ep.qts, ep.dbi + A_ATU_VIEWPORT, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_ATU_VIEWPORT),
                    ==, 0xffffffff);
    qtest_quit(ep.qts);
}

static void test_rebar(void)
{
    Ep ep;
    int i;

    ep_start(&ep, NULL);
    for (i = 0; i < 2; i++) {
        uint64_t cap = ep.dbi + DW_PCIE_EP_REBAR_CAP(0) + 8 * i, ctrl = cap + 4;

        g_assert_cmphex(qtest_readl(ep.qts, ctrl) & 7, ==, i * 2);  /* BAR */
        g_assert_cmphex((qtest_readl(ep.qts, ctrl) >> 5) & 7, ==, 2);
        /* without RO_WR_EN the CAP is read-only */
        qtest_writel(ep.qts, cap, 1 << 6);
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 0x3ff0);
        /* dw_pcie_ep_set_bar_resizable(): CAP = 4 MiB -> CTRL size 2 */
        ro_wr(&ep, true);
        qtest_writel(ep.qts, cap, 1 << 6);
        ro_wr(&ep, false);
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 1 << 6);
        g_assert_cmphex((qtest_readl(ep.qts, ctrl) >> 8) & 0x3f, ==, 2);
    }
    qtest_quit(ep.qts);
}

static void test_dbi2_bar_mask(void)
{
    Ep ep;

    ep_start(&ep, NULL);
    /* dw_pcie_ep_set_bar_programmable(): mask, then flags via the DBI */
    ro_wr(&ep, true);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_1, 0x7f);
    qtest_writel(ep.qts, ep.dbi + PCI_BASE_ADDRESS_1, 0x0);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_2, 0xfffff);
    qtest_writel(ep.qts, ep.dbi + PCI_BASE_ADDRESS_2, 0xc);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_3, 0x1);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_1),
                    ==, 0x7f);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_2),
                    ==, 0xfffff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_BASE_ADDRESS_2), ==, 0xc);
    /* dw_pcie_ep_reset_bar(): disable */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_1, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_1), ==, 0);
    /* flags are read-only without RO_WR_EN */
    qtest_writel(ep.qts, ep.dbi + PCI_BASE_ADDRESS_2, 0x0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_BASE_ADDRESS_2), ==, 0xc);
    qtest_quit(ep.qts);
}

/* dw_pcie_iatu_detect() on an unrolled iATU */
static unsigned count_regions(Ep *ep, bool inbound, unsigned max)
{
    unsigned n;

    for (n = 0; n < max; n++) {
        uint64_t a = ep->atu + ((uint64_t)n << R_IATU_ADDR_INDEX_SHIFT) +
                     (inbound ? DW_IATU_REGION_BLOCK : 0) +
                     A_IATU_LOWER_TARGET;

        qtest_writel(ep->qts, a, 0x11110000);
        if (qtest_readl(ep->qts, a) != 0x11110000) {
            break;
        }
    }
    return n;
}

static void test_iatu_detect(void)
{
    Ep ep;

    ep_start(&ep, ",num-ob-windows=8,num-ib-windows=4");
    /* atu region: 8 regions of 0x200 */
    g_assert_cmpuint(count_regions(&ep, false, 8), ==, 8);
    g_assert_cmpuint(count_regions(&ep, true, 8), ==, 4);
    qtest_writel(ep.qts, ep.atu + A_IATU_LOWER_LIMIT, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + A_IATU_LOWER_LIMIT), ==,
                    0xfff);
    qtest_writel(ep.qts, ep.atu + A_IATU_UPPER_LIMIT, 0xffffffff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + A_IATU_UPPER_LIMIT), ==,
                    0xf);
    qtest_quit(ep.qts);
}

/*
 * The iATU registers as data: the table DW_IATU_REGS() (dw-pcie-iatu.h)
 * drives the checks, on dw-pcie-ep's limit width (its
 * DW_PCIE_EP_IATU_LIMIT_BITS: a largest region of 64 GiB, which
 * /dw-pcie-ep/iatu-detect reads back).
 */
#define IATU_REGS_LIMIT_BITS    36
#define IATU_REGS_OB            8
#define IATU_REGS_IB            4

typedef struct {
    const char *name;
    uint32_t addr, reset, ro, rsvd;
} IatuRegCheck;

#define IATU_REG_CHECK(n, rst, ro_, rsvd_) \
    { #n, A_##n, (rst), (ro_), (rsvd_) },

static const IatuRegCheck iatu_regs[] = {
    DW_IATU_REGS(IATU_REG_CHECK, IATU_REGS_LIMIT_BITS)
};

/* The atu address of region @index's outbound or inbound block. */
static uint64_t iatu_regs_block(Ep *ep, unsigned index, bool inbound)
{
    return ep->atu + ((uint64_t)index << R_IATU_ADDR_INDEX_SHIFT) +
           (inbound ? DW_IATU_REGION_BLOCK : 0);
}

/*
 * Each register of the first and last outbound and inbound regions, from
 * the table: its reset value; read-only bits that a write of their
 * complement leaves alone; reserved bits that a write of ones leaves at
 * 0 (and the other bits as written); then all ones, which stores every
 * bit that is neither.  The registers keep those all-ones values until
 * system_reset, after which each is back at its reset value.
 */
static void test_iatu_regs(void)
{
    static const struct {
        unsigned index;
        bool inbound;
    } blocks[] = {
        { 0, false }, { IATU_REGS_OB - 1, false },
        { 0, true }, { IATU_REGS_IB - 1, true },
    };
    Ep ep;
    unsigned round, b, i;

    ep_start(&ep, ",num-ob-windows=8,num-ib-windows=4");
    for (round = 0; round < 2; round++) {
        for (b = 0; b < ARRAY_SIZE(blocks); b++) {
            uint64_t blk = iatu_regs_block(&ep, blocks[b].index,
                                           blocks[b].inbound);

            g_test_message("round %u: %s region %u", round,
                           blocks[b].inbound ? "inbound" : "outbound",
                           blocks[b].index);
            for (i = 0; i < ARRAY_SIZE(iatu_regs); i++) {
                const IatuRegCheck *r = &iatu_regs[i];
                uint64_t a = blk + r->addr;
                uint32_t fixed = r->reset & r->ro;
                uint32_t v = qtest_readl(ep.qts, a);

                g_test_message("%s: 0x%08x", r->name, v);
                g_assert_cmphex(v, ==, r->reset);
                qtest_writel(ep.qts, a, v ^ r->ro);
                g_assert_cmphex(qtest_readl(ep.qts, a), ==, v);
                qtest_writel(ep.qts, a, v | r->rsvd);
                g_assert_cmphex(qtest_readl(ep.qts, a), ==, v);
                qtest_writel(ep.qts, a, 0xffffffff);
                g_assert_cmphex(qtest_readl(ep.qts, a), ==,
                                fixed | ~(r->ro | r->rsvd));
            }
        }
        /* past the last inbound region: no registers, all read 0 */
        for (i = 0; i < ARRAY_SIZE(iatu_regs); i++) {
            uint64_t a = iatu_regs_block(&ep, IATU_REGS_IB, true) +
                         iatu_regs[i].addr;

            qtest_writel(ep.qts, a, 0xffffffff);
            g_assert_cmphex(qtest_readl(ep.qts, a), ==, 0);
        }
        qtest_system_reset(ep.qts);
    }
    qtest_quit(ep.qts);
}

/*
 * What Linux 7.2 writes to CTRL1/CTRL2 reads back as written: an
 * outbound message region (dw_pcie_prog_outbound_atu() with
 * PCIE_ATU_TYPE_MSG, TD and a region above 4 GiB) and a BAR-match
 * inbound region (dw_pcie_prog_ep_inbound_atu()); a reserved bit alone
 * is dropped.
 */
static void test_iatu_ctrl_fields(void)
{
    Ep ep;
    uint64_t ob, ib;
    uint32_t ctrl1, ctrl2;

    ep_start(&ep, NULL);
    ob = iatu_regs_block(&ep, 1, false);
    ib = iatu_regs_block(&ep, 1, true);
    ctrl1 = FIELD_DP32(0, IATU_CTRL1, TYPE, 0x10 | 0x4);   /* Msg, local */
    ctrl1 = FIELD_DP32(ctrl1, IATU_CTRL1, TD, 1);
    ctrl1 = FIELD_DP32(ctrl1, IATU_CTRL1, INCREASE_REGION_SIZE, 1);
    ctrl1 = FIELD_DP32(ctrl1, IATU_CTRL1, FUNC_NUM, 2);
    g_assert_cmphex(ctrl1, ==, 0x00202114);
    ctrl2 = FIELD_DP32(R_IATU_CTRL2_REGION_EN_MASK |
                       R_IATU_CTRL2_INHIBIT_PAYLOAD_MASK, IATU_CTRL2,
                       MSG_CODE, 0x20);                     /* Assert_INTA */
    g_assert_cmphex(ctrl2, ==, 0x80400020);
    qtest_writel(ep.qts, ob + A_IATU_CTRL1, ctrl1);
    qtest_writel(ep.qts, ob + A_IATU_CTRL2, ctrl2);
    g_assert_cmphex(qtest_readl(ep.qts, ob + A_IATU_CTRL1), ==, ctrl1);
    g_assert_cmphex(qtest_readl(ep.qts, ob + A_IATU_CTRL2), ==, ctrl2);

    ctrl1 = FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM);
    ctrl2 = R_IATU_CTRL2_REGION_EN_MASK | R_IATU_CTRL2_BAR_MODE_EN_MASK |
            R_IATU_CTRL2_FUNC_NUM_MATCH_EN_MASK;
    ctrl2 = FIELD_DP32(ctrl2, IATU_CTRL2, BAR_NUM, 5);
    g_assert_cmphex(ctrl2, ==, 0xc0080500);
    qtest_writel(ep.qts, ib + A_IATU_LOWER_TARGET, 0x40100000);
    qtest_writel(ep.qts, ib + A_IATU_CTRL1, ctrl1);
    qtest_writel(ep.qts, ib + A_IATU_CTRL2, ctrl2);
    g_assert_cmphex(qtest_readl(ep.qts, ib + A_IATU_CTRL2), ==, ctrl2);
    qtest_writel(ep.qts, ib + A_IATU_CTRL2, 0);             /* disable */
    g_assert_cmphex(qtest_readl(ep.qts, ib + A_IATU_CTRL2), ==, 0);

    /* traffic class (CTRL1[7:5]), not modelled: reserved, reads 0 */
    qtest_writel(ep.qts, ob + A_IATU_CTRL1, 0x7u << 5);
    g_assert_cmphex(qtest_readl(ep.qts, ob + A_IATU_CTRL1), ==, 0);
    qtest_quit(ep.qts);
}

static void test_outbound(void)
{
    Ep ep;
    uint64_t r;

    ep_start(&ep, NULL);
    r = ep.atu;        /* outbound region 0 */
    iatu_window(ep.qts, r, ep.addr_space, 0x10000, 0x40000000);
    g_assert_cmphex(qtest_readl(ep.qts, r + A_IATU_CTRL2), ==,
                    R_IATU_CTRL2_REGION_EN_MASK);
    /*
     * Without a peer on the link nothing answers, translated or not, so
     * this checks only that both paths complete with all ones and do not
     * crash; where a translated access goes is checked with a peer by
     * dw-edma-test's /dw-pcie-ep/outbound-over-link, and end to end by the
     * avocado selftest (MSI and memcpy go through outbound regions).
     */
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0xfffc), ==,
                    0xffffffff);
    /* outside every region: a guest error, all ones, no crash */
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x10000), ==,
                    0xffffffff);
    qtest_writel(ep.qts, ep.addr_space + 0x10000, 0);
    qtest_quit(ep.qts);
}

static void test_app_link_irq(void)
{
    Ep ep;

    ep_start(&ep, NULL);
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_ID), ==, 0x50455744);
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_STATUS), ==, 0);
    qtest_writel(ep.qts, ep.app + A_APP_IRQ_ENABLE, 0x3);   /* enable both */
    g_assert_false(qtest_get_irq(ep.qts, 1));
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 1);           /* LTSSM_EN */
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_STATUS), ==, 1);
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_IRQ_STATUS), ==, 1);
    g_assert_true(qtest_get_irq(ep.qts, 1));
    /* the DWC debug registers follow the link */
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_PORT_DEBUG1) & 0x10,
                    ==, 0x10);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_PORT_DEBUG0) & 0x3f,
                    ==, 0x11);
    qtest_writel(ep.qts, ep.app + A_APP_IRQ_STATUS, 1);     /* W1C */
    g_assert_false(qtest_get_irq(ep.qts, 1));
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 0);           /* link down */
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_IRQ_STATUS), ==, 2);
    g_assert_true(qtest_get_irq(ep.qts, 1));
    qtest_writel(ep.qts, ep.app + A_APP_IRQ_ENABLE, 0x1);   /* mask it */
    g_assert_false(qtest_get_irq(ep.qts, 1));
    qtest_quit(ep.qts);
}

/* The app registers' table (dw-pcie-ep-regs.h), as the checks read it. */
typedef struct {
    const char *name;
    uint32_t addr, reset, ro, w1c, rsvd;
} RegCheck;

#define APP_REG_CHECK(n, rst, ro_, w1c_, rsvd_, hook) \
    { #n, A_##n, (rst), (ro_), (w1c_), (uint32_t)(rsvd_) },

static const RegCheck app_regs[] = {
    DW_PCIE_EP_APP_REGS(APP_REG_CHECK)
};

/*
 * Each app register from the table: its reset value, then (on the value
 * it holds) read-only bits that a write of their complement leaves alone,
 * and reserved bits that a write of ones leaves at 0.  The writes keep
 * every other bit as it was, so that no link or interrupt event follows;
 * after a device reset (system_reset) each register is back at its reset
 * value.
 */
static void test_app_regs(void)
{
    Ep ep;
    unsigned i, round;

    ep_start(&ep, NULL);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < ARRAY_SIZE(app_regs); i++) {
            const RegCheck *r = &app_regs[i];
            uint64_t a = ep.app + r->addr;
            uint32_t v = qtest_readl(ep.qts, a);

            g_test_message("%s: 0x%08x", r->name, v);
            g_assert_cmphex(v, ==, r->reset);
            if (r->ro) {
                qtest_writel(ep.qts, a, v ^ r->ro);
                g_assert_cmphex(qtest_readl(ep.qts, a), ==, v);
            }
            if (r->rsvd) {
                qtest_writel(ep.qts, a, (v | r->rsvd) & ~r->w1c);
                g_assert_cmphex(qtest_readl(ep.qts, a) & r->rsvd, ==, 0);
            }
        }
        /* change every register, then reset the machine */
        qtest_writel(ep.qts, ep.app + A_APP_IRQ_ENABLE, 0x3);
        qtest_writel(ep.qts, ep.app + A_APP_INTX, 1);
        qtest_writel(ep.qts, ep.app + A_APP_CTRL, 1);
        g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_STATUS), ==, 1);
        g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_IRQ_STATUS), ==, 1);
        qtest_system_reset(ep.qts);
    }
    g_assert_false(qtest_get_irq(ep.qts, 1));
    qtest_quit(ep.qts);
}

/* The config space table (dw-pcie-ep-regs.h), as the DBI sees it. */
typedef struct CfgCheck {
    unsigned off, len;
    uint32_t reset, wmask_link, wmask_dbi, romask_dbi, w1c;
} CfgCheck;

#define CFG_CHECK(o, l, r, link, dbi, ro, w) { o, l, r, link, dbi, ro, w },

static const CfgCheck cfg_regs[] = {
    DW_PCIE_EP_CFG_REGS(CFG_CHECK)
};

static uint32_t dbi_read(Ep *ep, unsigned off, unsigned len)
{
    switch (len) {
    case 1:
        return qtest_readb(ep->qts, ep->dbi + off);
    case 2:
        return qtest_readw(ep->qts, ep->dbi + off);
    default:
        return qtest_readl(ep->qts, ep->dbi + off);
    }
}

static void dbi_write(Ep *ep, unsigned off, unsigned len, uint32_t v)
{
    switch (len) {
    case 1:
        qtest_writeb(ep->qts, ep->dbi + off, v);
        break;
    case 2:
        qtest_writew(ep->qts, ep->dbi + off, v);
        break;
    default:
        qtest_writel(ep->qts, ep->dbi + off, v);
    }
}

/*
 * The entry of the last table row that covers config byte @a, or NULL:
 * later rows override earlier ones, as in the device.
 */
static const CfgCheck *cfg_entry(unsigned a)
{
    const CfgCheck *found = NULL;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(cfg_regs); i++) {
        if (a >= cfg_regs[i].off && a < cfg_regs[i].off + cfg_regs[i].len) {
            found = &cfg_regs[i];
        }
    }
    return found;
}

/*
 * One write of all ones (but for @keep, the bits a write validates,
 * written as they are) to table entry @r through the DBI, with
 * DBI_RO_WR_EN @ro: only the table's write masks change, its
 * write-1-to-clear bits clear.  Then the old value back.
 */
static void cfg_check_write(Ep *ep, const CfgCheck *r, bool ro,
                            uint32_t keep)
{
    uint32_t ones = r->len == 4 ? 0xffffffffu : (1u << (8 * r->len)) - 1;
    uint32_t old = dbi_read(ep, r->off, r->len);
    uint32_t wm = r->wmask_dbi | (ro ? r->romask_dbi : 0);
    uint32_t pat = (ones & ~keep) | (old & keep);
    uint32_t want = ((old & ~wm) | (pat & wm)) & ~(pat & r->w1c);

    ro_wr(ep, ro);
    dbi_write(ep, r->off, r->len, pat);
    g_assert_cmphex(dbi_read(ep, r->off, r->len), ==, want);
    dbi_write(ep, r->off, r->len, old & ~r->w1c);
    ro_wr(ep, false);
    g_assert_cmphex(dbi_read(ep, r->off, r->len), ==, old);
}

/*
 * The config space from its table: reset values, the DBI's write masks
 * with and without DBI_RO_WR_EN, write-1-to-clear bits, and bytes no
 * entry names (below the port logic) reading 0 whatever is written; then
 * everything changed and the machine reset, and the reset values again.
 */
static void test_cfg_regs(void)
{
    Ep ep;
    unsigned i, a, round;

    ep_start(&ep, NULL);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < ARRAY_SIZE(cfg_regs); i++) {
            g_assert_cmphex(dbi_read(&ep, cfg_regs[i].off, cfg_regs[i].len),
                            ==, cfg_regs[i].reset);
        }
        for (i = 0; i < ARRAY_SIZE(cfg_regs); i++) {
            const CfgCheck *r = &cfg_regs[i];
            /* a Resizable BAR selection is checked by /dw-pcie-ep/rebar */
            bool ctrl = r->off == DW_PCIE_EP_REBAR_CTRL(0) ||
                        r->off == DW_PCIE_EP_REBAR_CTRL(1);
            uint32_t keep = ctrl ? R_REBAR_CTRL_BAR_SIZE_MASK : 0;

            g_test_message("config 0x%03x/%u", r->off, r->len);
            cfg_check_write(&ep, r, false, keep);
            cfg_check_write(&ep, r, true, keep);
        }
        ro_wr(&ep, true);
        for (a = 0; a < DW_PCIE_EP_PORT_LOGIC; a++) {
            if (a != A_MISC_CONTROL_1 && !cfg_entry(a)) {
                qtest_writeb(ep.qts, ep.dbi + a, 0xff);
                g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + a), ==, 0);
            }
        }
        /* change every writable register, then reset the machine */
        for (i = 0; i < ARRAY_SIZE(cfg_regs); i++) {
            dbi_write(&ep, cfg_regs[i].off, cfg_regs[i].len,
                      ~cfg_regs[i].w1c);
        }
        g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_VENDOR_ID), ==,
                        (uint16_t)~0);
        qtest_system_reset(ep.qts);
    }
    qtest_quit(ep.qts);
}

static void test_edma_ctrl_and_emulation(void)
{
    Ep ep;

    ep_start(&ep, ",wr-channels=2,rd-channels=3");
    g_assert_cmphex(qtest_readl(ep.qts, ep.dma + A_EDMA_CTRL), ==,
                    0x00030002);
    g_assert_false(qtest_get_irq(ep.qts, 0));
    /* the embedded doorbell: write 0 to rd_int_status */
    qtest_writel(ep.qts, ep.dma + A_EDMA_RD_INT_STATUS, 0);
    g_assert_true(qtest_get_irq(ep.qts, 0));
    g_assert_cmphex(qtest_readl(ep.qts, ep.dma + A_EDMA_RD_INT_STATUS),
                    ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dma + A_EDMA_WR_INT_STATUS),
                    ==, 0);
    /* any write to int_clear deasserts it, even 0 */
    qtest_writel(ep.qts, ep.dma + A_EDMA_RD_INT_CLEAR, 0);
    g_assert_false(qtest_get_irq(ep.qts, 0));
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_INT_STATUS, 0);
    g_assert_true(qtest_get_irq(ep.qts, 0));
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_INT_CLEAR, 0);
    g_assert_false(qtest_get_irq(ep.qts, 0));
    qtest_quit(ep.qts);
}

/*
 * Migration is blocked, with the reason (a migration blocker, not a
 * VMState that claims to be unmigratable): the controller's first, and
 * the eDMA's among the reasons query-migrate gives.
 */
static void test_migration_blocked(void)
{
    Ep ep;
    QDict *rsp;
    QList *reasons;
    const QListEntry *e;
    const char *desc;
    bool found_ep = false, found_edma = false;

    ep_start(&ep, NULL);
    rsp = qtest_qmp(ep.qts, "{'execute': 'migrate', 'arguments': "
                    "{'uri': 'exec:cat >/dev/null'}}");
    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    g_assert_nonnull(strstr(desc, "dw-pcie-ep: the controller's state is "
                                  "not migrated"));
    qobject_unref(rsp);

    /* the eDMA has no VMState either: it says so, beside the controller */
    rsp = qtest_qmp(ep.qts, "{'execute': 'query-migrate'}");
    g_assert_true(qdict_haskey(rsp, "return"));
    reasons = qdict_get_qlist(qdict_get_qdict(rsp, "return"),
                              "blocked-reasons");
    g_assert_nonnull(reasons);
    for (e = qlist_first(reasons); e; e = qlist_next(e)) {
        const char *r = qstring_get_str(qobject_to(QString, e->value));

        found_ep |= !!strstr(r, "dw-pcie-ep: the controller's state is not "
                             "migrated");
        found_edma |= !!strstr(r, "dw-edma-emu: the engine's state is not "
                               "migrated");
    }
    g_assert_true(found_ep);
    g_assert_true(found_edma);
    qobject_unref(rsp);
    qtest_quit(ep.qts);
}

/*
 * QEMU on virt with @gic (2 or 3) and the devices of @devices (-device
 * arguments, NULL-terminated; an entry "-chardev <opts>" is a chardev
 * instead) must fail to start, saying @want on stderr.  It runs under
 * timeout(1): a QEMU that wrongly starts (which, with the qtest
 * accelerator and no qtest socket, would run for ever) is ended after
 * ASSERT_START_FAILS_S seconds and the test fails.
 */
#define ASSERT_START_FAILS_S "30"
static void assert_start_fails(const char *gic, const char *const *devices,
                               const char *want)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *machine = g_strdup_printf("virt,gic-version=%s", gic);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *err = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;

    g_assert_nonnull(qemu);
    g_ptr_array_add(argv, (char *)"timeout");
    g_ptr_array_add(argv, (char *)"-k");
    g_ptr_array_add(argv, (char *)"5");
    g_ptr_array_add(argv, (char *)ASSERT_START_FAILS_S);
    g_ptr_array_add(argv, (char *)qemu);
    g_ptr_array_add(argv, (char *)"-machine");
    g_ptr_array_add(argv, machine);
    g_ptr_array_add(argv, (char *)"-accel");
    g_ptr_array_add(argv, (char *)"qtest");
    g_ptr_array_add(argv, (char *)"-nodefaults");
    g_ptr_array_add(argv, (char *)"-display");
    g_ptr_array_add(argv, (char *)"none");
    for (; *devices; devices++) {
        if (g_str_has_prefix(*devices, "-chardev ")) {
            g_ptr_array_add(argv, (char *)"-chardev");
            g_ptr_array_add(argv, (char *)*devices + strlen("-chardev "));
            continue;
        }
        g_ptr_array_add(argv, (char *)"-device");
        g_ptr_array_add(argv, (char *)*devices);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &gerr));
    g_test_message("%s", err);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
        g_test_message("QEMU started: still running after "
                       ASSERT_START_FAILS_S " s");
    }
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    g_assert_nonnull(strstr(err, want));
}

/*
 * A link chardev the I/O thread cannot serve fails realize with the fix,
 * after the eDMA was realized (realize undoes it: run under ASan too).
 */
static void test_link_chardev_checked(void)
{
    static const char *const devs[] = {
        "-chardev null,id=c0", "dw-pcie-ep,chardev=c0", NULL
    };

    assert_start_fails("3", devs, "chardev 'c0' cannot be served from an "
                       "I/O thread");
}

/*
 * msi-doorbell=on without a GICv3 ITS is refused in realize, with a
 * message that says the fix (it used to surface only when the device
 * tree was written).
 */
static void test_msi_doorbell_needs_its(void)
{
    static const char *const devs[] = { "dw-pcie-ep,msi-doorbell=on", NULL };

    assert_start_fails("2", devs, "msi-doorbell=on needs a GICv3 ITS");
    assert_start_fails("2", devs, "gic-version=3");
}

/*
 * pci-ep-link's root port is a link to a hot-plug capable PCIe slot: none,
 * one that is not a slot, and one without hot-plug fail with the fix.
 */
static void test_link_port_checks(void)
{
    static const char *const none[] = { "pci-ep-link", NULL };
    static const char *const missing[] = { "pci-ep-link,port=rp9", NULL };
    static const char *const not_slot[] = {
        "pcie-pci-bridge,id=br0", "pci-ep-link,port=br0", NULL
    };
    static const char *const no_hotplug[] = {
        "pcie-root-port,id=rp0,chassis=1,hotplug=off",
        "pci-ep-link,port=rp0", NULL
    };

    assert_start_fails("3", none, "pci-ep-link needs port=<id of a "
                       "pcie-root-port>");
    assert_start_fails("3", missing, "rp9");
    assert_start_fails("3", not_slot, "pcie-slot");
    assert_start_fails("3", no_hotplug, "is not hot-plug capable");
}

/* ---- the rcar-s4 face: dw-pcie-ep-rcar-s4 (dw-pcie-ep-rcar.c) ---- */

/*
 * The app registers as Linux 7.2's pcie-rcar-gen4.c names them (written
 * out here, not taken from dw-pcie-ep-regs.h, so that a wrong offset or
 * bit there fails the tests).
 */
#define S4_PCIEMSR0             0x000
#define S4_PCIERSTCTRL1         0x014
#define S4_LTSSM_ENABLE         (1u << 0)       /* APP_LTSSM_ENABLE */
#define S4_HOLD_PHY_RST         (1u << 16)      /* APP_HOLD_PHY_RST */
#define S4_PCIEPWRMNGCTRL       0x070
#define S4_PCIEINTSTS0          0x084
#define S4_LINK_UP              (3u << 6)       /* RDLH_, SMLH_LINK_UP */
#define S4_PCIEINTSTS0EN        0x310
#define S4_PCIEDMAINTSTSEN      0x314
/* the stand-in reset block: bit 0 of register 0 is "pwr", 1 = asserted */
#define S4_RST                  0x000
#define S4_RST_PWR              1u
/* PORT_DEBUG1's LINK_UP (Linux's PCIE_PORT_DEBUG1_LINK_UP) */
#define S4_DEBUG1_LINK_UP       (1u << 4)
/* GEN2_CTRL (PCIE_LINK_WIDTH_SPEED_CONTROL) and its reset value */
#define S4_GEN2_CTRL            0x80c
#define S4_GEN2_RESET           0x0001010fu
#define S4_SPEED_CHANGE         (1u << 17)      /* PORT_LOGIC_SPEED_CHANGE */

/* The face's interrupts, in its node's order: dma, sft_ce, app */
#define S4_IRQ_DMA              0
#define S4_IRQ_SFT_CE           1
#define S4_IRQ_APP              2

/*
 * QEMU with a dw-pcie-ep-rcar-s4 (id "ep"), its regions found by name and
 * its interrupts intercepted.  With @log, QEMU logs guest errors and
 * unimplemented accesses there.
 */
static void rcar_start(Ep *ep, const char *log)
{
    g_autofree char *d = log ? g_strdup_printf(" -d guest_errors,unimp "
                                               "-D %s", log) : g_strdup("");

    ep->qts = qtest_initf("-machine virt,gic-version=3 -nodefaults "
                          "-device dw-pcie-ep-rcar-s4,id=ep%s", d);
    ep->dbi = region_base(ep->qts, "dw-pcie-ep.dbi");
    ep->dbi2 = region_base(ep->qts, "dw-pcie-ep.dbi2");
    ep->atu = region_base(ep->qts, "dw-pcie-ep.atu");
    ep->dma = region_base(ep->qts, "dw-edma");
    ep->app = region_base(ep->qts, "dw-pcie-ep-rcar-s4.app");
    ep->phy = region_base(ep->qts, "dw-pcie-ep-rcar-s4.phy");
    ep->rst = region_base(ep->qts, "dw-pcie-ep-rcar-s4.rst");
    ep->addr_space = region_base(ep->qts, "dw-pcie-ep.addr_space");
    qtest_irq_intercept_out_named(ep->qts, "/machine/peripheral/ep",
                                  "sysbus-irq");
}

static uint32_t s4_app(Ep *ep, unsigned off)
{
    return qtest_readl(ep->qts, ep->app + off);
}

/* The three things the link needs, as the driver and the reset set them */
static void s4_set(Ep *ep, bool ltssm, bool hold_phy, bool pwr)
{
    qtest_writel(ep->qts, ep->app + S4_PCIERSTCTRL1,
                 (ltssm ? S4_LTSSM_ENABLE : 0) |
                 (hold_phy ? S4_HOLD_PHY_RST : 0));
    qtest_writel(ep->qts, ep->rst + S4_RST, pwr ? S4_RST_PWR : 0);
}

/*
 * The link as the driver sees it (rcar_gen4_pcie_link_up: both link bits
 * of PCIEINTSTS0) and as the DWC core does (PORT_DEBUG1), and the "app"
 * interrupt, which PCIEINTSTS0EN (@en) lets the link bits reach.
 */
static void s4_assert_link(Ep *ep, bool up, uint32_t en)
{
    g_assert_cmphex(s4_app(ep, S4_PCIEINTSTS0), ==, (up ? S4_LINK_UP : 0));
    g_assert_cmphex(qtest_readl(ep->qts, ep->dbi + A_PORT_DEBUG1) &
                    S4_DEBUG1_LINK_UP, ==, (up ? S4_DEBUG1_LINK_UP : 0));
    g_assert_cmpint(qtest_get_irq(ep->qts, S4_IRQ_APP), ==,
                    up && (en & S4_LINK_UP));
}

/* Whether QEMU's log @log has @what in it yet (it flushes each message) */
static bool log_has(const char *log, const char *what)
{
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    return strstr(text, what) != NULL;
}

/*
 * The app block: reset values (PCIERSTCTRL1 holds the PHY in reset, the
 * rest 0; the pwr reset asserted), storage registers that keep what is
 * written, PCIEINTSTS0 read-only, PCIEDMAINTSTSEN's bits 31:16 reserved,
 * offsets without a register reading 0 and ignoring writes (logged as
 * guest errors), the phy region reading 0 (logged as unimplemented); and
 * the reset values again after a system reset.
 */
static void test_rcar_app_regs(void)
{
    static const struct {
        unsigned off;
        uint32_t reset;
    } regs[] = {
        { S4_PCIEMSR0, 0 }, { S4_PCIERSTCTRL1, S4_HOLD_PHY_RST },
        { S4_PCIEPWRMNGCTRL, 0 }, { S4_PCIEINTSTS0, 0 },
        { S4_PCIEINTSTS0EN, 0 }, { S4_PCIEDMAINTSTSEN, 0 },
    };
    g_autoptr(GError) err = NULL;
    g_autofree char *log = NULL;
    unsigned i, round;
    Ep ep;
    int fd;

    fd = g_file_open_tmp("dw-pcie-ep-rcar-XXXXXX.log", &log, &err);
    g_assert_no_error(err);
    close(fd);
    rcar_start(&ep, log);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < ARRAY_SIZE(regs); i++) {
            g_test_message("round %u: app 0x%03x", round, regs[i].off);
            g_assert_cmphex(s4_app(&ep, regs[i].off), ==, regs[i].reset);
        }
        g_assert_cmphex(qtest_readl(ep.qts, ep.rst + S4_RST), ==, S4_RST_PWR);
        /* storage, all 32 bits (PCIEINTSTS0EN: nothing to signal yet) */
        qtest_writel(ep.qts, ep.app + S4_PCIEMSR0, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIEMSR0), ==, 0xffffffff);
        qtest_writel(ep.qts, ep.app + S4_PCIEPWRMNGCTRL, 0x00000c00);
        g_assert_cmphex(s4_app(&ep, S4_PCIEPWRMNGCTRL), ==, 0x00000c00);
        qtest_writel(ep.qts, ep.app + S4_PCIEINTSTS0EN, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIEINTSTS0EN), ==, 0xffffffff);
        g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_APP));
        /* read-only: the link bits are the hardware's */
        qtest_writel(ep.qts, ep.app + S4_PCIEINTSTS0, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIEINTSTS0), ==, 0);
        /* bits 31:16 reserved, 15:0 what PCIEDMAINTSTSEN_INIT sets */
        qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIEDMAINTSTSEN), ==, 0x0000ffff);
        qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff0000);
        g_assert_cmphex(s4_app(&ep, S4_PCIEDMAINTSTSEN), ==, 0);
        /* no register there: reads 0, the write goes nowhere, logged */
        qtest_writel(ep.qts, ep.app + 0x004, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, 0x004), ==, 0);
        g_assert_true(log_has(log, "unimplemented register at address: "
                              "0x4\n"));
        g_assert_cmphex(s4_app(&ep, 0xffc), ==, 0);
        g_assert_true(log_has(log, "read to unimplemented register at "
                              "address: 0xffc\n"));
        /* phy: mapped, never used by the S4 driver */
        qtest_writel(ep.qts, ep.phy + 0x0f8, 0xffffffff);
        g_assert_cmphex(qtest_readl(ep.qts, ep.phy + 0x0f8), ==, 0);
        g_assert_true(log_has(log, "dw-pcie-ep-rcar-s4: phy write 0x0f8"));
        /* the neighbours kept their values */
        g_assert_cmphex(s4_app(&ep, S4_PCIEMSR0), ==, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIERSTCTRL1), ==, S4_HOLD_PHY_RST);
        qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff);
        qtest_writel(ep.qts, ep.app + S4_PCIERSTCTRL1, S4_LTSSM_ENABLE);
        qtest_writel(ep.qts, ep.rst + S4_RST, 0);
        g_assert_cmphex(s4_app(&ep, S4_PCIEINTSTS0), ==, S4_LINK_UP);
        qtest_system_reset(ep.qts);
    }
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_APP));
    qtest_quit(ep.qts);
    unlink(log);
}

/*
 * Link training without a chardev (no peer: the link comes up as soon as
 * it trains): up only with APP_LTSSM_ENABLE set, APP_HOLD_PHY_RST clear
 * and the pwr reset released; each of the eight combinations reached
 * from the link down (reset state) and from the link up, so that undoing
 * any one of the three takes the link down.  The "app" interrupt follows
 * the link bits that PCIEINTSTS0EN enables.
 */
static void test_rcar_link_training(void)
{
    uint32_t en = 0;
    unsigned c, from;
    Ep ep;

    rcar_start(&ep, NULL);
    s4_assert_link(&ep, false, en);
    for (c = 0; c < 8; c++) {
        bool ltssm = c & 1, hold = c & 2, pwr = c & 4;
        bool up = ltssm && !hold && !pwr;

        for (from = 0; from < 2; from++) {
            en = c & 1 ? S4_LINK_UP : 0;
            qtest_writel(ep.qts, ep.app + S4_PCIEINTSTS0EN, en);
            /* from the reset state, or from a trained link */
            s4_set(&ep, from, !from, !from);
            s4_assert_link(&ep, from, en);
            s4_set(&ep, ltssm, hold, pwr);
            g_test_message("ltssm %d hold_phy_rst %d pwr %d, from %s",
                           ltssm, hold, pwr, from ? "up" : "down");
            s4_assert_link(&ep, up, en);
            g_assert_cmphex(s4_app(&ep, S4_PCIERSTCTRL1), ==,
                            (ltssm ? S4_LTSSM_ENABLE : 0) |
                            (hold ? S4_HOLD_PHY_RST : 0));
            g_assert_cmphex(qtest_readl(ep.qts, ep.rst + S4_RST), ==, pwr);
        }
    }
    /* a write to the read-only status does not take it down */
    s4_set(&ep, true, false, false);
    qtest_writel(ep.qts, ep.app + S4_PCIEINTSTS0, 0);
    s4_assert_link(&ep, true, en);
    qtest_quit(ep.qts);
}

/*
 * The pwr reset resets the controller, not the app block: what the EP
 * wrote to the DBI (COMMAND, a port logic register), DBI2 (a BAR mask),
 * the iATU and the eDMA goes back to reset values when the reset is
 * asserted; PCIEMSR0 (programmed by the driver under reset) and the
 * rest of the app block keep theirs.  The eDMA's interrupt drops.
 */
static void test_rcar_pwr_reset(void)
{
    Ep ep;

    rcar_start(&ep, NULL);
    qtest_writel(ep.qts, ep.rst + S4_RST, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.rst + S4_RST), ==, 0);
    qtest_writew(ep.qts, ep.dbi + PCI_COMMAND, 0x0006);
    qtest_writel(ep.qts, ep.dbi + A_PORT_LINK_CONTROL, 0x00030120);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    qtest_writel(ep.qts, ep.atu + A_IATU_LOWER_TARGET, 0x11110000);
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_DONE_IMWR_LO, 0x12345678);
    qtest_writel(ep.qts, ep.app + S4_PCIEMSR0, 0x00000041);
    qtest_writel(ep.qts, ep.app + S4_PCIEPWRMNGCTRL, 0x00000c00);
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff);
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_INT_STATUS, 0);
    g_assert_true(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    /* released: the values hold */
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_COMMAND), ==, 0x0006);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_PORT_LINK_CONTROL), ==,
                    0x00030120);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0), ==, 1);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + A_IATU_LOWER_TARGET), ==,
                    0x11110000);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dma + A_EDMA_WR_DONE_IMWR_LO), ==,
                    0x12345678);
    /* asserted */
    qtest_writel(ep.qts, ep.rst + S4_RST, S4_RST_PWR);
    g_assert_cmphex(qtest_readl(ep.qts, ep.rst + S4_RST), ==, S4_RST_PWR);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_COMMAND), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + A_PORT_LINK_CONTROL), ==,
                    0x00010120);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + A_IATU_LOWER_TARGET), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dma + A_EDMA_WR_DONE_IMWR_LO), ==,
                    0);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    g_assert_cmphex(s4_app(&ep, S4_PCIEMSR0), ==, 0x00000041);
    g_assert_cmphex(s4_app(&ep, S4_PCIEPWRMNGCTRL), ==, 0x00000c00);
    g_assert_cmphex(s4_app(&ep, S4_PCIEDMAINTSTSEN), ==, 0xffff);
    /* the driver programs PCIEMSR0 under reset; it stays after release */
    qtest_writel(ep.qts, ep.app + S4_PCIEMSR0, 0x00000040);
    qtest_writel(ep.qts, ep.rst + S4_RST, 0);
    g_assert_cmphex(s4_app(&ep, S4_PCIEMSR0), ==, 0x00000040);
    qtest_quit(ep.qts);
}

/*
 * The BAR rules of rcar_gen4_pcie_epc_features in DBI2: BAR4 fixed at
 * 256 bytes (only its enable bit is written), BAR1, BAR3 and BAR5 not
 * implemented (non-zero writes ignored), BAR0 and BAR2 resizable with
 * the Resizable BAR entries (as /dw-pcie-ep/rebar) and their enable bit
 * in DBI2.  The qemu face's BAR4 and BAR5 stay programmable.
 */
static void test_rcar_bar_rules(void)
{
    static const unsigned off_bars[] = { 1, 3, 5 };
    static const uint32_t pats[] = { 0xffffffff, 0x1, 0xfff, 0xfe };
    Ep ep;
    unsigned i, j;

    rcar_start(&ep, NULL);
    /* BAR4: 256 bytes, off at reset */
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                    0xfe);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4, 0xffffffff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                    0xff);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                    0xfe);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4, 0x000fff01);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                    0xff);
    /* BAR1, BAR3, BAR5: not there, whatever the EP writes */
    for (i = 0; i < ARRAY_SIZE(off_bars); i++) {
        uint64_t a = ep.dbi2 + PCI_BASE_ADDRESS_0 + 4 * off_bars[i];

        for (j = 0; j < ARRAY_SIZE(pats); j++) {
            g_test_message("BAR%u <- 0x%08x", off_bars[i], pats[j]);
            qtest_writel(ep.qts, a, pats[j]);
            g_assert_cmphex(qtest_readl(ep.qts, a), ==, 0);
        }
        qtest_writel(ep.qts, a, 0);
        g_assert_cmphex(qtest_readl(ep.qts, a), ==, 0);
    }
    /* BAR0, BAR2: resizable, as in the qemu face */
    for (i = 0; i < 2; i++) {
        uint64_t cap = ep.dbi + DW_PCIE_EP_REBAR_CAP(0) + 8 * i, ctrl = cap + 4;
        uint64_t mask = ep.dbi2 + PCI_BASE_ADDRESS_0 + 8 * i;

        g_assert_cmphex(qtest_readl(ep.qts, ctrl) & 7, ==, i * 2);  /* BAR */
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 0x3ff0);
        qtest_writel(ep.qts, cap, 1 << 6);
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 0x3ff0);
        ro_wr(&ep, true);
        qtest_writel(ep.qts, cap, 1 << 6);
        ro_wr(&ep, false);
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 1 << 6);
        g_assert_cmphex((qtest_readl(ep.qts, ctrl) >> 8) & 0x3f, ==, 2);
        qtest_writel(ep.qts, mask, 1);
        g_assert_cmphex(qtest_readl(ep.qts, mask), ==, 1);
        qtest_writel(ep.qts, mask, 0);
        g_assert_cmphex(qtest_readl(ep.qts, mask), ==, 0);
    }
    qtest_quit(ep.qts);

    /* the rules are the face's: the qemu face's BAR4 and BAR5 take masks */
    ep_start(&ep, NULL);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4, 0xffff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                    0xffff);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_5, 0xfff);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_5), ==,
                    0xfff);
    qtest_quit(ep.qts);
}

/*
 * No MSI-X on R-Car S4: the capability chain is PM, MSI, PCI Express and
 * ends there; the bytes where the qemu face has MSI-X read 0 and take no
 * write, even with DBI_RO_WR_EN.  Resizable BAR is still the extended
 * capability.
 */
static void test_rcar_no_msix(void)
{
    static const uint8_t want[] = { PCI_CAP_ID_PM, PCI_CAP_ID_MSI,
                                    PCI_CAP_ID_EXP };
    uint8_t pos, last = 0;
    unsigned a;
    int n = 0;
    Ep ep;

    rcar_start(&ep, NULL);
    pos = qtest_readb(ep.qts, ep.dbi + PCI_CAPABILITY_LIST);
    while (pos) {
        uint16_t ent = qtest_readw(ep.qts, ep.dbi + pos);

        g_assert_cmphex(pos, >=, 0x40);
        g_assert_cmphex(ent & 0xff, !=, PCI_CAP_ID_MSIX);
        g_assert_cmpint(n, <, (int)sizeof(want));
        g_assert_cmphex(ent & 0xff, ==, want[n++]);
        last = pos;
        pos = ent >> 8;
    }
    g_assert_cmpint(n, ==, sizeof(want));
    g_assert_cmphex(last, ==, DW_PCIE_EP_CAP_EXP);
    g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + DW_PCIE_EP_CAP_EXP +
                                PCI_CAP_LIST_NEXT), ==, 0);
    ro_wr(&ep, true);
    for (a = DW_PCIE_EP_CAP_MSIX; a < DW_PCIE_EP_CAP_MSIX + 12; a++) {
        g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + a), ==, 0);
        qtest_writeb(ep.qts, ep.dbi + a, 0xff);
        g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + a), ==, 0);
    }
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + DW_PCIE_EP_EXT_CAP_REBAR) &
                    0xffff, ==, PCI_EXT_CAP_ID_REBAR);
    qtest_quit(ep.qts);
}

/*
 * GEN2_CTRL's directed speed change (rcar_gen4_pcie_speed_change writes
 * it and polls for it to clear): with the link down the bit stays as
 * written; when the link comes up with it pending it clears; with the
 * link up a write of 1 reads back 0 (a 32-bit or a byte write).  The
 * other bits keep what was written.
 */
static void test_rcar_speed_change(void)
{
    uint64_t gen2;
    Ep ep;

    rcar_start(&ep, NULL);
    gen2 = ep.dbi + S4_GEN2_CTRL;
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, S4_GEN2_RESET);
    /* down (pwr reset released, LTSSM off): pending */
    s4_set(&ep, false, false, false);
    s4_assert_link(&ep, false, 0);
    qtest_writel(ep.qts, gen2, S4_GEN2_RESET | S4_SPEED_CHANGE);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==,
                    S4_GEN2_RESET | S4_SPEED_CHANGE);
    /* the link comes up: done */
    s4_set(&ep, true, false, false);
    s4_assert_link(&ep, true, 0);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, S4_GEN2_RESET);
    /* up: done at once, the other bits as written */
    qtest_writel(ep.qts, gen2, 0x00000204 | S4_SPEED_CHANGE);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, 0x00000204);
    qtest_writeb(ep.qts, gen2 + 2, (S4_SPEED_CHANGE | 0x00010000) >> 16);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, 0x00010204);
    /* down again (APP_HOLD_PHY_RST): pending again */
    s4_set(&ep, true, true, false);
    s4_assert_link(&ep, false, 0);
    qtest_writel(ep.qts, gen2, S4_GEN2_RESET | S4_SPEED_CHANGE);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==,
                    S4_GEN2_RESET | S4_SPEED_CHANGE);
    qtest_quit(ep.qts);
}

/*
 * msi-doorbell=on is refused in realize for the rcar-s4 face, naming the
 * face, even with a GICv3 ITS (which the qemu face accepts it with).
 */
static void test_rcar_msi_doorbell_refused(void)
{
    static const char *const devs[] = {
        "dw-pcie-ep-rcar-s4,msi-doorbell=on", NULL
    };
    QTestState *qts;

    assert_start_fails("3", devs, "msi-doorbell=on: the rcar-s4 face's SoC "
                       "cannot send the EP's doorbells to a GICv3 ITS");
    qts = qtest_init("-machine virt,gic-version=3 -nodefaults "
                     "-device dw-pcie-ep,msi-doorbell=on");
    qtest_quit(qts);
}

/*
 * The eDMA's interrupt reaches the "dma" line only while PCIEDMAINTSTSEN
 * has a bit set (rcar_gen4_pcie_ep_pre_init writes PCIEDMAINTSTSEN_INIT);
 * the eDMA raised through its interrupt emulation (a write to
 * wr/rd_int_status) and lowered by int_clear.  The "sft_ce" and "app"
 * lines stay low.
 */
static void test_rcar_dma_irq_gate(void)
{
    Ep ep;

    rcar_start(&ep, NULL);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_writel(ep.qts, ep.dma + A_EDMA_RD_INT_STATUS, 0);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));      /* gated */
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0x0001);
    g_assert_true(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0x8000);
    g_assert_true(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    /* reserved bits alone do not open the gate */
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff0000);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    /* open, the line follows the eDMA */
    qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff);
    g_assert_true(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_writel(ep.qts, ep.dma + A_EDMA_RD_INT_CLEAR, 0);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_INT_STATUS, 0);
    g_assert_true(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_SFT_CE));
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_APP));
    qtest_writel(ep.qts, ep.dma + A_EDMA_WR_INT_CLEAR, 0);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    qtest_quit(ep.qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/dw-pcie-ep/header-ro", test_header_ro);
    qtest_add_func("/dw-pcie-ep/capabilities", test_capabilities);
    qtest_add_func("/dw-pcie-ep/rebar", test_rebar);
    qtest_add_func("/dw-pcie-ep/dbi2-bar-mask", test_dbi2_bar_mask);
    qtest_add_func("/dw-pcie-ep/iatu-detect", test_iatu_detect);
    qtest_add_func("/dw-pcie-ep/iatu-regs", test_iatu_regs);
    qtest_add_func("/dw-pcie-ep/iatu-ctrl-fields", test_iatu_ctrl_fields);
    qtest_add_func("/dw-pcie-ep/outbound", test_outbound);
    qtest_add_func("/dw-pcie-ep/app-link-irq", test_app_link_irq);
    qtest_add_func("/dw-pcie-ep/app-regs", test_app_regs);
    qtest_add_func("/dw-pcie-ep/cfg-regs", test_cfg_regs);
    qtest_add_func("/dw-pcie-ep/edma-ctrl-emulation",
                   test_edma_ctrl_and_emulation);
    qtest_add_func("/dw-pcie-ep/migration-blocked", test_migration_blocked);
    qtest_add_func("/dw-pcie-ep/msi-doorbell-needs-its",
                   test_msi_doorbell_needs_its);
    qtest_add_func("/dw-pcie-ep/link-chardev-checked",
                   test_link_chardev_checked);
    qtest_add_func("/pci-ep-link/port-checks", test_link_port_checks);
    qtest_add_func("/dw-pcie-ep-rcar-s4/app-regs", test_rcar_app_regs);
    qtest_add_func("/dw-pcie-ep-rcar-s4/pwr-reset", test_rcar_pwr_reset);
    qtest_add_func("/dw-pcie-ep-rcar-s4/bar-rules", test_rcar_bar_rules);
    qtest_add_func("/dw-pcie-ep-rcar-s4/no-msix", test_rcar_no_msix);
    qtest_add_func("/dw-pcie-ep-rcar-s4/speed-change", test_rcar_speed_change);
    qtest_add_func("/dw-pcie-ep-rcar-s4/msi-doorbell-refused",
                   test_rcar_msi_doorbell_refused);
    qtest_add_func("/dw-pcie-ep-rcar-s4/dma-irq-gate", test_rcar_dma_irq_gate);
    qtest_add_func("/dw-pcie-ep-rcar-s4/link-training",
                   test_rcar_link_training);
    return g_test_run();
}

/*
 * qtest for dw-pcie-ep: register behaviour as the Linux 7.2 DWC endpoint
 * core and dw-edma driver use it, on the arm virt machine.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "dw-pcie-ep-qtest.h"
#include "hw/misc/dw_edma_emu_regs.h"
#include "hw/pci-ep/dw-pcie-ep-regs.h"
#include "hw/pci-ep/pcie-link-proto.h"

#define MSI_FLAGS   (DW_PCIE_EP_CAP_MSI + PCI_MSI_FLAGS)
#define MSIX_FLAGS  (DW_PCIE_EP_CAP_MSIX + PCI_MSIX_FLAGS)
#define MSIX_TABLE  (DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE)
#include "hw/pci-ep/dw-pcie-iatu.h"

typedef struct {
    QTestState *qts;
    uint64_t dbi, dbi2, atu, dma, app, addr_space;
    uint64_t phy, rst;          /* the rcar-s4 and rk3588 faces' */
    uint64_t apb, phy_grf, php_grf;     /* the rk3588 face's */
} Ep;

/* The glue regions face_start finds, beside the core's, in @glue */
#define EP_APP          (1u << 0)   /* "<dev>.app", in app */
#define EP_APB          (1u << 1)   /* "<dev>.apb", in apb */
#define EP_PHY          (1u << 2)   /* "<dev>.phy" */
#define EP_GRF          (1u << 3)   /* "<dev>.phy-grf" and "<dev>.php-grf" */
#define EP_RST          (1u << 4)   /* the stand-in reset block */
/* the iATU in "atu-edma" (dma is the caller's), not "atu" and "dw-edma" */
#define EP_ATU_EDMA     (1u << 5)

/* The base of region "<@dev>.<@name>" if @glue has @which, else 0 */
static uint64_t glue_base(Ep *ep, const char *dev, unsigned glue,
                          unsigned which, const char *name)
{
    g_autofree char *region = g_strdup_printf("%s.%s", dev, name);

    return glue & which ? region_base(ep->qts, region) : 0;
}

/*
 * QEMU with a @dev (id "ep", @props appended to its -device, @pre before
 * it), the core's regions and the glue ones of @glue (EP_*) found by
 * name, and its interrupts intercepted.  With @log, QEMU logs guest
 * errors and unimplemented accesses there.
 */
static void face_start(Ep *ep, const char *dev, unsigned glue,
                       const char *log, const char *pre, const char *props)
{
    g_autofree char *d = log ? g_strdup_printf(" -d guest_errors,unimp "
                                               "-D %s", log) : g_strdup("");
    bool atu_edma = glue & EP_ATU_EDMA;

    memset(ep, 0, sizeof(*ep));
    ep->qts = qtest_initf("-machine virt,gic-version=3 -nodefaults%s %s "
                          "-device %s,id=ep%s", d, pre ? pre : "", dev,
                          props ? props : "");
    ep->dbi = region_base(ep->qts, "dw-pcie-ep.dbi");
    ep->dbi2 = region_base(ep->qts, "dw-pcie-ep.dbi2");
    ep->addr_space = region_base(ep->qts, "dw-pcie-ep.addr_space");
    ep->atu = region_base(ep->qts, atu_edma ? "dw-pcie-ep.atu-edma"
                                            : "dw-pcie-ep.atu");
    ep->dma = atu_edma ? 0 : region_base(ep->qts, "dw-edma");
    ep->app = glue_base(ep, dev, glue, EP_APP, "app");
    ep->apb = glue_base(ep, dev, glue, EP_APB, "apb");
    ep->phy = glue_base(ep, dev, glue, EP_PHY, "phy");
    ep->phy_grf = glue_base(ep, dev, glue, EP_GRF, "phy-grf");
    ep->php_grf = glue_base(ep, dev, glue, EP_GRF, "php-grf");
    ep->rst = glue_base(ep, "dw-pcie-ep", glue, EP_RST, "rst");
    qtest_irq_intercept_out_named(ep->qts, "/machine/peripheral/ep",
                                  "sysbus-irq");
}

/* The qemu face, dw-pcie-ep (@extra appended to its -device) */
static void ep_start(Ep *ep, const char *extra)
{
    face_start(ep, "dw-pcie-ep", EP_APP, NULL, NULL, extra);
}

static void ro_wr(Ep *ep, bool on)
{
    uint32_t v = qtest_readl(ep->qts, ep->dbi + A_MISC_CONTROL_1);

    qtest_writel(ep->qts, ep->dbi + A_MISC_CONTROL_1, on ? v | 1 : v & ~1u);
}

/* Write @v to the 32-bit register at @a: it must read back @want */
static void writel_reads(Ep *ep, uint64_t a, uint32_t v, uint32_t want)
{
    uint32_t got;

    qtest_writel(ep->qts, a, v);
    got = qtest_readl(ep->qts, a);
    if (got != want) {
        g_test_message("0x%" PRIx64 " <- 0x%08x reads 0x%08x", a, v, got);
    }
    g_assert_cmphex(got, ==, want);
}

/* Write @v to the 32-bit register at @a: interrupt @irq is then @level */
static void writel_irq(Ep *ep, uint64_t a, uint32_t v, int irq, bool level)
{
    bool got;

    qtest_writel(ep->qts, a, v);
    got = qtest_get_irq(ep->qts, irq);
    if (got != level) {
        g_test_message("0x%" PRIx64 " <- 0x%08x: interrupt %d at %d", a, v,
                       irq, got);
    }
    g_assert_cmpint(got, ==, level);
}

/* A new empty file for QEMU's log (-D), named after @tmpl; to unlink */
static char *tmp_log(const char *tmpl)
{
    g_autoptr(GError) err = NULL;
    char *log = NULL;
    int fd = g_file_open_tmp(tmpl, &log, &err);

    g_assert_no_error(err);
    close(fd);
    return log;
}

/*
 * Resizable BAR entry @i (BAR 2 * @i) where BAR0 and BAR2 are resizable
 * (the qemu and rcar-s4 faces): CAP 0x3ff0 (1 MiB to 512 MiB), read-only
 * without DBI_RO_WR_EN; written with it as dw_pcie_ep_set_bar_resizable()
 * does (CAP = 4 MiB alone), CTRL's BAR Size says 2.
 */
static void rebar_entry_check(Ep *ep, unsigned i)
{
    uint64_t cap = ep->dbi + DW_PCIE_EP_REBAR_CAP(i);
    uint64_t ctrl = ep->dbi + DW_PCIE_EP_REBAR_CTRL(i);

    g_assert_cmphex(qtest_readl(ep->qts, ctrl) & 7, ==, i * 2);  /* BAR */
    g_assert_cmphex(qtest_readl(ep->qts, cap), ==, 0x3ff0);
    writel_reads(ep, cap, 1 << 6, 0x3ff0);
    ro_wr(ep, true);
    qtest_writel(ep->qts, cap, 1 << 6);
    ro_wr(ep, false);
    g_assert_cmphex(qtest_readl(ep->qts, cap), ==, 1 << 6);
    g_assert_cmphex((qtest_readl(ep->qts, ctrl) >> 8) & 0x3f, ==, 2);
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
        uint64_t ctrl = ep.dbi + DW_PCIE_EP_REBAR_CTRL(i);

        g_assert_cmphex((qtest_readl(ep.qts, ctrl) >> 5) & 7, ==, 2);
        rebar_entry_check(&ep, i);
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

/* QEMU with a dw-pcie-ep-rcar-s4, as face_start */
static void rcar_start(Ep *ep, const char *log)
{
    face_start(ep, "dw-pcie-ep-rcar-s4", EP_APP | EP_PHY | EP_RST, log,
               NULL, NULL);
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

/* A register of a face's glue block: its offset and its reset value */
typedef struct {
    unsigned off;
    uint32_t reset;
} GlueReg;

/* Each of the @n registers @regs of the block at @base holds its reset value */
static void glue_regs_at_reset(Ep *ep, uint64_t base, const GlueReg *regs,
                               size_t n, unsigned round)
{
    size_t i;

    for (i = 0; i < n; i++) {
        g_test_message("round %u: 0x%03x", round, regs[i].off);
        g_assert_cmphex(qtest_readl(ep->qts, base + regs[i].off), ==,
                        regs[i].reset);
    }
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
    static const GlueReg regs[] = {
        { S4_PCIEMSR0, 0 }, { S4_PCIERSTCTRL1, S4_HOLD_PHY_RST },
        { S4_PCIEPWRMNGCTRL, 0 }, { S4_PCIEINTSTS0, 0 },
        { S4_PCIEINTSTS0EN, 0 }, { S4_PCIEDMAINTSTSEN, 0 },
    };
    g_autofree char *log = tmp_log("dw-pcie-ep-rcar-XXXXXX.log");
    unsigned round;
    Ep ep;

    rcar_start(&ep, log);
    for (round = 0; round < 2; round++) {
        glue_regs_at_reset(&ep, ep.app, regs, ARRAY_SIZE(regs), round);
        g_assert_cmphex(qtest_readl(ep.qts, ep.rst + S4_RST), ==, S4_RST_PWR);
        /* storage, all 32 bits (PCIEINTSTS0EN: nothing to signal yet) */
        writel_reads(&ep, ep.app + S4_PCIEMSR0, 0xffffffff, 0xffffffff);
        writel_reads(&ep, ep.app + S4_PCIEPWRMNGCTRL, 0x00000c00, 0x00000c00);
        writel_reads(&ep, ep.app + S4_PCIEINTSTS0EN, 0xffffffff, 0xffffffff);
        g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_APP));
        /* read-only: the link bits are the hardware's */
        writel_reads(&ep, ep.app + S4_PCIEINTSTS0, 0xffffffff, 0);
        /* bits 31:16 reserved, 15:0 what PCIEDMAINTSTSEN_INIT sets */
        writel_reads(&ep, ep.app + S4_PCIEDMAINTSTSEN, 0xffffffff, 0x0000ffff);
        writel_reads(&ep, ep.app + S4_PCIEDMAINTSTSEN, 0xffff0000, 0);
        /* no register there: reads 0, the write goes nowhere, logged */
        writel_reads(&ep, ep.app + 0x004, 0xffffffff, 0);
        g_assert_true(log_has(log, "unimplemented register at address: "
                              "0x4\n"));
        g_assert_cmphex(s4_app(&ep, 0xffc), ==, 0);
        g_assert_true(log_has(log, "read to unimplemented register at "
                              "address: 0xffc\n"));
        /* phy: mapped, never used by the S4 driver */
        writel_reads(&ep, ep.phy + 0x0f8, 0xffffffff, 0);
        g_assert_true(log_has(log, "dw-pcie-ep-rcar-s4.phy: write 0x0f8"));
        /* the neighbours kept their values */
        g_assert_cmphex(s4_app(&ep, S4_PCIEMSR0), ==, 0xffffffff);
        g_assert_cmphex(s4_app(&ep, S4_PCIERSTCTRL1), ==, S4_HOLD_PHY_RST);
        qtest_writel(ep.qts, ep.app + S4_PCIEDMAINTSTSEN, 0xffff);
        qtest_writel(ep.qts, ep.app + S4_PCIERSTCTRL1, S4_LTSSM_ENABLE);
        qtest_writel(ep.qts, ep.rst + S4_RST, 0);
        /* PCIEMSR0 has DEVICE_TYPE_RC (bit 4) set: RC mode does not train */
        g_assert_cmphex(s4_app(&ep, S4_PCIEINTSTS0), ==, 0);
        g_assert_true(log_has(log, "PCIEMSR0 selects RC mode"));
        qtest_writel(ep.qts, ep.app + S4_PCIEMSR0, 0x00000001);
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
    writel_reads(&ep, ep.rst + S4_RST, 0, 0);
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
    writel_reads(&ep, ep.rst + S4_RST, S4_RST_PWR, S4_RST_PWR);
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
    uint64_t bar4;
    Ep ep;
    unsigned i, j;

    rcar_start(&ep, NULL);
    /* BAR4: 256 bytes, off at reset */
    bar4 = ep.dbi2 + PCI_BASE_ADDRESS_4;
    g_assert_cmphex(qtest_readl(ep.qts, bar4), ==, 0xfe);
    writel_reads(&ep, bar4, 0xffffffff, 0xff);
    writel_reads(&ep, bar4, 0, 0xfe);
    writel_reads(&ep, bar4, 0x000fff01, 0xff);
    /* BAR1, BAR3, BAR5: not there, whatever the EP writes */
    for (i = 0; i < ARRAY_SIZE(off_bars); i++) {
        uint64_t a = ep.dbi2 + PCI_BASE_ADDRESS_0 + 4 * off_bars[i];

        for (j = 0; j < ARRAY_SIZE(pats); j++) {
            g_test_message("BAR%u <- 0x%08x", off_bars[i], pats[j]);
            writel_reads(&ep, a, pats[j], 0);
        }
        writel_reads(&ep, a, 0, 0);
    }
    /* BAR0, BAR2: resizable, as in the qemu face */
    for (i = 0; i < 2; i++) {
        uint64_t mask = ep.dbi2 + PCI_BASE_ADDRESS_0 + 8 * i;

        rebar_entry_check(&ep, i);
        writel_reads(&ep, mask, 1, 1);
        writel_reads(&ep, mask, 0, 0);
    }
    qtest_quit(ep.qts);

    /* the rules are the face's: the qemu face's BAR4 and BAR5 take masks */
    ep_start(&ep, NULL);
    writel_reads(&ep, ep.dbi2 + PCI_BASE_ADDRESS_4, 0xffff, 0xffff);
    writel_reads(&ep, ep.dbi2 + PCI_BASE_ADDRESS_5, 0xfff, 0xfff);
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
    writel_reads(&ep, gen2, S4_GEN2_RESET | S4_SPEED_CHANGE,
                 S4_GEN2_RESET | S4_SPEED_CHANGE);
    /* the link comes up: done */
    s4_set(&ep, true, false, false);
    s4_assert_link(&ep, true, 0);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, S4_GEN2_RESET);
    /* up: done at once, the other bits as written */
    writel_reads(&ep, gen2, 0x00000204 | S4_SPEED_CHANGE, 0x00000204);
    qtest_writeb(ep.qts, gen2 + 2, (S4_SPEED_CHANGE | 0x00010000) >> 16);
    g_assert_cmphex(qtest_readl(ep.qts, gen2), ==, 0x00010204);
    /* down again (APP_HOLD_PHY_RST): pending again */
    s4_set(&ep, true, true, false);
    s4_assert_link(&ep, false, 0);
    writel_reads(&ep, gen2, S4_GEN2_RESET | S4_SPEED_CHANGE,
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
    uint64_t en;
    Ep ep;

    rcar_start(&ep, NULL);
    en = ep.app + S4_PCIEDMAINTSTSEN;
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_DMA));
    writel_irq(&ep, ep.dma + A_EDMA_RD_INT_STATUS, 0, S4_IRQ_DMA, false);
    writel_irq(&ep, en, 0x0001, S4_IRQ_DMA, true);
    writel_irq(&ep, en, 0, S4_IRQ_DMA, false);
    writel_irq(&ep, en, 0x8000, S4_IRQ_DMA, true);
    /* reserved bits alone do not open the gate */
    writel_irq(&ep, en, 0xffff0000, S4_IRQ_DMA, false);
    /* open, the line follows the eDMA */
    writel_irq(&ep, en, 0xffff, S4_IRQ_DMA, true);
    writel_irq(&ep, ep.dma + A_EDMA_RD_INT_CLEAR, 0, S4_IRQ_DMA, false);
    writel_irq(&ep, ep.dma + A_EDMA_WR_INT_STATUS, 0, S4_IRQ_DMA, true);
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_SFT_CE));
    g_assert_false(qtest_get_irq(ep.qts, S4_IRQ_APP));
    writel_irq(&ep, ep.dma + A_EDMA_WR_INT_CLEAR, 0, S4_IRQ_DMA, false);
    qtest_quit(ep.qts);
}

/* ---- the rk3588 face: dw-pcie-ep-rk3588 (dw-pcie-ep-rk3588.c) ---- */

/*
 * The apb registers as Linux 7.2's pcie-dw-rockchip.c names them, the
 * PHY GRF's as phy-rockchip-snps-pcie3.c does, the eDMA's as
 * dw-edma-v0-regs.h and the iATU's as pcie-designware.h (written out
 * here, not taken from dw-pcie-ep-regs.h, so that a wrong offset or bit
 * there fails the tests).  RK_WM16(bits, val) is Rockchip's write of @val
 * to @bits: bits 31:16 enable the write of bits 15:0 (FIELD_PREP_WM16).
 */
#define RK_WM16(bits, val)          (((uint32_t)(bits) << 16) | (val))
#define RK3588_GENERAL_CON          0x000
#define RK3588_LTSSM_BIT            (1u << 2)
#define RK3588_ENABLE_LTSSM         RK_WM16(RK3588_LTSSM_BIT, RK3588_LTSSM_BIT)
#define RK3588_DISABLE_LTSSM        RK_WM16(RK3588_LTSSM_BIT, 0)
#define RK3588_MODE_EP              RK_WM16(0xf0, 0)    /* bits 7:4 = 0 */
#define RK3588_INTR_STATUS_MISC     0x010
#define RK3588_LINK_UP_CHGED        (1u << 1)   /* PCIE_RDLH_LINK_UP_CHGED */
#define RK3588_REQ_RST_NOT_INT      (1u << 2)   /* PCIE_LINK_REQ_RST_NOT_INT */
#define RK3588_MISC_BOTH            (RK3588_LINK_UP_CHGED | \
                                     RK3588_REQ_RST_NOT_INT)
#define RK3588_INTR_MASK_MISC       0x024
#define RK3588_UNMASK_MISC          RK_WM16(RK3588_MISC_BOTH, 0)
#define RK3588_TBA_INFO_CMN         0x154   /* CDM_RASDES_TBA_INFO_CMN */
#define RK3588_HOT_RESET_CTRL       0x180
#define RK3588_APP_DLY2_EN          (1u << 1)
#define RK3588_APP_DLY2_DONE        (1u << 3)
#define RK3588_ENABLE_ENHANCE       (1u << 4)   /* PCIE_LTSSM_ENABLE_ENHANCE */
/* HOT_RESET_CTRL as configure_ep writes it */
#define RK3588_HOT_RESET_EP         (RK3588_ENABLE_ENHANCE | RK3588_APP_DLY2_EN)
#define RK3588_CONFIGURE_EP         RK_WM16(RK3588_HOT_RESET_EP, \
                                            RK3588_HOT_RESET_EP)
#define RK3588_LTSSM_STATUS         0x300
#define RK3588_LINKUP               (3u << 16)  /* PCIE_LINKUP_MASK */
#define RK3588_LTSSM_MASK           0x3fu       /* PCIE_LTSSM_STATUS_MASK */
#define RK3588_LTSSM_L0             0x11        /* DW_PCIE_LTSSM_L0 */
/* PHY GRF (rockchip,phy-grf) and PHP GRF (rockchip,pipe-grf) */
#define RK3588_GRF_CMN_CON0         0x0000
#define RK3588_GRF_PHY0_STATUS1     0x0904
#define RK3588_GRF_PHY1_STATUS1     0x0a04
#define RK3588_SRAM_INIT_DONE       (1u << 0)
#define RK3588_GRF_PHY0_LN0_CON1    0x1004
#define RK3588_GRF_PHY0_LN1_CON1    0x1104
#define RK3588_GRF_PHY1_LN0_CON1    0x2004
#define RK3588_GRF_PHY1_LN1_CON1    0x2104
#define RK3588_REFCLK_MODE_EN       RK_WM16(1u << 7, 1u << 7)
#define RK3588_REFCLK_MODE_DIS      RK_WM16(1u << 7, 0)
#define RK3588_PHY_MODE_EN          RK_WM16(7, 0)       /* | lane mode */
#define RK3588_LANE_AGGREGATION     (1u << 2)
#define RK3588_PHP_PCIESEL_CON      0x100
#define RK3588_PCIE1LN_SEL_EN       RK_WM16(3, 0)
/*
 * rockchip_pcie_epc_features_rk3588: BAR0-3 and BAR5 resizable, BAR4
 * reserved (rk3588_bar4_rsvd: the eDMA's registers, 8 KiB at offset 0)
 */
static const unsigned rk3588_rebar_bars[] = { 0, 1, 2, 3, 5 };
#define RK3588_BAR4_SIZE            0x2000
/* "atu" with the eDMA at the DWC default offset (pcie-designware.c) */
#define RK3588_ATU_SIZE             0x100000
#define RK3588_ATU_EDMA             0x80000     /* DEFAULT_DBI_DMA_OFFSET */
#define RK3588_EDMA_CTRL            0x008
#define RK3588_EDMA_WR_CH           0x0000000fu /* EDMA_V0_WRITE_CH_COUNT */
#define RK3588_EDMA_RD_CH           0x000f0000u /* EDMA_V0_READ_CH_COUNT */
#define RK3588_EDMA_RD_INT_STATUS   0x0a0       /* the host's doorbell */
#define RK3588_EDMA_RD_INT_CLEAR    0x0ac
#define RK3588_IATU_INBOUND         0x100       /* PCIE_ATU_UNROLL_BASE */
#define RK3588_IATU_LOWER_TARGET    0x14        /* PCIE_ATU_UNR_LOWER_TARGET */
/* the stand-in reset block: register 0, one bit per reset, 1 = asserted */
#define RK3588_RST                  0x000
#define RK3588_RST_PWR              (1u << 0)
#define RK3588_RST_PIPE             (1u << 1)
#define RK3588_RST_PHY              (1u << 2)
#define RK3588_RST_ALL              (RK3588_RST_PWR | RK3588_RST_PIPE | \
                                     RK3588_RST_PHY)
/* the face's interrupts: the eDMA's ("dma0".."dma3"), then "sys" */
#define RK3588_IRQ_DMA              0
#define RK3588_IRQ_SYS              1
/* PORT_DEBUG1's LINK_UP (Linux's PCIE_PORT_DEBUG1_LINK_UP) */
#define RK3588_DEBUG1               0x72c
#define RK3588_DEBUG1_LINK_UP       (1u << 4)

/* QEMU with a dw-pcie-ep-rk3588, as face_start; the eDMA in "atu" */
static void rk_start(Ep *ep, const char *log, const char *pre,
                     const char *props)
{
    face_start(ep, "dw-pcie-ep-rk3588",
               EP_APB | EP_PHY | EP_GRF | EP_RST | EP_ATU_EDMA, log, pre,
               props);
    ep->dma = ep->atu + RK3588_ATU_EDMA;
}

/* The size of memory region @name as "info mtree" shows it (as region_base) */
static uint64_t region_size(QTestState *qts, const char *name)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_autofree char *pat = g_strdup_printf(" %s\r", name);
    g_auto(GStrv) lines = g_strsplit(mtree, "\n", -1);
    uint64_t size = 0;
    int i;

    for (i = 0; lines[i]; i++) {
        g_autofree char *l = g_strconcat(lines[i], "\r", NULL);
        char *end;
        uint64_t first;

        if (strstr(l, pat)) {
            first = g_ascii_strtoull(g_strchug(lines[i]), &end, 16);
            g_assert_cmpint(*end, ==, '-');
            size = g_ascii_strtoull(end + 1, NULL, 16) - first + 1;
            break;
        }
    }
    g_assert_cmphex(size, !=, 0);
    return size;
}

static uint32_t rk_apb(Ep *ep, unsigned off)
{
    return qtest_readl(ep->qts, ep->apb + off);
}

/*
 * The link as the driver sees it (rockchip_pcie_link_up: LTSSM_STATUS
 * bits 17:16 both set; the LTSSM in L0) and as the DWC core does
 * (PORT_DEBUG1).
 */
static void rk_assert_link(Ep *ep, bool up)
{
    uint32_t st = rk_apb(ep, RK3588_LTSSM_STATUS);

    g_assert_cmphex(st & RK3588_LINKUP, ==, up ? RK3588_LINKUP : 0);
    if (up) {
        g_assert_cmphex(st & RK3588_LTSSM_MASK, ==, RK3588_LTSSM_L0);
    }
    g_assert_cmphex(qtest_readl(ep->qts, ep->dbi + RK3588_DEBUG1) &
                    RK3588_DEBUG1_LINK_UP, ==,
                    up ? RK3588_DEBUG1_LINK_UP : 0);
}

/*
 * What rockchip_pcie_ep_sys_irq_thread does first: read
 * INTR_STATUS_MISC and write the value back.  Returns the value; the
 * "sys" interrupt is low after it.
 */
static uint32_t rk_take_misc(Ep *ep)
{
    uint32_t v = rk_apb(ep, RK3588_INTR_STATUS_MISC);

    qtest_writel(ep->qts, ep->apb + RK3588_INTR_STATUS_MISC, v);
    g_assert_cmphex(rk_apb(ep, RK3588_INTR_STATUS_MISC), ==, 0);
    g_assert_false(qtest_get_irq(ep->qts, RK3588_IRQ_SYS));
    return v;
}

/*
 * The controller's two resets (pwr, pipe; the PHY's released) and then
 * GENERAL_CON's ENABLE_LTSSM, in that order: from a link that is up or
 * down because of ENABLE_LTSSM alone, the link changes at most once.
 */
static void rk_set(Ep *ep, bool ltssm, bool pwr, bool pipe)
{
    qtest_writel(ep->qts, ep->rst + RK3588_RST,
                 (pwr ? RK3588_RST_PWR : 0) | (pipe ? RK3588_RST_PIPE : 0));
    qtest_writel(ep->qts, ep->apb + RK3588_GENERAL_CON,
                 ltssm ? RK3588_ENABLE_LTSSM : RK3588_DISABLE_LTSSM);
}

/*
 * The apb block as pcie-dw-rockchip drives it: reset values (the "sys"
 * events masked, the rest 0; the three resets asserted); GENERAL_CON,
 * INTR_MASK_MISC and HOT_RESET_CTRL take only the low bits whose
 * write-enable bit (bit n + 16) is set, and read 0 in bits 31:16;
 * APP_DLY2_DONE reads back 0; INTR_STATUS_MISC is write 1 to clear with
 * no write-enable half (the driver writes back what it read);
 * LTSSM_STATUS is read-only, up or down; CDM_RASDES_TBA_INFO_CMN reads 0
 * (no L1 substates); an offset without a register reads 0 and takes no
 * write, logged as unimplemented.  After a system reset, the reset values
 * again.
 */
static void test_rk_apb_regs(void)
{
    static const GlueReg regs[] = {
        { RK3588_GENERAL_CON, 0 }, { RK3588_INTR_STATUS_MISC, 0 },
        { RK3588_INTR_MASK_MISC, RK3588_MISC_BOTH },
        { RK3588_TBA_INFO_CMN, 0 }, { RK3588_HOT_RESET_CTRL, 0 },
        { RK3588_LTSSM_STATUS, 0 },
    };
    g_autofree char *log = tmp_log("dw-pcie-ep-rk3588-XXXXXX.log");
    unsigned round;
    Ep ep;

    rk_start(&ep, log, NULL, NULL);
    for (round = 0; round < 2; round++) {
        glue_regs_at_reset(&ep, ep.apb, regs, ARRAY_SIZE(regs), round);
        g_assert_cmphex(qtest_readl(ep.qts, ep.rst + RK3588_RST), ==,
                        RK3588_RST_ALL);
        g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));

        /* GENERAL_CON: the mode field, bits 7:4 */
        writel_reads(&ep, ep.apb + RK3588_GENERAL_CON, 0x0000fffb, 0);
        writel_reads(&ep, ep.apb + RK3588_GENERAL_CON, RK_WM16(0xf0, 0x50),
                     0x50);
        writel_reads(&ep, ep.apb + RK3588_GENERAL_CON, RK_WM16(0x10, 0), 0x40);
        writel_reads(&ep, ep.apb + RK3588_GENERAL_CON, 0x0000ffbb, 0x40);
        writel_reads(&ep, ep.apb + RK3588_GENERAL_CON, RK3588_MODE_EP, 0);

        /* INTR_MASK_MISC: one bit at a time, then what the driver writes */
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC, 0, RK3588_MISC_BOTH);
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC,
                     RK_WM16(RK3588_LINK_UP_CHGED, 0), RK3588_REQ_RST_NOT_INT);
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC, RK3588_LINK_UP_CHGED,
                     RK3588_REQ_RST_NOT_INT);
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC,
                     RK_WM16(RK3588_MISC_BOTH, RK3588_LINK_UP_CHGED),
                     RK3588_LINK_UP_CHGED);
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC, RK3588_UNMASK_MISC,
                     0);
        g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));  /* no event */
        writel_reads(&ep, ep.apb + RK3588_INTR_MASK_MISC,
                     RK_WM16(RK3588_MISC_BOTH, RK3588_MISC_BOTH),
                     RK3588_MISC_BOTH);

        /* HOT_RESET_CTRL: what configure_ep writes, then bit by bit */
        writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL, 0x0000ffff, 0);
        writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL, RK3588_CONFIGURE_EP,
                     RK3588_HOT_RESET_EP);
        writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL,
                     RK_WM16(RK3588_ENABLE_ENHANCE, 0), RK3588_APP_DLY2_EN);
        /* APP_DLY2_DONE: a pulse, with or without its enable */
        writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL,
                     RK_WM16(RK3588_APP_DLY2_DONE, RK3588_APP_DLY2_DONE),
                     RK3588_APP_DLY2_EN);
        writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL, RK3588_APP_DLY2_DONE,
                     RK3588_APP_DLY2_EN);

        /* LTSSM_STATUS: read-only, the link down */
        writel_reads(&ep, ep.apb + RK3588_LTSSM_STATUS, 0xffffffff, 0);
        /* no L1 substates, whatever is written */
        writel_reads(&ep, ep.apb + RK3588_TBA_INFO_CMN, 0xffffffff, 0);

        /* an event (the link comes up): INTR_STATUS_MISC is W1C */
        rk_set(&ep, true, false, false);
        rk_assert_link(&ep, true);
        g_assert_cmphex(rk_apb(&ep, RK3588_INTR_STATUS_MISC), ==,
                        RK3588_LINK_UP_CHGED);
        writel_reads(&ep, ep.apb + RK3588_INTR_STATUS_MISC,
                     RK_WM16(RK3588_LINK_UP_CHGED, 0), RK3588_LINK_UP_CHGED);
        writel_reads(&ep, ep.apb + RK3588_INTR_STATUS_MISC, 0,
                     RK3588_LINK_UP_CHGED);
        writel_reads(&ep, ep.apb + RK3588_INTR_STATUS_MISC,
                     RK3588_LINK_UP_CHGED, 0);
        /* a 1 where no event is pending sets nothing */
        writel_reads(&ep, ep.apb + RK3588_INTR_STATUS_MISC, 0xffffffff, 0);
        /* LTSSM_STATUS: read-only, the link up */
        qtest_writel(ep.qts, ep.apb + RK3588_LTSSM_STATUS, 0);
        rk_assert_link(&ep, true);
        g_assert_cmphex(rk_apb(&ep, RK3588_LTSSM_STATUS), ==,
                        RK3588_LINKUP | RK3588_LTSSM_L0);

        /* no register there: reads 0, the write goes nowhere, logged */
        writel_reads(&ep, ep.apb + 0x304, 0xffffffff, 0);
        g_assert_true(log_has(log, "dw-pcie-ep-rk3588: apb write 0x0304"));
        g_assert_true(log_has(log, "dw-pcie-ep-rk3588: apb read 0x0304"));
        g_assert_cmphex(rk_apb(&ep, 0xfffc), ==, 0);
        g_assert_true(log_has(log, "dw-pcie-ep-rk3588: apb read 0xfffc"));
        /* the neighbours kept their values */
        g_assert_cmphex(rk_apb(&ep, RK3588_GENERAL_CON), ==,
                        RK3588_LTSSM_BIT);
        g_assert_cmphex(rk_apb(&ep, RK3588_HOT_RESET_CTRL), ==,
                        RK3588_APP_DLY2_EN);
        g_assert_cmphex(rk_apb(&ep, RK3588_INTR_MASK_MISC), ==,
                        RK3588_MISC_BOTH);
        qtest_system_reset(ep.qts);
    }
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    qtest_quit(ep.qts);
    unlink(log);
}

/*
 * Link training without a chardev (no peer: the link comes up as soon as
 * it trains): up once the resets are released and GENERAL_CON's
 * ENABLE_LTSSM is set, as the driver's probe and start_link do, with
 * LTSSM_STATUS saying so and a RDLH_LINK_UP_CHGED event; the "sys"
 * interrupt only once that event is unmasked, low again after the IRQ
 * thread's write-back.  Then each combination of ENABLE_LTSSM and the
 * pwr and pipe resets, from the link down and from the link up: up only
 * with ENABLE_LTSSM set and neither reset asserted; every change is a
 * RDLH_LINK_UP_CHGED event (raising "sys"), and none of them a
 * LINK_REQ_RST_NOT_INT (the EP itself took the link down).
 */
static void test_rk_link(void)
{
    unsigned c, from;
    uint32_t ev;
    Ep ep;

    rk_start(&ep, NULL, NULL, NULL);
    /* the resets asserted: ENABLE_LTSSM alone trains nothing */
    qtest_writel(ep.qts, ep.apb + RK3588_GENERAL_CON, RK3588_ENABLE_LTSSM);
    rk_assert_link(&ep, false);
    g_assert_cmphex(rk_apb(&ep, RK3588_INTR_STATUS_MISC), ==, 0);
    /* released (reset_control_deassert of all of them) */
    qtest_writel(ep.qts, ep.rst + RK3588_RST, 0);
    rk_assert_link(&ep, true);
    g_assert_cmphex(rk_apb(&ep, RK3588_LTSSM_STATUS) &
                    (RK3588_LINKUP | RK3588_LTSSM_MASK), ==,
                    RK3588_LINKUP | RK3588_LTSSM_L0);
    g_assert_cmphex(rk_apb(&ep, RK3588_INTR_STATUS_MISC), ==,
                    RK3588_LINK_UP_CHGED);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));     /* masked */
    qtest_writel(ep.qts, ep.apb + RK3588_INTR_MASK_MISC, RK3588_UNMASK_MISC);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_LINK_UP_CHGED);
    /* masked again, an event stays pending without the interrupt */
    qtest_writel(ep.qts, ep.apb + RK3588_INTR_MASK_MISC,
                 RK_WM16(RK3588_LINK_UP_CHGED, RK3588_LINK_UP_CHGED));
    qtest_writel(ep.qts, ep.apb + RK3588_GENERAL_CON, RK3588_DISABLE_LTSSM);
    rk_assert_link(&ep, false);
    g_assert_cmphex(rk_apb(&ep, RK3588_INTR_STATUS_MISC), ==,
                    RK3588_LINK_UP_CHGED);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    qtest_writel(ep.qts, ep.apb + RK3588_INTR_MASK_MISC, RK3588_UNMASK_MISC);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    rk_take_misc(&ep);

    for (c = 0; c < 8; c++) {
        bool ltssm = c & 1, pwr = c & 2, pipe = c & 4;
        bool up = ltssm && !pwr && !pipe;

        for (from = 0; from < 2; from++) {
            rk_set(&ep, from, false, false);
            rk_assert_link(&ep, from);
            rk_take_misc(&ep);
            rk_set(&ep, ltssm, pwr, pipe);
            g_test_message("ltssm %d pwr %d pipe %d, from %s", ltssm, pwr,
                           pipe, from ? "up" : "down");
            rk_assert_link(&ep, up);
            ev = up != from ? RK3588_LINK_UP_CHGED : 0;
            g_assert_cmpint(qtest_get_irq(ep.qts, RK3588_IRQ_SYS), ==, !!ev);
            g_assert_cmphex(rk_take_misc(&ep), ==, ev);
            g_assert_cmphex(qtest_readl(ep.qts, ep.rst + RK3588_RST), ==,
                            (pwr ? RK3588_RST_PWR : 0) |
                            (pipe ? RK3588_RST_PIPE : 0));
        }
    }
    qtest_quit(ep.qts);
}

/*
 * A fake RC on the link for the rk3588 tests, played by the test thread
 * itself: it listens on a unix socket that the EP's "chardev" connects to
 * (with reconnect-ms, so that it comes back when the RC drops it) and
 * speaks the link protocol (pcie-link-proto.h), encoded here by hand:
 * HELLO, config and memory requests; of what the EP sends it keeps the
 * last LINK state and our requests' completions.
 */
typedef struct RkPeer {
    int lfd, fd;
    char *dir, *path;
    uint8_t rx[2 * PL_MAX_MSG];
    size_t len;
    int link;           /* the last LINK of this connection, -1 before any */
    uint32_t tag;       /* of the request in flight */
    bool cpl_done;
    uint8_t cpl_status;
    uint8_t cpl_data[8];
} RkPeer;

#define RK_PEER_WAIT_US     (5 * G_USEC_PER_SEC)

static void rk_peer_start(RkPeer *p)
{
    memset(p, 0, sizeof(*p));
    p->lfd = link_listen("dw-pcie-ep-rk3588-XXXXXX", &p->dir, &p->path);
    p->fd = -1;
}

static void rk_peer_stop(RkPeer *p)
{
    if (p->fd >= 0) {
        close(p->fd);
    }
    close(p->lfd);
    unlink(p->path);
    rmdir(p->dir);
    g_free(p->path);
    g_free(p->dir);
}

/* One message: the 12-byte header, then @len bytes of @body. */
static void rk_peer_send(RkPeer *p, uint8_t type, uint32_t tag,
                         const uint8_t *body, uint32_t len)
{
    uint8_t m[PL_HDR_SIZE + 24] = { type };

    g_assert_cmpuint(len, <=, sizeof(m) - PL_HDR_SIZE);
    stl_le_p(m + 4, len);
    stl_le_p(m + 8, tag);
    memcpy(m + PL_HDR_SIZE, body, len);
    g_assert_cmpint(send(p->fd, m, PL_HDR_SIZE + len, MSG_NOSIGNAL), ==,
                    PL_HDR_SIZE + len);
}

/* Accept the EP's (next) connection within RK_PEER_WAIT_US; say HELLO. */
static void rk_peer_accept(RkPeer *p)
{
    struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };
    uint8_t hello[16];

    g_assert_cmpint(poll(&pfd, 1, RK_PEER_WAIT_US / 1000), ==, 1);
    p->fd = accept(p->lfd, NULL, NULL);
    g_assert(p->fd >= 0);
    p->len = 0;
    p->link = -1;
    stl_le_p(hello, PL_MAGIC);
    stw_le_p(hello + 4, PL_VERSION);
    stw_le_p(hello + 6, PL_ROLE_RC);
    stl_le_p(hello + 8, PL_MAX_PAYLOAD);
    stl_le_p(hello + 12, 0);                /* no fast path */
    rk_peer_send(p, PL_MSG_HELLO, 0, hello, sizeof(hello));
}

/* The RC goes away: the EP sees its connection end. */
static void rk_peer_drop(RkPeer *p)
{
    close(p->fd);
    p->fd = -1;
}

/* Read what the EP sent within @ms milliseconds, and take it in. */
static void rk_peer_pump(RkPeer *p, int ms)
{
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
    ssize_t n;

    if (poll(&pfd, 1, ms) <= 0) {
        return;
    }
    n = recv(p->fd, p->rx + p->len, sizeof(p->rx) - p->len, 0);
    g_assert_cmpint(n, >, 0);
    p->len += n;
    while (p->len >= PL_HDR_SIZE) {
        uint32_t blen = ldl_le_p(p->rx + 4), tag = ldl_le_p(p->rx + 8);
        uint8_t *body = p->rx + PL_HDR_SIZE;

        g_assert_cmpuint(blen, <=, PL_MAX_BODY);
        if (p->len < PL_HDR_SIZE + blen) {
            break;
        }
        if (p->rx[0] == PL_MSG_LINK) {
            g_assert_cmpuint(blen, ==, 4);
            p->link = body[0];
        } else if (p->rx[0] == PL_MSG_CPL && p->tag && tag == p->tag) {
            g_assert_cmpuint(blen, <=, sizeof(p->cpl_data));
            p->cpl_done = true;
            p->cpl_status = p->rx[1];
            memset(p->cpl_data, 0xff, sizeof(p->cpl_data));
            memcpy(p->cpl_data, body, blen);
        }
        p->len -= PL_HDR_SIZE + blen;
        memmove(p->rx, p->rx + PL_HDR_SIZE + blen, p->len);
    }
}

/* A non-posted request; its completion's status, 4 bytes of data in @val */
static PlStatus rk_peer_request(RkPeer *p, uint8_t type, const uint8_t *body,
                                uint32_t len, uint32_t *val)
{
    gint64 deadline = g_get_monotonic_time() + RK_PEER_WAIT_US;

    p->tag++;
    p->cpl_done = false;
    rk_peer_send(p, type, p->tag, body, len);
    while (!p->cpl_done && g_get_monotonic_time() < deadline) {
        rk_peer_pump(p, 10);
    }
    g_assert_true(p->cpl_done);
    p->tag = 0;
    if (val) {
        *val = ldl_le_p(p->cpl_data);
    }
    return p->cpl_status;
}

static PlStatus rk_rc_cfg_read(RkPeer *p, uint16_t off, uint32_t *val)
{
    uint8_t b[4] = { off, off >> 8, 4 };

    return rk_peer_request(p, PL_MSG_CFG_RD, b, sizeof(b), val);
}

static void rk_rc_cfg_write(RkPeer *p, uint16_t off, uint32_t val)
{
    uint8_t b[8] = { off, off >> 8, 4 };

    stl_le_p(b + 4, val);
    g_assert_cmpint(rk_peer_request(p, PL_MSG_CFG_WR, b, sizeof(b), NULL),
                    ==, PL_STATUS_SC);
}

/* A 32-bit read of BAR @bar at PCI address @addr, or a posted write */
static PlStatus rk_rc_mem_read(RkPeer *p, uint8_t bar, uint64_t addr,
                               uint32_t *val)
{
    uint8_t b[16] = { 0 };

    stq_le_p(b, addr);
    stl_le_p(b + 8, 4);
    b[12] = bar;
    return rk_peer_request(p, PL_MSG_MEM_RD, b, sizeof(b), val);
}

static void rk_rc_mem_write(RkPeer *p, uint8_t bar, uint64_t addr,
                            uint32_t val)
{
    uint8_t b[20] = { 0 };

    stq_le_p(b, addr);
    stl_le_p(b + 8, 4);
    b[12] = bar;
    stl_le_p(b + 16, val);
    rk_peer_send(p, PL_MSG_MEM_WR, 0, b, sizeof(b));
}

/* Wait until the EP has said LINK @up on this connection. */
static void rk_peer_wait_link(RkPeer *p, int up)
{
    gint64 deadline = g_get_monotonic_time() + RK_PEER_WAIT_US;

    while (p->link != up && g_get_monotonic_time() < deadline) {
        rk_peer_pump(p, 10);
    }
    g_assert_cmpint(p->link, ==, up);
}

/* Wait until INTR_STATUS_MISC has all of @bits. */
static void rk_wait_misc(Ep *ep, uint32_t bits)
{
    gint64 deadline = g_get_monotonic_time() + RK_PEER_WAIT_US;

    while ((rk_apb(ep, RK3588_INTR_STATUS_MISC) & bits) != bits &&
           g_get_monotonic_time() < deadline) {
        g_usleep(1000);
    }
    g_assert_cmphex(rk_apb(ep, RK3588_INTR_STATUS_MISC) & bits, ==, bits);
}

/*
 * QEMU with a dw-pcie-ep-rk3588 whose link goes to our RC side (@p,
 * started), the RC connected; then the driver's probe and start_link:
 * the resets released, HOT_RESET_CTRL as configure_ep writes it (with
 * APP_DLY2_EN), EP mode, the "sys" events unmasked, ENABLE_LTSSM; and
 * the link awaited (the RC told it is up).  The "sys" interrupt is taken.
 */
static void rk_start_linked(Ep *ep, RkPeer *p)
{
    g_autofree char *pre = g_strdup_printf("-chardev socket,id=l,path=%s,"
                                           "reconnect-ms=100", p->path);
    uint32_t id;

    rk_start(ep, NULL, pre, ",chardev=l");
    rk_peer_accept(p);
    qtest_writel(ep->qts, ep->rst + RK3588_RST, 0);
    qtest_writel(ep->qts, ep->apb + RK3588_HOT_RESET_CTRL,
                 RK3588_CONFIGURE_EP);
    qtest_writel(ep->qts, ep->apb + RK3588_GENERAL_CON, RK3588_MODE_EP);
    qtest_writel(ep->qts, ep->apb + RK3588_INTR_MASK_MISC,
                 RK3588_UNMASK_MISC);
    qtest_writel(ep->qts, ep->apb + RK3588_GENERAL_CON, RK3588_ENABLE_LTSSM);
    rk_peer_wait_link(p, 1);
    rk_assert_link(ep, true);
    g_assert_true(qtest_get_irq(ep->qts, RK3588_IRQ_SYS));
    g_assert_cmphex(rk_take_misc(ep), ==, RK3588_LINK_UP_CHGED);
    /* the RC sees the function */
    g_assert_cmpint(rk_rc_cfg_read(p, PCI_VENDOR_ID, &id), ==, PL_STATUS_SC);
    g_assert_cmphex(id, ==, (uint32_t)DW_PCIE_EP_DEFAULT_DEVICE_ID << 16 |
                    DW_PCIE_EP_DEFAULT_VENDOR_ID);
}

/*
 * The hot reset delay (configure_ep sets APP_DLY2_EN): a link that goes
 * down without the EP asking (here the RC goes away, with ENABLE_LTSSM
 * still set) is a LINK_REQ_RST_NOT_INT event as well as a
 * RDLH_LINK_UP_CHGED one, and raises "sys"; when the RC is back the link
 * stays down (the RC's config read is UR, nobody told it the link is up),
 * whatever GENERAL_CON and the reset block are written, until the IRQ
 * thread writes APP_DLY2_DONE, which trains it at once.
 * Without APP_DLY2_EN the same link down does not hold the link: it
 * trains again as soon as the RC is back.
 */
static void test_rk_hot_reset_hold(void)
{
    uint32_t id;
    RkPeer p;
    Ep ep;

    rk_peer_start(&p);
    rk_start_linked(&ep, &p);

    g_test_message("APP_DLY2_EN: the RC goes away");
    rk_peer_drop(&p);
    rk_wait_misc(&ep, RK3588_REQ_RST_NOT_INT);
    rk_assert_link(&ep, false);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_MISC_BOTH);
    /* back: the HELLO is served before the read, which finds no link */
    g_test_message("APP_DLY2_EN: the RC is back, the link held");
    rk_peer_accept(&p);
    g_assert_cmpint(rk_rc_cfg_read(&p, PCI_VENDOR_ID, &id), ==,
                    PL_STATUS_UR);
    g_assert_cmpint(p.link, ==, -1);
    rk_assert_link(&ep, false);
    g_assert_cmphex(rk_apb(&ep, RK3588_INTR_STATUS_MISC), ==, 0);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    /*
     * the driver left ENABLE_LTSSM set all along; setting it again, or
     * releasing the (released) resets again, ends no hold
     */
    g_assert_cmphex(rk_apb(&ep, RK3588_GENERAL_CON) & RK3588_LTSSM_BIT, ==,
                    RK3588_LTSSM_BIT);
    qtest_writel(ep.qts, ep.apb + RK3588_GENERAL_CON, RK3588_ENABLE_LTSSM);
    qtest_writel(ep.qts, ep.rst + RK3588_RST, 0);
    rk_assert_link(&ep, false);
    g_assert_cmpint(rk_rc_cfg_read(&p, PCI_VENDOR_ID, &id), ==,
                    PL_STATUS_UR);
    /* rockchip_pcie_ep_sys_irq_thread: stop delaying link training */
    g_test_message("APP_DLY2_DONE");
    qtest_writel(ep.qts, ep.apb + RK3588_HOT_RESET_CTRL,
                 RK_WM16(RK3588_APP_DLY2_DONE, RK3588_APP_DLY2_DONE));
    rk_assert_link(&ep, true);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_LINK_UP_CHGED);
    rk_peer_wait_link(&p, 1);
    g_assert_cmpint(rk_rc_cfg_read(&p, PCI_VENDOR_ID, &id), ==,
                    PL_STATUS_SC);

    /* without APP_DLY2_EN: no hold */
    g_test_message("no APP_DLY2_EN: the RC goes away and comes back");
    writel_reads(&ep, ep.apb + RK3588_HOT_RESET_CTRL,
                 RK_WM16(RK3588_APP_DLY2_EN, 0), RK3588_ENABLE_ENHANCE);
    rk_peer_drop(&p);
    rk_wait_misc(&ep, RK3588_REQ_RST_NOT_INT);
    rk_assert_link(&ep, false);
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_MISC_BOTH);
    rk_peer_accept(&p);
    rk_peer_wait_link(&p, 1);
    rk_assert_link(&ep, true);
    g_assert_cmpint(rk_rc_cfg_read(&p, PCI_VENDOR_ID, &id), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_LINK_UP_CHGED);

    /* the EP's own stop_link is no reset request, and holds nothing */
    g_test_message("APP_DLY2_EN: stop_link, start_link");
    qtest_writel(ep.qts, ep.apb + RK3588_HOT_RESET_CTRL,
                 RK_WM16(RK3588_APP_DLY2_EN, RK3588_APP_DLY2_EN));
    qtest_writel(ep.qts, ep.apb + RK3588_GENERAL_CON, RK3588_DISABLE_LTSSM);
    rk_peer_wait_link(&p, 0);
    rk_assert_link(&ep, false);
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_LINK_UP_CHGED);
    qtest_writel(ep.qts, ep.apb + RK3588_GENERAL_CON, RK3588_ENABLE_LTSSM);
    rk_peer_wait_link(&p, 1);
    rk_assert_link(&ep, true);
    g_assert_cmphex(rk_take_misc(&ep), ==, RK3588_LINK_UP_CHGED);
    qtest_quit(ep.qts);
    rk_peer_stop(&p);
}

/*
 * The BAR rules of rockchip_pcie_epc_features_rk3588 as the DBI shows
 * them: BAR4 reserved, enabled from reset with 8 KiB (DBI2 mask 0x1fff)
 * and no DBI2 write changing that (logged as a guest error), also after a
 * system reset; BAR0-3 and BAR5 resizable: their DBI2 mask takes the
 * enable bit, and the Resizable BAR capability at 0x100 has one entry
 * each, BAR indexes 0, 1, 2, 3, 5 in order, the first CTRL's NBAR
 * saying 5, and no sixth entry; each entry's CAP written under
 * DBI_RO_WR_EN selects its size.  MSI-X is in the capability chain.
 */
static void test_rk_bar_rules(void)
{
    static const uint32_t pats[] = { 0, 0xfffffffe, 0xffffffff, 0xfff, 0x1 };
    g_autofree char *log = tmp_log("dw-pcie-ep-rk3588-XXXXXX.log");
    unsigned i, round, nrebar = ARRAY_SIZE(rk3588_rebar_bars);
    bool msix = false;
    uint8_t pos;
    Ep ep;

    rk_start(&ep, log, NULL, NULL);
    for (round = 0; round < 2; round++) {
        g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4), ==,
                        (RK3588_BAR4_SIZE - 1) | 1);
        for (i = 0; i < ARRAY_SIZE(pats); i++) {
            g_test_message("round %u: BAR4 <- 0x%08x", round, pats[i]);
            writel_reads(&ep, ep.dbi2 + PCI_BASE_ADDRESS_4, pats[i],
                         (RK3588_BAR4_SIZE - 1) | 1);
        }
        g_assert_true(log_has(log, "BAR4 is reserved by the hardware"));
        for (i = 0; i < nrebar; i++) {
            uint64_t mask = ep.dbi2 + PCI_BASE_ADDRESS_0 +
                            4 * rk3588_rebar_bars[i];

            g_assert_cmphex(qtest_readl(ep.qts, mask), ==, 0);
            writel_reads(&ep, mask, 1, 1);
        }
        qtest_system_reset(ep.qts);
    }

    /* the Resizable BAR capability: header, then one entry per BAR */
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + 0x100) & 0xffff, ==,
                    PCI_EXT_CAP_ID_REBAR);
    for (i = 0; i < nrebar; i++) {
        uint64_t cap = ep.dbi + 0x104 + 8 * i, ctrl = cap + 4;
        uint32_t v = qtest_readl(ep.qts, ctrl);
        uint32_t sizes = qtest_readl(ep.qts, cap);

        g_test_message("entry %u: CAP 0x%08x CTRL 0x%08x", i, sizes, v);
        g_assert_cmpuint(v & PCI_REBAR_CTRL_BAR_IDX, ==,
                         rk3588_rebar_bars[i]);
        if (i == 0) {
            g_assert_cmpuint((v & PCI_REBAR_CTRL_NBAR_MASK) >>
                             PCI_REBAR_CTRL_NBAR_SHIFT, ==, nrebar);
        }
        /* dw_pcie_ep_set_bar_resizable(): CAP = 4 MiB -> BAR Size 2 */
        g_assert_cmphex(sizes, !=, 1 << 6);
        writel_reads(&ep, cap, 1 << 6, sizes);
        ro_wr(&ep, true);
        qtest_writel(ep.qts, cap, 1 << 6);
        ro_wr(&ep, false);
        g_assert_cmphex(qtest_readl(ep.qts, cap), ==, 1 << 6);
        g_assert_cmphex((qtest_readl(ep.qts, ctrl) &
                         PCI_REBAR_CTRL_BAR_SIZE) >>
                        PCI_REBAR_CTRL_BAR_SHIFT, ==, 2);
        /* the other entries' selections stay as they were */
        if (i + 1 < nrebar) {
            g_assert_cmphex(qtest_readl(ep.qts, ctrl + 8) &
                            PCI_REBAR_CTRL_BAR_SIZE, ==, 0);
        }
    }
    /* no sixth entry, not even with DBI_RO_WR_EN */
    ro_wr(&ep, true);
    qtest_writel(ep.qts, ep.dbi + 0x104 + 8 * nrebar, 0xfffffff0);
    qtest_writel(ep.qts, ep.dbi + 0x108 + 8 * nrebar, 0x000000e4);
    ro_wr(&ep, false);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + 0x104 + 8 * nrebar), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + 0x108 + 8 * nrebar), ==, 0);

    /* MSI-X among the capabilities (PCI_FIND_NEXT_CAP's walk) */
    pos = qtest_readb(ep.qts, ep.dbi + PCI_CAPABILITY_LIST);
    for (i = 0; pos && i < 48; i++) {
        uint16_t ent = qtest_readw(ep.qts, ep.dbi + pos);

        msix |= (ent & 0xff) == PCI_CAP_ID_MSIX;
        pos = ent >> 8;
    }
    g_assert_cmpuint(pos, ==, 0);
    g_assert_true(msix);
    qtest_quit(ep.qts);
    unlink(log);
}

/*
 * The eDMA where RK3588 has it: the "atu" region is 1 MiB, the iATU at
 * its offset 0 (regions written and read as on the qemu face, nothing
 * past region 255: no register there, and region 0 is not what answers),
 * the eDMA at 0x80000: DMA_CTRL says 2 write and 2 read channels (the
 * binding's dma0..dma3), and its interrupt emulation (the doorbell the
 * host rings through BAR4) raises the "dma" line.
 */
static void test_rk_atu_edma(void)
{
    uint64_t ob0, ib0, past;
    uint32_t ctrl;
    Ep ep;

    rk_start(&ep, NULL, NULL, NULL);
    g_assert_cmphex(region_size(ep.qts, "dw-pcie-ep.atu-edma"), ==,
                    RK3588_ATU_SIZE);
    ctrl = qtest_readl(ep.qts, ep.atu + RK3588_ATU_EDMA + RK3588_EDMA_CTRL);
    g_assert_cmphex(ctrl & RK3588_EDMA_WR_CH, ==, 2);
    g_assert_cmphex((ctrl & RK3588_EDMA_RD_CH) >> 16, ==, 2);

    ob0 = ep.atu + RK3588_IATU_LOWER_TARGET;
    ib0 = ep.atu + RK3588_IATU_INBOUND + RK3588_IATU_LOWER_TARGET;
    qtest_writel(ep.qts, ob0, 0x11110000);
    qtest_writel(ep.qts, ib0, 0x22220000);
    g_assert_cmphex(qtest_readl(ep.qts, ob0), ==, 0x11110000);
    g_assert_cmphex(qtest_readl(ep.qts, ib0), ==, 0x22220000);
    /* region 256: past the 256 an index can have */
    past = 256 << 9;
    g_assert_cmphex(qtest_readl(ep.qts, ob0 + past), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ib0 + past), ==, 0);
    qtest_writel(ep.qts, ob0 + past, 0x33330000);
    qtest_writel(ep.qts, ib0 + past, 0x44440000);
    g_assert_cmphex(qtest_readl(ep.qts, ob0 + past), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ib0 + past), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ob0), ==, 0x11110000);
    g_assert_cmphex(qtest_readl(ep.qts, ib0), ==, 0x22220000);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + RK3588_ATU_EDMA - 4), ==, 0);

    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    qtest_writel(ep.qts, ep.dma + RK3588_EDMA_RD_INT_STATUS, 0);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_SYS));
    qtest_writel(ep.qts, ep.dma + RK3588_EDMA_RD_INT_CLEAR, 0);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    qtest_quit(ep.qts);
}

/*
 * BAR4 from the RC: 8 KiB, and whatever the EP does with it (a DBI2 write
 * of 0 as dw_pcie_ep_reset_bar would make, an inbound iATU region for
 * BAR4 onto EP RAM) what the RC reads and writes there is the eDMA's
 * register block from its offset 0: DMA_CTRL, and the doorbell
 * (rd_int_status) that raises the eDMA's interrupt; past 8 KiB, UR.
 */
static void test_rk_bar4_edma(void)
{
    const uint64_t bar4 = 0x10000000;
    uint32_t v;
    RkPeer p;
    Ep ep;

    rk_peer_start(&p);
    rk_start_linked(&ep, &p);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_4, 0);
    qtest_writel(ep.qts, 0x40000008, 0xdeadbeef);
    iatu_bar_match(ep.qts, ep.atu + IATU_REGION(0) + IATU_INBOUND, 4,
                   0x40000000);
    /* the RC sizes BAR4, places it and enables memory */
    rk_rc_cfg_write(&p, PCI_BASE_ADDRESS_4, 0xffffffff);
    g_assert_cmpint(rk_rc_cfg_read(&p, PCI_BASE_ADDRESS_4, &v), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(v, ==, (uint32_t)~(RK3588_BAR4_SIZE - 1));
    rk_rc_cfg_write(&p, PCI_BASE_ADDRESS_4, bar4);
    rk_rc_cfg_write(&p, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

    g_assert_cmpint(rk_rc_mem_read(&p, 4, bar4 + RK3588_EDMA_CTRL, &v), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(v & (RK3588_EDMA_WR_CH | RK3588_EDMA_RD_CH), ==,
                    0x00020002);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    /* the doorbell; the read after it completes after it */
    rk_rc_mem_write(&p, 4, bar4 + RK3588_EDMA_RD_INT_STATUS, 0);
    g_assert_cmpint(rk_rc_mem_read(&p, 4, bar4 + RK3588_EDMA_CTRL, &v), ==,
                    PL_STATUS_SC);
    rk_assert_link(&ep, true);
    g_assert_true(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    rk_rc_mem_write(&p, 4, bar4 + RK3588_EDMA_RD_INT_CLEAR, 0);
    g_assert_cmpint(rk_rc_mem_read(&p, 4, bar4 + RK3588_EDMA_CTRL, &v), ==,
                    PL_STATUS_SC);
    rk_assert_link(&ep, true);
    g_assert_false(qtest_get_irq(ep.qts, RK3588_IRQ_DMA));
    /* the last word of the BAR, then past it */
    g_assert_cmpint(rk_rc_mem_read(&p, 4, bar4 + RK3588_BAR4_SIZE - 4, &v),
                    ==, PL_STATUS_SC);
    g_assert_cmpint(rk_rc_mem_read(&p, 4, bar4 + RK3588_BAR4_SIZE, &v), ==,
                    PL_STATUS_UR);
    /* EP RAM kept its word */
    g_assert_cmphex(qtest_readl(ep.qts, 0x40000008), ==, 0xdeadbeef);
    qtest_quit(ep.qts);
    rk_peer_stop(&p);
}

/*
 * The PHY GRF and PHP GRF as phy-rockchip-snps-pcie3 (rk3588) writes
 * them: the lane registers (0x1004, 0x1104, 0x2004, 0x2104), CMN_CON0 and
 * PCIESEL_CON take only the low bits whose write-enable bit is set, each
 * register its own; PHY0/PHY1_STATUS1 bit 0 (SRAM init done) reads 1
 * only while the PHY's reset (bit 2 of the reset block) is released,
 * whatever the controller's resets are.  The PHY's own registers read 0
 * and take no write.
 */
static void test_rk_phy_grf(void)
{
    static const unsigned lanes[] = {
        RK3588_GRF_PHY0_LN0_CON1, RK3588_GRF_PHY0_LN1_CON1,
        RK3588_GRF_PHY1_LN0_CON1, RK3588_GRF_PHY1_LN1_CON1,
    };
    static const uint32_t rst[] = {
        RK3588_RST_ALL, RK3588_RST_PWR | RK3588_RST_PIPE, RK3588_RST_PHY,
        0, RK3588_RST_PWR,
    };
    unsigned i, j;
    Ep ep;

    rk_start(&ep, NULL, NULL, NULL);
    for (i = 0; i < ARRAY_SIZE(lanes); i++) {
        uint64_t a = ep.phy_grf + lanes[i];

        g_test_message("PHY GRF 0x%04x", lanes[i]);
        /* RX common refclk mode is on from reset (the PHY driver says so) */
        g_assert_cmphex(qtest_readl(ep.qts, a), ==, 0x80);
        writel_reads(&ep, a, 0x0000ffff, 0x80);
        writel_reads(&ep, a, RK3588_REFCLK_MODE_DIS, 0);
        for (j = 0; j < ARRAY_SIZE(lanes); j++) {
            g_assert_cmphex(qtest_readl(ep.qts, ep.phy_grf + lanes[j]), ==,
                            j == i ? 0 : 0x80);
        }
        writel_reads(&ep, a, RK3588_REFCLK_MODE_EN, 0x80);
        for (j = 0; j < ARRAY_SIZE(lanes); j++) {
            g_assert_cmphex(qtest_readl(ep.qts, ep.phy_grf + lanes[j]), ==,
                            0x80);
        }
    }
    writel_reads(&ep, ep.phy_grf + lanes[1], RK3588_REFCLK_MODE_DIS, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.phy_grf + lanes[0]), ==, 0x80);
    /* CMN_CON0: BIT(8) | BIT(24), then PHY_MODE_EN | aggregation */
    writel_reads(&ep, ep.phy_grf + RK3588_GRF_CMN_CON0,
                 RK_WM16(1u << 8, 1u << 8), 0x100);
    writel_reads(&ep, ep.phy_grf + RK3588_GRF_CMN_CON0,
                 RK3588_PHY_MODE_EN | RK3588_LANE_AGGREGATION | 0x8, 0x104);
    writel_reads(&ep, ep.phy_grf + RK3588_GRF_CMN_CON0, 0x0000ffff, 0x104);
    /* PHP GRF PCIESEL_CON: the lane selection, bits 1:0 */
    writel_reads(&ep, ep.php_grf + RK3588_PHP_PCIESEL_CON,
                 RK3588_PCIE1LN_SEL_EN | 0x1, 0x1);
    writel_reads(&ep, ep.php_grf + RK3588_PHP_PCIESEL_CON, 0x00000006, 0x1);
    writel_reads(&ep, ep.php_grf + RK3588_PHP_PCIESEL_CON, RK_WM16(1, 0) | 0x2,
                 0);
    /* SRAM init done follows the PHY's reset */
    for (i = 0; i < ARRAY_SIZE(rst); i++) {
        uint32_t done = rst[i] & RK3588_RST_PHY ? 0 : RK3588_SRAM_INIT_DONE;

        g_test_message("reset block 0x%x", rst[i]);
        if (i) {
            qtest_writel(ep.qts, ep.rst + RK3588_RST, rst[i]);
        }
        g_assert_cmphex(qtest_readl(ep.qts, ep.rst + RK3588_RST), ==, rst[i]);
        g_assert_cmphex(qtest_readl(ep.qts, ep.phy_grf +
                                    RK3588_GRF_PHY0_STATUS1) &
                        RK3588_SRAM_INIT_DONE, ==, done);
        g_assert_cmphex(qtest_readl(ep.qts, ep.phy_grf +
                                    RK3588_GRF_PHY1_STATUS1) &
                        RK3588_SRAM_INIT_DONE, ==, done);
    }
    /* the PHY's registers: the driver maps them and never touches them */
    writel_reads(&ep, ep.phy + 0x10, 0xffffffff, 0);
    qtest_quit(ep.qts);
}

/* Run @argv (NULL-terminated) under timeout(1); its stdout, or NULL. */
static char *rk_run(const char *const *argv)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new();
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    const char *what = argv[0];
    char *out = NULL;
    int status;

    g_ptr_array_add(a, (char *)"timeout");
    g_ptr_array_add(a, (char *)"-k");
    g_ptr_array_add(a, (char *)"5");
    g_ptr_array_add(a, (char *)ASSERT_START_FAILS_S);
    for (; *argv; argv++) {
        g_ptr_array_add(a, (char *)*argv);
    }
    g_ptr_array_add(a, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)a->pdata, NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &gerr));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_test_message("%s failed: %s", what, err);
        g_free(out);
        return NULL;
    }
    return out;
}

/*
 * Property @prop of node @node in @dtb as fdtget prints it with @type
 * ("s" strings, "x" cells in hex), blanks trimmed; "none" if absent.
 */
static char *rk_fdt(const char *dtb, const char *node, const char *prop,
                    const char *type)
{
    const char *argv[] = {
        "fdtget", "-d", "none", "-t", type, dtb, node, prop, NULL
    };
    char *out = rk_run(argv);

    g_assert_nonnull(out);
    return g_strstrip(out);
}

/* The cells of a hex property as numbers; their count in @n */
static uint64_t *rk_fdt_cells(const char *dtb, const char *node,
                              const char *prop, unsigned *n)
{
    g_autofree char *s = rk_fdt(dtb, node, prop, "x");
    g_auto(GStrv) v = g_strsplit(s, " ", -1);
    uint64_t *c = g_new0(uint64_t, g_strv_length(v) + 1);
    unsigned i;

    for (i = 0; v[i]; i++) {
        c[i] = g_ascii_strtoull(v[i], NULL, 16);
    }
    *n = i;
    return c;
}

/* The path of the root's subnode whose phandle is @ph */
static char *rk_fdt_by_phandle(const char *dtb, char *const *nodes,
                               uint64_t ph)
{
    unsigned i;

    for (i = 0; nodes[i]; i++) {
        g_autofree char *path = g_strconcat("/", nodes[i], NULL);
        g_autofree char *v = NULL;

        if (!*nodes[i]) {
            continue;
        }
        v = rk_fdt(dtb, path, "phandle", "x");
        if (strcmp(v, "none") && g_ascii_strtoull(v, NULL, 16) == ph) {
            return g_steal_pointer(&path);
        }
    }
    g_test_message("no node with phandle 0x%" PRIx64, ph);
    g_assert_not_reached();
    return NULL;
}

/* The root's subnode that property @prop of @node (one phandle) names */
static char *rk_fdt_ref(const char *dtb, char *const *nodes, const char *node,
                        const char *prop)
{
    g_autofree uint64_t *c = NULL;
    unsigned n;

    c = rk_fdt_cells(dtb, node, prop, &n);
    g_assert_cmpuint(n, ==, 1);
    return rk_fdt_by_phandle(dtb, nodes, c[0]);
}

/* A node's one "reg" entry (2 address and 2 size cells) */
static void rk_fdt_reg1(const char *dtb, const char *node, uint64_t *addr,
                        uint64_t *size)
{
    g_autofree uint64_t *c = NULL;
    unsigned n;

    c = rk_fdt_cells(dtb, node, "reg", &n);
    g_assert_cmpuint(n, ==, 4);
    *addr = c[0] << 32 | c[1];
    *size = c[2] << 32 | c[3];
}

/*
 * The device tree node as pcie-dw-rockchip, the rk3588 EP binding and
 * phy-rockchip-snps-pcie3 need it (QEMU dumps the DTB of the same command
 * line as a qtest QEMU's, whose regions say where things are): "reg" in
 * the binding's order of reg-names (dbi, dbi2, apb, addr_space, atu; no
 * "dma": the eDMA is in "atu") at the regions' addresses and sizes;
 * interrupt-names sys, pmc, msg, legacy, err, dma0..dma3, the four dma
 * ones the eDMA's line and sys the one after it (sysbus 0 and 1); the
 * five clocks; resets "pwr" and "pipe" are reset block lines 0 and 1
 * ("snps,dw-high-reset" at the rst region); the PHY "pcie-phy" at the
 * phy region with its reset "phy" (line 2), one clock "pclk", and its
 * phy-grf and pipe-grf syscons at the GRF regions, each big enough for
 * the registers the PHY driver uses (0x2104, 0x100); no msi-map (the
 * doorbell is BAR4's).
 */
static void test_rk_dtb(void)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *dir = g_dir_make_tmp("dw-pcie-ep-rk3588-XXXXXX", NULL);
    g_autofree char *dtb = g_build_filename(dir, "virt.dtb", NULL);
    g_autofree char *machine = g_strdup_printf("virt,gic-version=3,"
                                               "dumpdtb=%s", dtb);
    const char *dump[] = {
        qemu, "-machine", machine, "-nodefaults", "-display", "none",
        "-device", "dw-pcie-ep-rk3588,id=ep", NULL
    };
    const char *list[] = { "fdtget", "-l", dtb, "/", NULL };
    g_autofree char *dumped = NULL, *subnodes = NULL, *node = NULL;
    g_autofree char *rst = NULL, *phy = NULL, *grf = NULL, *pipe = NULL;
    g_autofree uint64_t *reg = NULL, *irq = NULL, *res = NULL;
    g_autofree uint64_t *clk = NULL, *cell = NULL;
    g_auto(GStrv) nodes = NULL;
    uint64_t want[5][2], a, s;
    unsigned n, i;
    char *v;
    Ep ep;

    g_assert_nonnull(qemu);
    g_assert_nonnull(dir);
    rk_start(&ep, NULL, NULL, NULL);
    want[0][0] = ep.dbi;
    want[1][0] = ep.dbi2;
    want[2][0] = ep.apb;
    want[3][0] = ep.addr_space;
    want[4][0] = ep.atu;
    want[0][1] = region_size(ep.qts, "dw-pcie-ep.dbi");
    want[1][1] = region_size(ep.qts, "dw-pcie-ep.dbi2");
    want[2][1] = region_size(ep.qts, "dw-pcie-ep-rk3588.apb");
    want[3][1] = region_size(ep.qts, "dw-pcie-ep.addr_space");
    want[4][1] = RK3588_ATU_SIZE;

    dumped = rk_run(dump);
    g_assert_nonnull(dumped);
    subnodes = rk_run(list);
    g_assert_nonnull(subnodes);
    nodes = g_strsplit(subnodes, "\n", -1);
    for (i = 0; nodes[i]; i++) {
        if (g_str_has_prefix(nodes[i], "pcie-ep@")) {
            g_assert_null(node);
            node = g_strconcat("/", nodes[i], NULL);
        }
    }
    g_assert_nonnull(node);
#define RK_FDT_STR(n, p, want_) do {                                        \
        g_autofree char *s_ = rk_fdt(dtb, (n), (p), "s");                   \
        g_test_message("%s %s: %s", (n), (p), s_);                          \
        g_assert_cmpstr(s_, ==, (want_));                                   \
    } while (0)
    RK_FDT_STR(node, "compatible", "rockchip,rk3588-pcie-ep");
    RK_FDT_STR(node, "reg-names", "dbi dbi2 apb addr_space atu");
    reg = rk_fdt_cells(dtb, node, "reg", &n);
    g_assert_cmpuint(n, ==, 20);
    for (i = 0; i < 5; i++) {
        g_assert_cmphex(reg[4 * i] << 32 | reg[4 * i + 1], ==, want[i][0]);
        g_assert_cmphex(reg[4 * i + 2] << 32 | reg[4 * i + 3], ==,
                        want[i][1]);
    }
    RK_FDT_STR(node, "interrupt-names",
               "sys pmc msg legacy err dma0 dma1 dma2 dma3");
    irq = rk_fdt_cells(dtb, node, "interrupts", &n);
    g_assert_cmpuint(n, ==, 27);
    for (i = 0; i < 9; i++) {
        g_assert_cmphex(irq[3 * i], ==, 0);             /* SPI */
        g_assert_cmphex(irq[3 * i + 1], ==,
                        irq[3 * 5 + 1] + (i < 5 ? i + 1 : 0));
    }
    RK_FDT_STR(node, "clock-names", "aclk_mst aclk_slv aclk_dbi pclk aux");
    clk = rk_fdt_cells(dtb, node, "clocks", &n);
    g_assert_cmpuint(n, ==, 5);
    RK_FDT_STR(node, "reset-names", "pwr pipe");
    res = rk_fdt_cells(dtb, node, "resets", &n);
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmphex(res[0], ==, res[2]);
    g_assert_cmphex(res[1], ==, 0);                     /* pwr: bit 0 */
    g_assert_cmphex(res[3], ==, 1);                     /* pipe: bit 1 */
    rst = rk_fdt_by_phandle(dtb, nodes, res[0]);
    RK_FDT_STR(rst, "compatible", "snps,dw-high-reset");
    rk_fdt_reg1(dtb, rst, &a, &s);
    g_assert_cmphex(a, ==, ep.rst);
    g_assert_cmphex(s, >=, 4);
    v = rk_fdt(dtb, node, "msi-map", "x");
    g_assert_cmpstr(v, ==, "none");
    g_free(v);

    RK_FDT_STR(node, "phy-names", "pcie-phy");
    phy = rk_fdt_ref(dtb, nodes, node, "phys");
    RK_FDT_STR(phy, "compatible", "rockchip,rk3588-pcie3-phy");
    rk_fdt_reg1(dtb, phy, &a, &s);
    g_assert_cmphex(a, ==, ep.phy);
    cell = rk_fdt_cells(dtb, phy, "#phy-cells", &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmphex(cell[0], ==, 0);
    g_free(cell);
    RK_FDT_STR(phy, "clock-names", "pclk");
    RK_FDT_STR(phy, "reset-names", "phy");
    cell = rk_fdt_cells(dtb, phy, "resets", &n);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmphex(cell[0], ==, res[0]);
    g_assert_cmphex(cell[1], ==, 2);                    /* phy: bit 2 */
    grf = rk_fdt_ref(dtb, nodes, phy, "rockchip,phy-grf");
    pipe = rk_fdt_ref(dtb, nodes, phy, "rockchip,pipe-grf");
    RK_FDT_STR(grf, "compatible", "rockchip,rk3588-pcie3-phy-grf syscon");
    rk_fdt_reg1(dtb, grf, &a, &s);
    g_assert_cmphex(a, ==, ep.phy_grf);
    g_assert_cmphex(s, >=, RK3588_GRF_PHY1_LN1_CON1 + 4);
    RK_FDT_STR(pipe, "compatible", "rockchip,rk3588-php-grf syscon");
    rk_fdt_reg1(dtb, pipe, &a, &s);
    g_assert_cmphex(a, ==, ep.php_grf);
    g_assert_cmphex(s, >=, RK3588_PHP_PCIESEL_CON + 4);
#undef RK_FDT_STR
    qtest_quit(ep.qts);
    unlink(dtb);
    rmdir(dir);
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
    qtest_add_func("/dw-pcie-ep-rk3588/apb-regs", test_rk_apb_regs);
    qtest_add_func("/dw-pcie-ep-rk3588/link", test_rk_link);
    qtest_add_func("/dw-pcie-ep-rk3588/hot-reset-hold",
                   test_rk_hot_reset_hold);
    qtest_add_func("/dw-pcie-ep-rk3588/bar-rules", test_rk_bar_rules);
    qtest_add_func("/dw-pcie-ep-rk3588/atu-edma", test_rk_atu_edma);
    qtest_add_func("/dw-pcie-ep-rk3588/bar4-edma", test_rk_bar4_edma);
    qtest_add_func("/dw-pcie-ep-rk3588/phy-grf", test_rk_phy_grf);
    qtest_add_func("/dw-pcie-ep-rk3588/dtb", test_rk_dtb);
    return g_test_run();
}

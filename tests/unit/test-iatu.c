/*
 * Unit tests of the iATU register decode and translation
 * (qemu/hw/pci-ep/dw-pcie-iatu.c), driven the way Linux 7.2's DWC core
 * programs regions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-iatu.h"

#define LIMIT_BITS 36   /* a 64 GiB largest region */

static void wr(DwIatuRegion *r, unsigned off, uint32_t v)
{
    g_assert_true(dw_iatu_reg_write(r, off, v, LIMIT_BITS));
}

static uint32_t rd(const DwIatuRegion *r, unsigned off)
{
    uint32_t v = 0xdeadbeef;

    g_assert_true(dw_iatu_reg_read(r, off, &v));
    return v;
}

/* What dw_pcie_prog_outbound_atu()/dw_pcie_prog_inbound_atu() write. */
static void prog_addr(DwIatuRegion *r, uint64_t base, uint64_t size,
                      uint64_t target)
{
    uint64_t limit = base + size - 1;
    uint32_t ctrl1 = DW_IATU_CTRL1_TYPE_MEM;

    dw_iatu_region_reset(r);
    wr(r, DW_IATU_LOWER_BASE, (uint32_t)base);
    wr(r, DW_IATU_UPPER_BASE, base >> 32);
    wr(r, DW_IATU_LOWER_LIMIT, (uint32_t)limit);
    wr(r, DW_IATU_UPPER_LIMIT, limit >> 32);
    wr(r, DW_IATU_LOWER_TARGET, (uint32_t)target);
    wr(r, DW_IATU_UPPER_TARGET, target >> 32);
    if ((limit >> 32) > (base >> 32)) {
        ctrl1 |= DW_IATU_CTRL1_INCREASE_REGION_SIZE;
    }
    wr(r, DW_IATU_REGION_CTRL1, ctrl1);
    wr(r, DW_IATU_REGION_CTRL2, DW_IATU_CTRL2_ENABLE);
}

/* What dw_pcie_prog_ep_inbound_atu() writes. */
static void prog_bar(DwIatuRegion *r, unsigned bar, uint64_t target)
{
    dw_iatu_region_reset(r);
    wr(r, DW_IATU_LOWER_TARGET, (uint32_t)target);
    wr(r, DW_IATU_UPPER_TARGET, target >> 32);
    wr(r, DW_IATU_REGION_CTRL1, DW_IATU_CTRL1_TYPE_MEM);
    wr(r, DW_IATU_REGION_CTRL2, DW_IATU_CTRL2_ENABLE |
       DW_IATU_CTRL2_FUNC_NUM_MATCH_EN | DW_IATU_CTRL2_BAR_MODE_ENABLE |
       (bar << DW_IATU_CTRL2_BAR_SHIFT));
}

/* The detection sequence of dw_pcie_iatu_detect_regions(). */
static void test_detect(void)
{
    DwIatuRegion r;
    uint32_t v;

    dw_iatu_region_reset(&r);
    wr(&r, DW_IATU_LOWER_TARGET, 0x11110000);
    g_assert_cmphex(rd(&r, DW_IATU_LOWER_TARGET), ==, 0x11110000);
    wr(&r, DW_IATU_LOWER_LIMIT, 0);
    g_assert_cmphex(rd(&r, DW_IATU_LOWER_LIMIT), ==, 0xfff);   /* align 4K */
    wr(&r, DW_IATU_UPPER_LIMIT, 0xffffffff);
    g_assert_cmphex(rd(&r, DW_IATU_UPPER_LIMIT), ==, 0xf);     /* 64 GiB */
    wr(&r, DW_IATU_LOWER_BASE, 0x12345678);
    g_assert_cmphex(rd(&r, DW_IATU_LOWER_BASE), ==, 0x12345000);
    g_assert_false(dw_iatu_reg_read(&r, 0x1c, &v));
    g_assert_false(dw_iatu_reg_write(&r, 0x24, 0, LIMIT_BITS));
    g_assert_true(dw_iatu_reg_write(&r, DW_IATU_UPPER_LIMIT, ~0u, 32));
    g_assert_cmphex(rd(&r, DW_IATU_UPPER_LIMIT), ==, 0);
    g_assert_true(dw_iatu_reg_write(&r, DW_IATU_UPPER_LIMIT, ~0u, 64));
    g_assert_cmphex(rd(&r, DW_IATU_UPPER_LIMIT), ==, 0xffffffff);
}

static void test_outbound_edges(void)
{
    DwIatuRegion r[2];
    uint64_t out, room;

    prog_addr(&r[0], 0x10000000, 0x10000, 0xabcd0000);
    dw_iatu_region_reset(&r[1]);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, 0);
    g_assert_cmphex(out, ==, 0xabcd0000);
    g_assert_cmphex(room, ==, 0x10000);
    /* last byte */
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x1000ffff, &out, &room),
                    ==, 0);
    g_assert_cmphex(out, ==, 0xabcdffff);
    g_assert_cmphex(room, ==, 1);
    /* one past, one before */
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10010000, &out, &room),
                    ==, -1);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x0fffffff, &out, &room),
                    ==, -1);
    /* disabled region */
    wr(&r[0], DW_IATU_REGION_CTRL2, 0);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, -1);
    /* limit below base matches nothing */
    prog_addr(&r[0], 0x10000000, 0x10000, 0);
    wr(&r[0], DW_IATU_LOWER_LIMIT, 0x0fff0000);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, -1);
    /* non-MEM type (CFG0) is not a memory translation */
    prog_addr(&r[0], 0x10000000, 0x10000, 0);
    wr(&r[0], DW_IATU_REGION_CTRL1, 0x4);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, -1);
    /* lowest index wins on overlap */
    prog_addr(&r[0], 0x10000000, 0x10000, 0x1000);
    prog_addr(&r[1], 0x10000000, 0x20000, 0x2000);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10008000, &out, &room),
                    ==, 0);
    g_assert_cmphex(out, ==, 0x9000);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10018000, &out, &room),
                    ==, 1);
    g_assert_cmphex(out, ==, 0x1a000);
}

static void test_region_above_4g(void)
{
    DwIatuRegion r;
    uint64_t out, room;

    /* crosses 4 GiB: INCREASE_REGION_SIZE and UPPER_LIMIT in use */
    prog_addr(&r, 0xfff00000ull, 0x200000, 0x8000000000ull);
    g_assert_cmphex(dw_iatu_limit(&r), ==, 0x1000fffffull);
    g_assert_true(dw_iatu_match_addr(&r, false, 0x1000fffffull, &out, &room));
    g_assert_cmphex(out, ==, 0x80001fffffull);
    g_assert_cmphex(room, ==, 1);
    /* without the bit the limit's upper half is the base's */
    wr(&r, DW_IATU_REGION_CTRL1, DW_IATU_CTRL1_TYPE_MEM);
    g_assert_cmphex(dw_iatu_limit(&r), ==, 0x0000fffffull);
    g_assert_false(dw_iatu_match_addr(&r, false, 0xfff00000ull, &out, &room));
}

static void test_inbound_bar_then_addr(void)
{
    DwIatuRegion r[3];
    uint64_t out, room;

    /* region 0: address match on PCI 0x40000000..+64K (a BAR subrange) */
    prog_addr(&r[0], 0x40000000, 0x10000, 0x80100000);
    /* region 1: BAR 2 match */
    prog_bar(&r[1], 2, 0x80200000);
    dw_iatu_region_reset(&r[2]);

    /* BAR match goes first even though region 0's address matches */
    g_assert_cmpint(dw_iatu_translate_inbound(r, 3, 2, 0x100000, 0x10,
                                              0x40000010, &out, &room), ==, 1);
    g_assert_cmphex(out, ==, 0x80200010);
    g_assert_cmphex(room, ==, 0x100000 - 0x10);
    /* another BAR falls back to address match */
    g_assert_cmpint(dw_iatu_translate_inbound(r, 3, 0, 0x100000, 0xfff0,
                                              0x4000fff0, &out, &room), ==, 0);
    g_assert_cmphex(out, ==, 0x8010fff0);
    g_assert_cmphex(room, ==, 0x10);
    /* offset past the BAR never matches in BAR mode */
    g_assert_false(dw_iatu_match_bar(&r[1], 2, 0x100000, 0x100000, &out,
                                     &room));
    /* an address-match region is not used in BAR mode and vice versa */
    g_assert_false(dw_iatu_match_addr(&r[1], true, 0, &out, &room));
    g_assert_false(dw_iatu_match_bar(&r[0], 0, 0x100000, 0, &out, &room));
    /* no match at all: UR */
    g_assert_cmpint(dw_iatu_translate_inbound(r, 3, 4, 0x1000, 0,
                                              0x50000000, &out, &room), ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iatu/detect", test_detect);
    g_test_add_func("/iatu/outbound-edges", test_outbound_edges);
    g_test_add_func("/iatu/above-4g", test_region_above_4g);
    g_test_add_func("/iatu/inbound-bar-then-addr", test_inbound_bar_then_addr);
    return g_test_run();
}

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
    uint32_t ctrl1 = FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM);

    dw_iatu_region_reset(r);
    wr(r, A_IATU_LOWER_BASE, (uint32_t)base);
    wr(r, A_IATU_UPPER_BASE, base >> 32);
    wr(r, A_IATU_LOWER_LIMIT, (uint32_t)limit);
    wr(r, A_IATU_UPPER_LIMIT, limit >> 32);
    wr(r, A_IATU_LOWER_TARGET, (uint32_t)target);
    wr(r, A_IATU_UPPER_TARGET, target >> 32);
    if ((limit >> 32) > (base >> 32)) {
        ctrl1 = FIELD_DP32(ctrl1, IATU_CTRL1, INCREASE_REGION_SIZE, 1);
    }
    wr(r, A_IATU_CTRL1, ctrl1);
    wr(r, A_IATU_CTRL2, R_IATU_CTRL2_REGION_EN_MASK);
}

/* What dw_pcie_prog_ep_inbound_atu() writes. */
static void prog_bar(DwIatuRegion *r, unsigned bar, uint64_t target)
{
    dw_iatu_region_reset(r);
    wr(r, A_IATU_LOWER_TARGET, (uint32_t)target);
    wr(r, A_IATU_UPPER_TARGET, target >> 32);
    wr(r, A_IATU_CTRL1, FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM));
    wr(r, A_IATU_CTRL2, FIELD_DP32(R_IATU_CTRL2_REGION_EN_MASK |
                                   R_IATU_CTRL2_FUNC_NUM_MATCH_EN_MASK |
                                   R_IATU_CTRL2_BAR_MODE_EN_MASK,
                                   IATU_CTRL2, BAR_NUM, bar));
}

/* The detection sequence of dw_pcie_iatu_detect_regions(). */
static void test_detect(void)
{
    DwIatuRegion r;
    uint32_t v;

    dw_iatu_region_reset(&r);
    wr(&r, A_IATU_LOWER_TARGET, 0x11110000);
    g_assert_cmphex(rd(&r, A_IATU_LOWER_TARGET), ==, 0x11110000);
    wr(&r, A_IATU_LOWER_LIMIT, 0);
    g_assert_cmphex(rd(&r, A_IATU_LOWER_LIMIT), ==, 0xfff);   /* align 4K */
    wr(&r, A_IATU_UPPER_LIMIT, 0xffffffff);
    g_assert_cmphex(rd(&r, A_IATU_UPPER_LIMIT), ==, 0xf);     /* 64 GiB */
    wr(&r, A_IATU_LOWER_BASE, 0x12345678);
    g_assert_cmphex(rd(&r, A_IATU_LOWER_BASE), ==, 0x12345000);
    /* the hole after UPPER_TARGET, the word after UPPER_LIMIT */
    g_assert_false(dw_iatu_reg_read(&r, A_IATU_UPPER_TARGET + 4, &v));
    g_assert_false(dw_iatu_reg_write(&r, A_IATU_UPPER_LIMIT + 4, 0,
                                     LIMIT_BITS));
    g_assert_true(dw_iatu_reg_write(&r, A_IATU_UPPER_LIMIT, ~0u, 32));
    g_assert_cmphex(rd(&r, A_IATU_UPPER_LIMIT), ==, 0);
    g_assert_true(dw_iatu_reg_write(&r, A_IATU_UPPER_LIMIT, ~0u, 64));
    g_assert_cmphex(rd(&r, A_IATU_UPPER_LIMIT), ==, 0xffffffff);
}

/* The register table, as the model applies it. */
typedef struct {
    const char *name;
    unsigned offset;
    uint32_t reset, ro, rsvd;
} RegRow;

#define REG_ROW(reg, reset_, ro_, rsvd_) \
    { #reg, A_##reg, (reset_), (ro_), (rsvd_) },

/*
 * Every register of DW_IATU_REGS(): dw_iatu_reg_info() gives its row;
 * after reset it holds its reset value; all ones and all zeros written
 * leave the read-only bits at their reset value and the reserved ones at
 * 0, and store the rest; for three limit widths.
 */
static void test_reg_table(void)
{
    static const unsigned widths[] = { 32, LIMIT_BITS, 64 };
    unsigned w, i;

    for (w = 0; w < G_N_ELEMENTS(widths); w++) {
        const unsigned lb = widths[w];
        const RegRow rows[] = { DW_IATU_REGS(REG_ROW, lb) };

        for (i = 0; i < G_N_ELEMENTS(rows); i++) {
            const RegRow *row = &rows[i];
            uint32_t fixed = row->reset & row->ro;
            uint32_t rw = ~(row->ro | row->rsvd);
            DwIatuRegInfo info;
            DwIatuRegion r;
            uint32_t v;

            g_assert_true(dw_iatu_reg_info(row->offset, lb, &info));
            g_assert_cmpstr(info.name, ==, row->name);
            g_assert_cmphex(info.reset, ==, row->reset);
            g_assert_cmphex(info.ro, ==, row->ro);
            g_assert_cmphex(info.rsvd, ==, row->rsvd);
            g_assert_cmphex(row->ro & row->rsvd, ==, 0);
            g_assert_cmphex(row->reset & row->rsvd, ==, 0);

            dw_iatu_region_reset(&r);
            g_assert_true(dw_iatu_reg_read(&r, row->offset, &v));
            g_assert_cmphex(v, ==, row->reset);
            g_assert_true(dw_iatu_reg_write(&r, row->offset, ~0u, lb));
            g_assert_true(dw_iatu_reg_read(&r, row->offset, &v));
            g_assert_cmphex(v, ==, fixed | rw);
            g_assert_true(dw_iatu_reg_write(&r, row->offset, 0, lb));
            g_assert_true(dw_iatu_reg_read(&r, row->offset, &v));
            g_assert_cmphex(v, ==, fixed);
        }
    }
    /* what detect reads back: 4 KiB alignment, 64 GiB limit */
    g_assert_cmphex(DW_IATU_UPPER_LIMIT_RO(LIMIT_BITS), ==, 0xfffffff0);
    g_assert_cmphex(DW_IATU_MIN_REGION_SIZE, ==, 0x1000);
}

/* The fields Linux 7.2 programs survive a write; the rest reads as 0. */
static void test_ctrl_fields(void)
{
    DwIatuRegion r;
    uint32_t v;

    dw_iatu_region_reset(&r);
    wr(&r, A_IATU_CTRL1, ~0u);
    v = rd(&r, A_IATU_CTRL1);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL1, TYPE), ==, 0x1f);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL1, TD), ==, 1);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL1, INCREASE_REGION_SIZE), ==, 1);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL1, FUNC_NUM), ==, 7);
    g_assert_cmphex(v, ==, DW_IATU_CTRL1_KEPT);
    wr(&r, A_IATU_CTRL2, ~0u);
    v = rd(&r, A_IATU_CTRL2);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL2, MSG_CODE), ==, 0xff);
    g_assert_cmphex(FIELD_EX32(v, IATU_CTRL2, BAR_NUM), ==, 7);
    g_assert_cmphex(v, ==, DW_IATU_CTRL2_KEPT);
    /* dw_pcie_prog_ep_inbound_atu() for function 0, BAR 5 */
    wr(&r, A_IATU_CTRL2, FIELD_DP32(R_IATU_CTRL2_REGION_EN_MASK |
                                    R_IATU_CTRL2_FUNC_NUM_MATCH_EN_MASK |
                                    R_IATU_CTRL2_BAR_MODE_EN_MASK,
                                    IATU_CTRL2, BAR_NUM, 5));
    g_assert_cmphex(rd(&r, A_IATU_CTRL2), ==, 0xc0080500);
    /* a reserved bit alone is dropped */
    wr(&r, A_IATU_CTRL1, 1u << 31);
    g_assert_cmphex(rd(&r, A_IATU_CTRL1), ==, 0);
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
    wr(&r[0], A_IATU_CTRL2, 0);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, -1);
    /* limit below base matches nothing */
    prog_addr(&r[0], 0x10000000, 0x10000, 0);
    wr(&r[0], A_IATU_LOWER_LIMIT, 0x0fff0000);
    g_assert_cmpint(dw_iatu_translate_outbound(r, 2, 0x10000000, &out, &room),
                    ==, -1);
    /* non-MEM type (CFG0) is not a memory translation */
    prog_addr(&r[0], 0x10000000, 0x10000, 0);
    wr(&r[0], A_IATU_CTRL1, FIELD_DP32(0, IATU_CTRL1, TYPE, 0x4));
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
    wr(&r, A_IATU_CTRL1, FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM));
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
    g_test_add_func("/iatu/reg-table", test_reg_table);
    g_test_add_func("/iatu/ctrl-fields", test_ctrl_fields);
    g_test_add_func("/iatu/outbound-edges", test_outbound_edges);
    g_test_add_func("/iatu/above-4g", test_region_above_4g);
    g_test_add_func("/iatu/inbound-bar-then-addr", test_inbound_bar_then_addr);
    return g_test_run();
}

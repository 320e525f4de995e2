/*
 * libFuzzer target: iATU register decode and address translation
 * (qemu/hw/pci-ep/dw-pcie-iatu.c, contract in dw-pcie-iatu.h).
 *
 * The input is a region table, programmed either as raw register values or
 * through dw_iatu_reg_write() as a driver would, and the addresses of one
 * inbound request (BAR, BAR size, offset in the BAR, PCI address) and of one
 * outbound access (CPU address).  Checked, against a decode written here
 * from the header's description:
 *   - register writes keep the read-only bits at their reset value and
 *     the reserved ones at 0 as the table DW_IATU_REGS() says, reads
 *     return what was kept, offsets that are no register are refused and
 *     change nothing; base, limit and target decode as documented;
 *   - each region matches (address match, inbound and outbound, and BAR
 *     match) exactly when the contract says, and a match gives target +
 *     the offset into the region and, in @room, exactly the bytes left in
 *     the region (address match) or in the BAR (BAR match), >= 1;
 *   - the inbound lookup picks the lowest BAR-match region, then the lowest
 *     address-match region; the outbound lookup the lowest region;
 *   - the translated range [out, out + room - 1] lies inside the region's
 *     target window and does not wrap past 2^64 whenever the window itself
 *     does not.  A window that does (target + size past 2^64) is translated
 *     modulo 2^64 today and its callers in dw-pcie-ep.c refuse what wraps;
 *     with FUZZ_IATU_STRICT=1 in the environment such a translation is
 *     reported as a crash too.
 * The table is a heap array of exactly the regions given, so ASan sees a
 * lookup that reads past it.
 *
 * Input layout (little-endian; missing bytes read as 0):
 *   u8 flags   bit 0: program through dw_iatu_reg_write (else raw values)
 *              bit 1: pci_addr = base of region aim_in + (pci_addr & 0xffff)
 *              bit 2: cpu_addr = base of region aim_out + (cpu_addr & 0xffff)
 *              bit 3: offset &= 2 * bar_size - 1
 *   u8 n (% 17 regions), u8 limit_bits, u8 bar, u8 bar_shift (% 64),
 *   u8 aim_in, u8 aim_out, u8 probe (a register offset to try, & 0xfc),
 *   u64 offset, u64 pci_addr, u64 cpu_addr,
 *   then per region 8 x u32: ctrl1, ctrl2, lower_base, upper_base,
 *   lower_limit, lower_target, upper_target, upper_limit.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-iatu.h"
#include "fuzz-common.h"

#define MAX_REGIONS 16
#define LOW_BITS    (DW_IATU_MIN_REGION_SIZE - 1)

#define FLAG_REG_WRITE  (1u << 0)
#define FLAG_AIM_IN     (1u << 1)
#define FLAG_AIM_OUT    (1u << 2)
#define FLAG_BAR_OFFSET (1u << 3)

/* The registers in the order of the input (and of DwIatuRegion). */
static const unsigned reg_offsets[8] = {
    A_IATU_CTRL1, A_IATU_CTRL2, A_IATU_LOWER_BASE,
    A_IATU_UPPER_BASE, A_IATU_LOWER_LIMIT, A_IATU_LOWER_TARGET,
    A_IATU_UPPER_TARGET, A_IATU_UPPER_LIMIT,
};

/* A row of the register table DW_IATU_REGS(). */
typedef struct {
    unsigned offset;
    uint32_t reset, ro, rsvd;
} RegRow;

#define REG_ROW(reg, reset_, ro_, rsvd_) { A_##reg, (reset_), (ro_), (rsvd_) },

/* The table's row for register @offset with limit width @lb, if any. */
static bool ref_row(unsigned offset, unsigned lb, RegRow *out)
{
    const RegRow rows[] = { DW_IATU_REGS(REG_ROW, lb) };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].offset == offset) {
            *out = rows[i];
            return true;
        }
    }
    return false;
}

static bool strict_wrap(void)
{
    static int strict = -1;

    if (strict < 0) {
        const char *e = getenv("FUZZ_IATU_STRICT");

        strict = e && e[0] == '1';
    }
    return strict;
}

/* The decode of dw-pcie-iatu.h, written from its description. */
static uint64_t ref_base(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_base << 32) | r->lower_base;
}

static uint64_t ref_limit(const DwIatuRegion *r)
{
    uint64_t hi = FIELD_EX32(r->ctrl1, IATU_CTRL1, INCREASE_REGION_SIZE) ?
                  r->upper_limit : r->upper_base;

    return (hi << 32) | r->lower_limit;
}

static uint64_t ref_target(const DwIatuRegion *r)
{
    return ((uint64_t)r->upper_target << 32) | r->lower_target;
}

static bool ref_enabled_mem(const DwIatuRegion *r)
{
    return FIELD_EX32(r->ctrl2, IATU_CTRL2, REGION_EN) &&
           FIELD_EX32(r->ctrl1, IATU_CTRL1, TYPE) == DW_IATU_TYPE_MEM;
}

static bool ref_addr_match(const DwIatuRegion *r, bool inbound, uint64_t addr)
{
    uint64_t base = ref_base(r), limit = ref_limit(r);

    if (!ref_enabled_mem(r) ||
        (inbound && FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_MODE_EN))) {
        return false;
    }
    return base <= limit && base <= addr && addr <= limit;
}

static bool ref_bar_match(const DwIatuRegion *r, unsigned bar,
                          uint64_t bar_size, uint64_t offset)
{
    unsigned field = FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_NUM);

    return ref_enabled_mem(r) &&
           FIELD_EX32(r->ctrl2, IATU_CTRL2, BAR_MODE_EN) &&
           field == bar && offset < bar_size;
}

/*
 * [out, out + room - 1] against the target window of @span + 1 bytes at
 * @target, @pos bytes into it: out is at that position, the range ends
 * with the window and, when the window does not wrap past 2^64, lies
 * inside it without wrapping.
 */
static void check_window(uint64_t target, uint64_t span, uint64_t pos,
                         uint64_t out, uint64_t room)
{
    FUZZ_CHECK(room >= 1);
    FUZZ_CHECK(pos <= span);
    FUZZ_CHECK(out == target + pos);            /* modulo 2^64 */
    /* room is what is left of the window (saturated for a 2^64 window) */
    if (span - pos == UINT64_MAX) {
        FUZZ_CHECK(room == UINT64_MAX);
    } else {
        FUZZ_CHECK(room == span - pos + 1);
    }
    if (span <= UINT64_MAX - target) {
        /* the window does not wrap: neither may the translation */
        FUZZ_CHECK(out >= target);
        FUZZ_CHECK(room - 1 <= UINT64_MAX - out);
        FUZZ_CHECK(out + (room - 1) <= target + span);
    } else if (strict_wrap()) {
        fprintf(stderr, "window at 0x%" PRIx64 " of 0x%" PRIx64 " + 1 bytes "
                "wraps past 2^64: translated 0x%" PRIx64 ", room 0x%" PRIx64
                "\n", target, span, out, room);
        FUZZ_CHECK(room - 1 <= UINT64_MAX - out && out >= target);
    }
}

/* One region against the reference, every way it can be asked. */
static void check_region(const DwIatuRegion *r, unsigned bar,
                         uint64_t bar_size, uint64_t offset,
                         uint64_t pci_addr, uint64_t cpu_addr)
{
    uint64_t base = ref_base(r), limit = ref_limit(r), target = ref_target(r);
    uint64_t out, room;
    bool hit;

    FUZZ_CHECK(dw_iatu_base(r) == base);
    FUZZ_CHECK(dw_iatu_limit(r) == limit);
    FUZZ_CHECK(dw_iatu_target(r) == target);

    hit = dw_iatu_match_addr(r, true, pci_addr, &out, &room);
    FUZZ_CHECK(hit == ref_addr_match(r, true, pci_addr));
    if (hit) {
        check_window(target, limit - base, pci_addr - base, out, room);
    }
    hit = dw_iatu_match_addr(r, false, cpu_addr, &out, &room);
    FUZZ_CHECK(hit == ref_addr_match(r, false, cpu_addr));
    if (hit) {
        check_window(target, limit - base, cpu_addr - base, out, room);
    }
    hit = dw_iatu_match_bar(r, bar, bar_size, offset, &out, &room);
    FUZZ_CHECK(hit == ref_bar_match(r, bar, bar_size, offset));
    if (hit) {
        check_window(target, bar_size - 1, offset, out, room);
    }
}

/*
 * Program @r from the input: raw values, or the writes of a driver (from
 * reset, in register order), checking what each write keeps.
 */
static void program_region(FuzzInput *in, DwIatuRegion *r, bool reg_write,
                           unsigned limit_bits)
{
    uint32_t want, got;
    uint32_t v[8];
    RegRow row;
    int i;

    for (i = 0; i < 8; i++) {
        v[i] = fuzz_u32(in);
    }
    if (!reg_write) {
        r->ctrl1 = v[0];
        r->ctrl2 = v[1];
        r->lower_base = v[2];
        r->upper_base = v[3];
        r->lower_limit = v[4];
        r->lower_target = v[5];
        r->upper_target = v[6];
        r->upper_limit = v[7];
        return;
    }

    dw_iatu_region_reset(r);
    for (i = 0; i < 8; i++) {
        FUZZ_CHECK(ref_row(reg_offsets[i], limit_bits, &row));
        FUZZ_CHECK(dw_iatu_reg_read(r, reg_offsets[i], &got) &&
                   got == row.reset);
    }
    FUZZ_CHECK(!FIELD_EX32(r->ctrl2, IATU_CTRL2, REGION_EN));
    FUZZ_CHECK((r->lower_limit & LOW_BITS) == LOW_BITS);
    for (i = 0; i < 8; i++) {
        FUZZ_CHECK(ref_row(reg_offsets[i], limit_bits, &row));
        FUZZ_CHECK(dw_iatu_reg_write(r, reg_offsets[i], v[i], limit_bits));
        want = (row.reset & row.ro) | (v[i] & ~(row.ro | row.rsvd));
        /* the read-only bits the header's description names */
        switch (reg_offsets[i]) {
        case A_IATU_LOWER_BASE:
        case A_IATU_LOWER_TARGET:
            FUZZ_CHECK((want & LOW_BITS) == 0);
            break;
        case A_IATU_LOWER_LIMIT:
            FUZZ_CHECK((want & LOW_BITS) == LOW_BITS);
            break;
        case A_IATU_UPPER_LIMIT:
            FUZZ_CHECK(limit_bits >= 64 ||
                       (want >> (limit_bits <= 32 ? 0 : limit_bits - 32)) ==
                       0);
            break;
        }
        got = ~want;
        FUZZ_CHECK(dw_iatu_reg_read(r, reg_offsets[i], &got));
        FUZZ_CHECK(got == want);
    }
}

/* An offset that is no register is refused by both accessors. */
static void check_probe(DwIatuRegion *r, unsigned probe)
{
    DwIatuRegion before = *r;
    bool is_reg = false;
    uint32_t v;
    int i;

    for (i = 0; i < 8; i++) {
        is_reg = is_reg || reg_offsets[i] == probe;
    }
    FUZZ_CHECK(dw_iatu_reg_read(r, probe, &v) == is_reg);
    if (!is_reg) {
        FUZZ_CHECK(!dw_iatu_reg_write(r, probe, 0x5a5a5a5a, 64));
        FUZZ_CHECK(memcmp(&before, r, sizeof(before)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t flags = fuzz_u8(&in);
    unsigned n = fuzz_u8(&in) % (MAX_REGIONS + 1);
    unsigned limit_bits = fuzz_u8(&in);
    unsigned bar = fuzz_u8(&in);
    uint64_t bar_size = 1ull << (fuzz_u8(&in) % 64);
    unsigned aim_in = fuzz_u8(&in), aim_out = fuzz_u8(&in);
    unsigned probe = fuzz_u8(&in) & 0xfc;
    uint64_t offset = fuzz_u64(&in);
    uint64_t pci_addr = fuzz_u64(&in);
    uint64_t cpu_addr = fuzz_u64(&in);
    DwIatuRegion *regions = malloc(n * sizeof(*regions));
    uint64_t out, room, out2, room2;
    int want, idx;
    unsigned i;

    FUZZ_CHECK(regions != NULL || n == 0);
    for (i = 0; i < n; i++) {
        program_region(&in, &regions[i], flags & FLAG_REG_WRITE, limit_bits);
    }
    if (n) {
        check_probe(&regions[0], probe);
    }
    if ((flags & FLAG_AIM_IN) && n) {
        pci_addr = ref_base(&regions[aim_in % n]) + (pci_addr & 0xffff);
    }
    if ((flags & FLAG_AIM_OUT) && n) {
        cpu_addr = ref_base(&regions[aim_out % n]) + (cpu_addr & 0xffff);
    }
    if (flags & FLAG_BAR_OFFSET) {
        offset &= 2 * bar_size - 1;
    }

    for (i = 0; i < n; i++) {
        check_region(&regions[i], bar, bar_size, offset, pci_addr, cpu_addr);
    }

    /* inbound: the lowest BAR match, else the lowest address match */
    want = -1;
    for (i = 0; i < n && want < 0; i++) {
        if (ref_bar_match(&regions[i], bar, bar_size, offset)) {
            want = i;
        }
    }
    for (i = 0; i < n && want < 0; i++) {
        if (ref_addr_match(&regions[i], true, pci_addr)) {
            want = i;
        }
    }
    idx = dw_iatu_translate_inbound(regions, n, bar, bar_size, offset,
                                    pci_addr, &out, &room);
    FUZZ_CHECK(idx == want);
    if (idx >= 0) {
        if (!dw_iatu_match_bar(&regions[idx], bar, bar_size, offset,
                               &out2, &room2)) {
            FUZZ_CHECK(dw_iatu_match_addr(&regions[idx], true, pci_addr,
                                          &out2, &room2));
        }
        FUZZ_CHECK(out == out2 && room == room2);
    }

    /* outbound: the lowest address match */
    want = -1;
    for (i = 0; i < n && want < 0; i++) {
        if (ref_addr_match(&regions[i], false, cpu_addr)) {
            want = i;
        }
    }
    idx = dw_iatu_translate_outbound(regions, n, cpu_addr, &out, &room);
    FUZZ_CHECK(idx == want);
    if (idx >= 0) {
        FUZZ_CHECK(dw_iatu_match_addr(&regions[idx], false, cpu_addr,
                                      &out2, &room2));
        FUZZ_CHECK(out == out2 && room == room2);
    }

    free(regions);
    return 0;
}

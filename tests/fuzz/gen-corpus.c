/*
 * Writes the seed corpora of the fuzz targets:
 *
 *   gen-corpus DIR
 *
 * DIR/link-proto/: valid messages made by the encoder (pl_encode), one per
 * file, and streams of several, as the link carries them;
 * DIR/iatu/: region tables in the input layout of fuzz-iatu.c, programmed
 * the way Linux 7.2's DWC core programs them, with addresses that hit.
 * tests/fuzz/build.sh --gen-corpus runs it over tests/fuzz/corpus/ (the
 * files are checked in; rerun it when the protocol or the layout changes).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "hw/pci-ep/pcie-link-proto.h"
#include "hw/pci-ep/dw-pcie-iatu.h"

static const char *out_dir;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void make_dir(const char *sub)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        die(path);
    }
}

static void write_file(const char *sub, const char *name, const uint8_t *buf,
                       size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
    f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        die(path);
    }
}

/* Encodes @m after the @len bytes already in @buf; returns the new length. */
static size_t put_msg(uint8_t *buf, size_t len, const PlMsg *m)
{
    size_t n = pl_encode(m, buf + len, PL_MAX_MSG);

    if (!n) {
        fprintf(stderr, "gen-corpus: the encoder refused a %s seed\n",
                pl_msg_name(m->type));
        exit(1);
    }
    return len + n;
}

static void seed_msg(const char *name, const PlMsg *m)
{
    static uint8_t buf[PL_MAX_MSG];

    write_file("link-proto", name, buf, put_msg(buf, 0, m));
}

static void gen_link_proto(void)
{
    static uint8_t data[PL_MAX_PAYLOAD], stream[4 * PL_MAX_MSG];
    PlMsg hello, link, cfg, cpl, map, m;
    size_t len, i;

    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }

    memset(&hello, 0, sizeof(hello));
    hello.type = PL_MSG_HELLO;
    hello.u.hello.magic = PL_MAGIC;
    hello.u.hello.version = PL_VERSION;
    hello.u.hello.role = PL_ROLE_EP;
    hello.u.hello.max_payload = PL_MAX_PAYLOAD;
    hello.u.hello.features = PL_FEAT_SHM;
    seed_msg("hello-ep", &hello);
    m = hello;
    m.u.hello.role = PL_ROLE_RC;
    m.u.hello.max_payload = 256;
    m.u.hello.features = 0;
    seed_msg("hello-rc", &m);

    memset(&link, 0, sizeof(link));
    link.type = PL_MSG_LINK;
    link.u.link.up = 1;
    seed_msg("link-up", &link);

    memset(&cfg, 0, sizeof(cfg));
    cfg.type = PL_MSG_CFG_RD;
    cfg.tag = 1;
    cfg.u.cfg.offset = 0;
    cfg.u.cfg.size = 4;
    seed_msg("cfg-rd", &cfg);
    m = cfg;
    m.type = PL_MSG_CFG_WR;
    m.tag = 2;
    m.u.cfg.offset = 0x10;
    m.u.cfg.data = 0xfffffff0;
    seed_msg("cfg-wr-bar0", &m);
    m.u.cfg.offset = 0x4;
    m.u.cfg.size = 2;
    m.u.cfg.data = 0x0006;
    seed_msg("cfg-wr-command", &m);

    memset(&m, 0, sizeof(m));
    m.type = PL_MSG_MEM_RD;
    m.tag = 3;
    m.u.mem.addr = 0x10000000;
    m.u.mem.size = 4;
    m.u.mem.bar = 0;
    seed_msg("mem-rd-bar0", &m);
    m.tag = 4;
    m.u.mem.addr = 0x800000000ull;
    m.u.mem.size = PL_MAX_PAYLOAD;
    m.u.mem.bar = PL_BAR_NONE;
    seed_msg("mem-rd-dma", &m);

    m.type = PL_MSG_MEM_WR;
    m.tag = 0;
    m.u.mem.addr = 0x10000000;
    m.u.mem.size = 4;
    m.u.mem.bar = 2;
    m.u.mem.data = data;
    seed_msg("mem-wr-bar2", &m);
    m.u.mem.addr = 0x8080000040ull;
    m.u.mem.size = 64;
    m.u.mem.bar = PL_BAR_NONE;
    seed_msg("mem-wr-dma", &m);
    m.u.mem.size = PL_MAX_PAYLOAD;
    seed_msg("mem-wr-max", &m);

    memset(&m, 0, sizeof(m));
    m.type = PL_MSG_INTX;
    m.u.intx.pin = 0;
    m.u.intx.level = 1;
    seed_msg("intx-assert", &m);

    memset(&cpl, 0, sizeof(cpl));
    cpl.type = PL_MSG_CPL;
    cpl.tag = 3;
    cpl.status = PL_STATUS_SC;
    cpl.u.cpl.data = data;
    cpl.u.cpl.len = 4;
    seed_msg("cpl-data", &cpl);
    m = cpl;
    m.tag = 4;
    m.status = PL_STATUS_UR;
    m.u.cpl.data = NULL;
    m.u.cpl.len = 0;
    seed_msg("cpl-ur", &m);

    /* shared memory: BAR0 (1 MiB) is EP RAM at 1 GiB + 1 MiB, slot 0 */
    memset(&map, 0, sizeof(map));
    map.type = PL_MSG_MAP;
    map.tag = 5;
    map.u.map.bar = 0;
    map.u.map.slot = 0;
    map.u.map.enable = 1;
    map.u.map.offset = 0;
    map.u.map.size = 0x100000;
    map.u.map.fd_offset = 0x40100000ull;
    seed_msg("map-bar0", &map);
    /* a subrange window in BAR2, in the last slot */
    m = map;
    m.tag = 6;
    m.u.map.bar = 2;
    m.u.map.slot = PL_MAP_SLOTS - 1;
    m.u.map.offset = 0x100000;
    m.u.map.size = 0x1000;
    m.u.map.fd_offset = 0x42000000ull;
    seed_msg("map-bar2-subrange", &m);
    memset(&m, 0, sizeof(m));
    m.type = PL_MSG_MAP;
    m.tag = 7;
    m.u.map.slot = 0;
    m.u.map.enable = 0;
    seed_msg("map-unmap", &m);

    /* what an RC sees first from a new EP, in one read */
    len = put_msg(stream, 0, &hello);
    len = put_msg(stream, len, &link);
    len = put_msg(stream, len, &cfg);
    len = put_msg(stream, len, &cpl);
    write_file("link-proto", "stream-bringup", stream, len);

    /* an EP with the shared-memory fast path: HELLO, link up, a MAP */
    len = put_msg(stream, 0, &hello);
    len = put_msg(stream, len, &link);
    len = put_msg(stream, len, &map);
    write_file("link-proto", "stream-shm", stream, len);
}

/* The input layout of fuzz-iatu.c, little-endian. */
typedef struct IatuSeed {
    uint8_t buf[8 + 3 * 8 + 16 * 8 * 4];
    size_t len;
} IatuSeed;

static void put_le(IatuSeed *s, uint64_t v, int bytes)
{
    int i;

    for (i = 0; i < bytes; i++) {
        s->buf[s->len++] = (uint8_t)(v >> (8 * i));
    }
}

static void iatu_head(IatuSeed *s, uint8_t flags, uint8_t n, uint8_t bar,
                      uint8_t bar_shift, uint64_t offset, uint64_t pci_addr,
                      uint64_t cpu_addr)
{
    s->len = 0;
    put_le(s, flags, 1);
    put_le(s, n, 1);
    put_le(s, 36, 1);           /* limit_bits: 64 GiB, as dw-pcie-ep */
    put_le(s, bar, 1);
    put_le(s, bar_shift, 1);
    put_le(s, 0, 1);            /* aim_in */
    put_le(s, 0, 1);            /* aim_out */
    put_le(s, A_IATU_UPPER_LIMIT, 1);   /* probe */
    put_le(s, offset, 8);
    put_le(s, pci_addr, 8);
    put_le(s, cpu_addr, 8);
}

/* What dw_pcie_prog_outbound_atu()/dw_pcie_prog_inbound_atu() write. */
static void iatu_addr_region(IatuSeed *s, uint64_t base, uint64_t size,
                             uint64_t target)
{
    uint64_t limit = base + size - 1;
    uint32_t ctrl1 = FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM);

    if ((limit >> 32) > (base >> 32)) {
        ctrl1 = FIELD_DP32(ctrl1, IATU_CTRL1, INCREASE_REGION_SIZE, 1);
    }
    put_le(s, ctrl1, 4);
    put_le(s, R_IATU_CTRL2_REGION_EN_MASK, 4);
    put_le(s, (uint32_t)base, 4);
    put_le(s, base >> 32, 4);
    put_le(s, (uint32_t)limit, 4);
    put_le(s, (uint32_t)target, 4);
    put_le(s, target >> 32, 4);
    put_le(s, limit >> 32, 4);
}

/* What dw_pcie_prog_ep_inbound_atu() writes. */
static void iatu_bar_region(IatuSeed *s, unsigned bar, uint64_t target)
{
    put_le(s, FIELD_DP32(0, IATU_CTRL1, TYPE, DW_IATU_TYPE_MEM), 4);
    put_le(s, FIELD_DP32(R_IATU_CTRL2_REGION_EN_MASK |
                         R_IATU_CTRL2_FUNC_NUM_MATCH_EN_MASK |
                         R_IATU_CTRL2_BAR_MODE_EN_MASK,
                         IATU_CTRL2, BAR_NUM, bar), 4);
    put_le(s, 0, 4);
    put_le(s, 0, 4);
    put_le(s, DW_IATU_MIN_REGION_SIZE - 1, 4);
    put_le(s, (uint32_t)target, 4);
    put_le(s, target >> 32, 4);
    put_le(s, 0, 4);
}

static void gen_iatu(void)
{
    IatuSeed s;

    /* pci-epf-test: BAR0 (1 MiB) to EP RAM; an outbound MSI window */
    iatu_head(&s, 1, 2, 0, 20, 0x40, 0, 0x10000000040ull);
    iatu_bar_region(&s, 0, 0x40100000ull);
    iatu_addr_region(&s, 0x10000000000ull, 0x10000, 0xfee00000ull);
    write_file("iatu", "epf-test-bar0-msi", s.buf, s.len);

    /* the kernel's subrange mapping: two address-match windows in BAR2 */
    iatu_head(&s, 1, 3, 2, 21, 0, 0x10100010ull, 0x10000001000ull);
    iatu_bar_region(&s, 0, 0x40100000ull);
    iatu_addr_region(&s, 0x10000000ull, 0x100000, 0x41000000ull);
    iatu_addr_region(&s, 0x10100000ull, 0x100000, 0x42000000ull);
    write_file("iatu", "subrange-bar2", s.buf, s.len);

    /* vNTB: doorbell BAR4 onto the eDMA block, window BAR2 at 4 GiB */
    iatu_head(&s, 1, 2, 4, 8, 0xa0, 0, 0);
    iatu_bar_region(&s, 2, 0x100000000ull);
    iatu_bar_region(&s, 4, 0x10300000ull);
    write_file("iatu", "vntb-bar4-doorbell", s.buf, s.len);

    /* a region across 4 GiB (INCREASE_REGION_SIZE), outbound */
    iatu_head(&s, 1 | 4, 1, 0xff, 0, 0, 0, 0xfff0ull);
    iatu_addr_region(&s, 0xff000000ull, 0x2000000ull, 0x8000000000ull);
    write_file("iatu", "outbound-across-4g", s.buf, s.len);

    /*
     * A window whose target end passes 2^64: dw_iatu_translate_outbound()
     * turns CPU 0x2000 into PCI 0 (modulo 2^64) and dw-pcie-ep.c refuses
     * the access.  The reproducer of FUZZ_IATU_STRICT=1.
     */
    iatu_head(&s, 1, 1, 0xff, 0, 0, 0, 0x2000);
    iatu_addr_region(&s, 0x1000, 0x2000, 0xfffffffffffff000ull);
    write_file("iatu", "outbound-wrapping-window", s.buf, s.len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-corpus DIR\n");
        return 2;
    }
    out_dir = argv[1];
    make_dir("link-proto");
    make_dir("iatu");
    gen_link_proto();
    gen_iatu();
    return 0;
}

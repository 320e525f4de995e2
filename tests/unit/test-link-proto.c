/*
 * Unit tests of the link protocol codec (qemu/hw/pci-ep/pcie-link-proto.c):
 * wire format, round trips, truncation, malformed messages and a small
 * deterministic fuzz loop.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/pci-ep/pcie-link-proto.h"

#define N_SAMPLES 22

static uint8_t pattern[PL_MAX_PAYLOAD];

static void init_pattern(void)
{
    unsigned i;

    for (i = 0; i < PL_MAX_PAYLOAD; i++) {
        pattern[i] = (uint8_t)(i * 7 + 3 + (i >> 8));
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* A header with the given fields at the start of @p. */
static void put_hdr(uint8_t *p, uint8_t type, uint8_t status, uint32_t length,
                    uint32_t tag)
{
    p[0] = type;
    p[1] = status;
    put16(p + 2, 0);
    put32(p + 4, length);
    put32(p + 8, tag);
}

/* Valid messages covering every type and the edges of every field. */
static void sample(unsigned i, PlMsg *m)
{
    memset(m, 0, sizeof(*m));
    switch (i) {
    case 0:
        m->type = PL_MSG_HELLO;
        m->u.hello.magic = PL_MAGIC;
        m->u.hello.version = PL_VERSION;
        m->u.hello.role = PL_ROLE_EP;
        m->u.hello.max_payload = PL_MAX_PAYLOAD;
        m->u.hello.features = PL_FEAT_SHM;
        break;
    case 1:
        m->type = PL_MSG_HELLO;
        m->u.hello.magic = PL_MAGIC;
        m->u.hello.version = PL_VERSION;
        m->u.hello.role = PL_ROLE_RC;
        m->u.hello.max_payload = 64;
        m->u.hello.features = 0;
        break;
    case 2:
        m->type = PL_MSG_LINK;
        m->u.link.up = 1;
        break;
    case 3:
        m->type = PL_MSG_LINK;
        m->u.link.up = 0;
        break;
    case 4:
        m->type = PL_MSG_CFG_RD;
        m->tag = 1;
        m->u.cfg.offset = 0x10;
        m->u.cfg.size = 4;
        break;
    case 5:
        m->type = PL_MSG_CFG_RD;
        m->tag = 0xffffffff;
        m->u.cfg.offset = 0xfff;
        m->u.cfg.size = 1;
        break;
    case 6:
        m->type = PL_MSG_CFG_WR;
        m->tag = 7;
        m->u.cfg.offset = 0xffe;
        m->u.cfg.size = 2;
        m->u.cfg.data = 0xbeef;
        break;
    case 7:
        m->type = PL_MSG_CFG_WR;
        m->tag = 0x12345678;
        m->u.cfg.offset = 0xffc;
        m->u.cfg.size = 4;
        m->u.cfg.data = 0xdeadbeef;
        break;
    case 8:
        m->type = PL_MSG_MEM_RD;
        m->tag = 0x55;
        m->u.mem.addr = 0x123456789abcdef0ull;
        m->u.mem.size = PL_MAX_PAYLOAD;
        m->u.mem.bar = PL_BAR_NONE;
        break;
    case 9:
        m->type = PL_MSG_MEM_RD;
        m->tag = 0x80000000;
        m->u.mem.addr = UINT64_MAX;     /* the very last byte */
        m->u.mem.size = 1;
        m->u.mem.bar = 5;
        break;
    case 10:
        m->type = PL_MSG_MEM_WR;
        m->u.mem.addr = 0xfee00000;
        m->u.mem.size = 1;
        m->u.mem.bar = 0;
        m->u.mem.data = pattern + 5;
        break;
    case 11:
        m->type = PL_MSG_MEM_WR;
        m->u.mem.addr = UINT64_MAX - PL_MAX_PAYLOAD + 1;
        m->u.mem.size = PL_MAX_PAYLOAD;
        m->u.mem.bar = PL_BAR_NONE;
        m->u.mem.data = pattern;
        break;
    case 12:
        m->type = PL_MSG_INTX;
        m->u.intx.pin = 3;
        m->u.intx.level = 1;
        break;
    case 13:
        m->type = PL_MSG_INTX;
        m->u.intx.pin = 0;
        m->u.intx.level = 0;
        break;
    case 14:
        m->type = PL_MSG_CPL;
        m->tag = 9;
        m->u.cpl.len = 1;
        m->u.cpl.data = pattern + 100;
        break;
    case 15:
        m->type = PL_MSG_CPL;
        m->tag = 0xfffffffe;
        m->u.cpl.len = PL_MAX_PAYLOAD;
        m->u.cpl.data = pattern;
        break;
    case 16:
        m->type = PL_MSG_CPL;
        m->tag = 3;
        break;
    case 17:
        m->type = PL_MSG_CPL;
        m->status = PL_STATUS_UR;
        m->tag = 4;
        break;
    case 18:
        m->type = PL_MSG_CPL;
        m->status = PL_STATUS_CA;
        m->tag = 5;
        break;
    case 19:
        m->type = PL_MSG_MAP;
        m->tag = 0x21;
        m->u.map.bar = 2;
        m->u.map.slot = PL_MAP_SLOTS - 1;
        m->u.map.enable = 1;
        m->u.map.offset = 0x1000;
        m->u.map.size = 0x100000;
        m->u.map.fd_offset = 0x123456789000ull;
        break;
    case 20:
        m->type = PL_MSG_MAP;       /* an unmap: the slot only */
        m->tag = 0x22;
        m->u.map.slot = 3;
        m->u.map.enable = 0;
        break;
    case 21:
        /* the largest size; offset's range ends at 2^64 - 1 */
        m->type = PL_MSG_MAP;
        m->tag = 0xffffffff;
        m->u.map.bar = 5;
        m->u.map.slot = 0;
        m->u.map.enable = 1;
        m->u.map.offset = 1;
        m->u.map.size = UINT64_MAX;
        m->u.map.fd_offset = 0;
        break;
    default:
        g_assert_not_reached();
    }
}

/* The body length each sample must encode to. */
static uint32_t sample_body_len(const PlMsg *m)
{
    switch (m->type) {
    case PL_MSG_HELLO:
        return 16;
    case PL_MSG_LINK:
    case PL_MSG_CFG_RD:
    case PL_MSG_INTX:
        return 4;
    case PL_MSG_CFG_WR:
        return 8;
    case PL_MSG_MEM_RD:
        return 16;
    case PL_MSG_MEM_WR:
        return 16 + m->u.mem.size;
    case PL_MSG_CPL:
        return m->u.cpl.len;
    case PL_MSG_MAP:
        return 32;
    default:
        g_assert_not_reached();
    }
}

static void assert_same_msg(const PlMsg *a, const PlMsg *b)
{
    g_assert_cmpuint(a->type, ==, b->type);
    g_assert_cmpuint(a->status, ==, b->status);
    g_assert_cmphex(a->tag, ==, b->tag);
    switch (a->type) {
    case PL_MSG_HELLO:
        g_assert_cmphex(a->u.hello.magic, ==, b->u.hello.magic);
        g_assert_cmpuint(a->u.hello.version, ==, b->u.hello.version);
        g_assert_cmpuint(a->u.hello.role, ==, b->u.hello.role);
        g_assert_cmpuint(a->u.hello.max_payload, ==, b->u.hello.max_payload);
        g_assert_cmphex(a->u.hello.features, ==, b->u.hello.features);
        break;
    case PL_MSG_LINK:
        g_assert_cmpuint(a->u.link.up, ==, b->u.link.up);
        break;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
        g_assert_cmphex(a->u.cfg.offset, ==, b->u.cfg.offset);
        g_assert_cmpuint(a->u.cfg.size, ==, b->u.cfg.size);
        if (a->type == PL_MSG_CFG_WR) {
            g_assert_cmphex(a->u.cfg.data, ==, b->u.cfg.data);
        }
        break;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        g_assert_cmphex(a->u.mem.addr, ==, b->u.mem.addr);
        g_assert_cmpuint(a->u.mem.size, ==, b->u.mem.size);
        g_assert_cmphex(a->u.mem.bar, ==, b->u.mem.bar);
        if (a->type == PL_MSG_MEM_WR) {
            g_assert_nonnull(a->u.mem.data);
            g_assert_nonnull(b->u.mem.data);
            g_assert_cmpmem(a->u.mem.data, a->u.mem.size,
                            b->u.mem.data, b->u.mem.size);
        }
        break;
    case PL_MSG_INTX:
        g_assert_cmpuint(a->u.intx.pin, ==, b->u.intx.pin);
        g_assert_cmpuint(a->u.intx.level, ==, b->u.intx.level);
        break;
    case PL_MSG_CPL:
        g_assert_cmpuint(a->u.cpl.len, ==, b->u.cpl.len);
        if (a->u.cpl.len) {
            g_assert_cmpmem(a->u.cpl.data, a->u.cpl.len,
                            b->u.cpl.data, b->u.cpl.len);
        }
        break;
    case PL_MSG_MAP:
        g_assert_cmpuint(a->u.map.bar, ==, b->u.map.bar);
        g_assert_cmpuint(a->u.map.slot, ==, b->u.map.slot);
        g_assert_cmpuint(a->u.map.enable, ==, b->u.map.enable);
        g_assert_cmphex(a->u.map.offset, ==, b->u.map.offset);
        g_assert_cmphex(a->u.map.size, ==, b->u.map.size);
        g_assert_cmphex(a->u.map.fd_offset, ==, b->u.map.fd_offset);
        break;
    default:
        g_assert_not_reached();
    }
}

/* Encode sample @i into @buf (PL_MAX_MSG bytes); returns its length. */
static size_t enc(unsigned i, uint8_t *buf)
{
    PlMsg m;
    size_t n;

    sample(i, &m);
    n = pl_encode(&m, buf, PL_MAX_MSG);
    g_assert_cmpuint(n, ==, PL_HDR_SIZE + sample_body_len(&m));
    return n;
}

static int dec(const uint8_t *buf, size_t len)
{
    PlMsg m;

    return pl_decode(buf, len, &m);
}

/* Exact bytes on the wire, independent of the decoder. */
static void test_wire_format(void)
{
    static const uint8_t mem_rd[] = {
        0x05, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
        0x55, 0x00, 0x00, 0x00,
        0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12,
        0x00, 0x10, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
    };
    static const uint8_t hello[] = {
        0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
        'P', 'L', 'N', 'K', 0x03, 0x00, 0x01, 0x00,   /* version 3 */
        0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    };
    static const uint8_t cfg_wr[] = {
        0x04, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
        0x07, 0x00, 0x00, 0x00,
        0xfe, 0x0f, 0x02, 0x00, 0xef, 0xbe, 0x00, 0x00,
    };
    static const uint8_t intx[] = {
        0x07, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x03, 0x01, 0x00, 0x00,
    };
    static const uint8_t cpl_ur[] = {
        0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00,
    };
    static const uint8_t map[] = {
        0x09, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
        0x21, 0x00, 0x00, 0x00,
        0x02, 0x0f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x90, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00,
    };
    static const uint8_t unmap[] = {
        0x09, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
        0x22, 0x00, 0x00, 0x00,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t buf[PL_MAX_MSG];
    PlMsg m;

    g_assert_cmpuint(enc(8, buf), ==, sizeof(mem_rd));
    g_assert_cmpmem(buf, sizeof(mem_rd), mem_rd, sizeof(mem_rd));
    g_assert_cmpuint(enc(0, buf), ==, sizeof(hello));
    g_assert_cmpmem(buf, sizeof(hello), hello, sizeof(hello));
    g_assert_cmpuint(enc(6, buf), ==, sizeof(cfg_wr));
    g_assert_cmpmem(buf, sizeof(cfg_wr), cfg_wr, sizeof(cfg_wr));
    g_assert_cmpuint(enc(12, buf), ==, sizeof(intx));
    g_assert_cmpmem(buf, sizeof(intx), intx, sizeof(intx));
    g_assert_cmpuint(enc(17, buf), ==, sizeof(cpl_ur));
    g_assert_cmpmem(buf, sizeof(cpl_ur), cpl_ur, sizeof(cpl_ur));
    g_assert_cmpuint(enc(19, buf), ==, sizeof(map));
    g_assert_cmpmem(buf, sizeof(map), map, sizeof(map));
    g_assert_cmpuint(enc(20, buf), ==, sizeof(unmap));
    g_assert_cmpmem(buf, sizeof(unmap), unmap, sizeof(unmap));

    /* And the decoder reads the same bytes the same way. */
    g_assert_cmpint(pl_decode(mem_rd, sizeof(mem_rd), &m), ==,
                    sizeof(mem_rd));
    g_assert_cmpuint(m.type, ==, PL_MSG_MEM_RD);
    g_assert_cmphex(m.tag, ==, 0x55);
    g_assert_cmphex(m.u.mem.addr, ==, 0x123456789abcdef0ull);
    g_assert_cmpuint(m.u.mem.size, ==, 4096);
    g_assert_cmphex(m.u.mem.bar, ==, 0xff);
    g_assert_null(m.u.mem.data);
    g_assert_cmpint(pl_decode(cfg_wr, sizeof(cfg_wr), &m), ==,
                    sizeof(cfg_wr));
    g_assert_cmphex(m.u.cfg.offset, ==, 0xffe);
    g_assert_cmpuint(m.u.cfg.size, ==, 2);
    g_assert_cmphex(m.u.cfg.data, ==, 0xbeef);
    g_assert_cmpint(pl_decode(cpl_ur, sizeof(cpl_ur), &m), ==,
                    sizeof(cpl_ur));
    g_assert_cmpuint(m.status, ==, PL_STATUS_UR);
    g_assert_cmpuint(m.u.cpl.len, ==, 0);
    g_assert_cmpint(pl_decode(hello, sizeof(hello), &m), ==, sizeof(hello));
    g_assert_cmpuint(m.type, ==, PL_MSG_HELLO);
    g_assert_cmphex(m.u.hello.magic, ==, PL_MAGIC);
    g_assert_cmpuint(m.u.hello.version, ==, 3);
    g_assert_cmpuint(m.u.hello.role, ==, PL_ROLE_EP);
    g_assert_cmpuint(m.u.hello.max_payload, ==, 4096);
    g_assert_cmphex(m.u.hello.features, ==, PL_FEAT_SHM);
    g_assert_cmpint(pl_decode(map, sizeof(map), &m), ==, sizeof(map));
    g_assert_cmpuint(m.type, ==, PL_MSG_MAP);
    g_assert_cmpuint(m.status, ==, 0);
    g_assert_cmphex(m.tag, ==, 0x21);
    g_assert_cmpuint(m.u.map.bar, ==, 2);
    g_assert_cmpuint(m.u.map.slot, ==, 15);
    g_assert_cmpuint(m.u.map.enable, ==, 1);
    g_assert_cmphex(m.u.map.offset, ==, 0x1000);
    g_assert_cmphex(m.u.map.size, ==, 0x100000);
    g_assert_cmphex(m.u.map.fd_offset, ==, 0x123456789000ull);
    memset(&m, 0xcc, sizeof(m));
    g_assert_cmpint(pl_decode(unmap, sizeof(unmap), &m), ==, sizeof(unmap));
    g_assert_cmpuint(m.type, ==, PL_MSG_MAP);
    g_assert_cmphex(m.tag, ==, 0x22);
    g_assert_cmpuint(m.u.map.bar, ==, 0);
    g_assert_cmpuint(m.u.map.slot, ==, 3);
    g_assert_cmpuint(m.u.map.enable, ==, 0);
    g_assert_cmphex(m.u.map.offset, ==, 0);
    g_assert_cmphex(m.u.map.size, ==, 0);
    g_assert_cmphex(m.u.map.fd_offset, ==, 0);
}

static void test_round_trip(void)
{
    uint8_t buf[PL_MAX_MSG];
    unsigned i;

    for (i = 0; i < N_SAMPLES; i++) {
        PlMsg in, out;
        size_t n = enc(i, buf);

        sample(i, &in);
        memset(&out, 0xcc, sizeof(out));
        g_assert_cmpint(pl_decode(buf, n, &out), ==, n);
        assert_same_msg(&in, &out);
        g_assert_cmpuint(get32(buf + 4), ==, n - PL_HDR_SIZE);
        /* data pointers point into the buffer */
        if (in.type == PL_MSG_MEM_WR) {
            g_assert_true(out.u.mem.data == buf + PL_HDR_SIZE + 16);
        } else if (in.type == PL_MSG_MEM_RD) {
            g_assert_null(out.u.mem.data);
        } else if (in.type == PL_MSG_CPL && in.u.cpl.len) {
            g_assert_true(out.u.cpl.data == buf + PL_HDR_SIZE);
        }
    }
}

static void test_truncation(void)
{
    uint8_t buf[PL_MAX_MSG];
    unsigned i;
    size_t k;

    for (i = 0; i < N_SAMPLES; i++) {
        size_t n = enc(i, buf);

        for (k = 0; k < n; k++) {
            if (dec(buf, k) != PL_NEED_MORE) {
                g_test_message("sample %u prefix %zu: %d", i, k, dec(buf, k));
                g_assert_cmpint(dec(buf, k), ==, PL_NEED_MORE);
            }
        }
        g_assert_cmpint(dec(buf, n), ==, n);
    }
}

static void test_back_to_back(void)
{
    static uint8_t stream[N_SAMPLES * PL_MAX_MSG];
    size_t pos = 0, off[N_SAMPLES + 1], fill;
    unsigned i;
    PlMsg in, out;
    int r;

    for (i = 0; i < N_SAMPLES; i++) {
        off[i] = pos;
        pos += enc(i, stream + pos);
    }
    off[N_SAMPLES] = pos;

    /* Everything there at once: one message after the other. */
    for (i = 0; i < N_SAMPLES; i++) {
        r = pl_decode(stream + off[i], pos - off[i], &out);
        g_assert_cmpint(r, ==, off[i + 1] - off[i]);
        sample(i, &in);
        assert_same_msg(&in, &out);
    }

    /* A stream reader fed a few bytes at a time. */
    fill = 0;
    i = 0;
    pos = 0;
    while (i < N_SAMPLES) {
        r = pl_decode(stream + pos, fill - pos, &out);
        if (r == PL_NEED_MORE) {
            g_assert_cmpuint(fill, <, off[N_SAMPLES]);
            fill = MIN(fill + 7, off[N_SAMPLES]);
            continue;
        }
        g_assert_cmpint(r, ==, off[i + 1] - off[i]);
        g_assert_cmpuint(pos, ==, off[i]);
        sample(i, &in);
        assert_same_msg(&in, &out);
        pos += r;
        i++;
    }
    g_assert_cmpuint(pos, ==, off[N_SAMPLES]);
}

static void test_header_too_long(void)
{
    static const uint32_t lens[] = { PL_MAX_BODY + 1, 0x10000, 0xffffffff };
    uint8_t buf[PL_MAX_MSG];
    unsigned t, i;

    for (t = PL_MSG_HELLO; t <= PL_MSG_MAP; t++) {
        for (i = 0; i < G_N_ELEMENTS(lens); i++) {
            put_hdr(buf, t, 0, lens[i], 0);
            g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
        }
    }
    /* the largest allowed body is only incomplete */
    put_hdr(buf, PL_MSG_MEM_WR, 0, PL_MAX_BODY, 0);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_NEED_MORE);
    put_hdr(buf, PL_MSG_CPL, 0, PL_MAX_PAYLOAD, 1);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_NEED_MORE);
    put_hdr(buf, PL_MSG_CPL, 0, PL_MAX_PAYLOAD + 1, 1);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
}

static void test_bad_body_length(void)
{
    static const struct {
        uint8_t type;
        uint32_t length;
    } bad[] = {
        { PL_MSG_HELLO, 0 }, { PL_MSG_HELLO, 12 }, { PL_MSG_HELLO, 15 },
        { PL_MSG_HELLO, 17 },
        { PL_MSG_LINK, 0 }, { PL_MSG_LINK, 3 }, { PL_MSG_LINK, 5 },
        { PL_MSG_CFG_RD, 3 }, { PL_MSG_CFG_RD, 5 }, { PL_MSG_CFG_RD, 8 },
        { PL_MSG_CFG_WR, 4 }, { PL_MSG_CFG_WR, 7 }, { PL_MSG_CFG_WR, 9 },
        { PL_MSG_MEM_RD, 0 }, { PL_MSG_MEM_RD, 15 }, { PL_MSG_MEM_RD, 17 },
        { PL_MSG_MEM_WR, 0 }, { PL_MSG_MEM_WR, 15 },
        { PL_MSG_INTX, 0 }, { PL_MSG_INTX, 3 }, { PL_MSG_INTX, 5 },
        { PL_MSG_CPL, PL_MAX_PAYLOAD + 1 }, { PL_MSG_CPL, PL_MAX_BODY },
        { PL_MSG_MAP, 0 }, { PL_MSG_MAP, 16 }, { PL_MSG_MAP, 31 },
        { PL_MSG_MAP, 33 }, { PL_MSG_MAP, 64 },
    };
    uint8_t buf[PL_MAX_MSG];
    uint8_t mw[PL_MAX_MSG];
    unsigned i, tag;
    size_t n, k;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        memset(buf, 0, sizeof(buf));
        tag = (bad[i].type == PL_MSG_CFG_RD || bad[i].type == PL_MSG_CFG_WR ||
               bad[i].type == PL_MSG_MEM_RD || bad[i].type == PL_MSG_CPL ||
               bad[i].type == PL_MSG_MAP);
        put_hdr(buf, bad[i].type, 0, bad[i].length, tag);
        /* the header alone shows it, and so does the full message */
        g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
        g_assert_cmpint(dec(buf, PL_HDR_SIZE + bad[i].length), ==,
                        PL_ERR_LENGTH);
    }

    /* MEM_WR whose size field disagrees with the body length */
    n = enc(10, mw);                    /* size 1, body 17 */
    g_assert_cmpuint(n, ==, PL_HDR_SIZE + 17);
    put32(mw + PL_HDR_SIZE + 8, 2);
    for (k = 0; k < PL_HDR_SIZE + 16; k++) {
        g_assert_cmpint(dec(mw, k), ==, PL_NEED_MORE);
    }
    g_assert_cmpint(dec(mw, PL_HDR_SIZE + 16), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    put32(mw + PL_HDR_SIZE + 8, 0);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    put32(mw + PL_HDR_SIZE + 8, 0xffffffff);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    put32(mw + PL_HDR_SIZE + 8, 1);
    g_assert_cmpint(dec(mw, n), ==, n);

    n = enc(11, mw);                    /* size 4096 */
    put32(mw + PL_HDR_SIZE + 8, PL_MAX_PAYLOAD - 1);
    g_assert_cmpint(dec(mw, PL_HDR_SIZE + 16), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    /* a size that agrees with a longer header length is only incomplete */
    put32(mw + 4, 16 + PL_MAX_PAYLOAD - 1);
    g_assert_cmpint(dec(mw, PL_HDR_SIZE + 16), ==, PL_NEED_MORE);
    g_assert_cmpint(dec(mw, n - 1), ==, n - 1);

    /* a real MAP whose header says 31 or 33 bytes: refused from the header */
    n = enc(19, mw);
    g_assert_cmpuint(n, ==, PL_HDR_SIZE + 32);
    g_assert_cmpint(dec(mw, n), ==, n);
    put32(mw + 4, 31);
    g_assert_cmpint(dec(mw, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n - 1), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    put32(mw + 4, 33);
    g_assert_cmpint(dec(mw, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(mw, n + 1), ==, PL_ERR_LENGTH);
    put32(mw + 4, 32);
    g_assert_cmpint(dec(mw, n - 1), ==, PL_NEED_MORE);
    g_assert_cmpint(dec(mw, n), ==, n);
}

static void test_bad_type(void)
{
    static const uint8_t types[] = { 0, 10, 11, 0x80, 255 };
    uint8_t buf[PL_MAX_MSG];
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(types); i++) {
        memset(buf, 0, sizeof(buf));
        put_hdr(buf, types[i], 0, 4, 0);
        g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_TYPE);
        g_assert_cmpint(dec(buf, PL_HDR_SIZE + 4), ==, PL_ERR_TYPE);
        put_hdr(buf, types[i], 0, 0, 0);
        g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_TYPE);
    }
    /* a valid message with its type byte replaced */
    enc(2, buf);
    buf[0] = 10;
    g_assert_cmpint(dec(buf, PL_HDR_SIZE + 4), ==, PL_ERR_TYPE);
    /* 9 is MAP now: known, but a 4-byte body is not a MAP's */
    buf[0] = PL_MSG_MAP;
    g_assert_cmpint(dec(buf, PL_HDR_SIZE + 4), ==, PL_ERR_LENGTH);
    buf[0] = 0;
    g_assert_cmpint(dec(buf, PL_HDR_SIZE + 4), ==, PL_ERR_TYPE);
}

static void test_hello(void)
{
    uint8_t buf[PL_MAX_MSG];
    uint8_t *b = buf + PL_HDR_SIZE;
    size_t n = enc(0, buf);

    put32(b, PL_MAGIC ^ 1);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_MAGIC);
    put32(b, 0x504c4e4b);               /* byte-swapped */
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_MAGIC);
    put32(b, PL_MAGIC);
    g_assert_cmpint(dec(buf, n), ==, n);

    put16(b + 4, 0);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_VERSION);
    put16(b + 4, 1);                    /* the version before features */
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_VERSION);
    put16(b + 4, 2);                    /* before LINK carried PERST# */
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_VERSION);
    put16(b + 4, 4);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_VERSION);
    put16(b + 4, 0x101);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_VERSION);
    put16(b + 4, PL_VERSION);

    put16(b + 6, 0);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put16(b + 6, 3);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put16(b + 6, 0x101);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put16(b + 6, PL_ROLE_RC);
    g_assert_cmpint(dec(buf, n), ==, n);

    put32(b + 8, 63);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 8, 0);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 8, PL_MAX_PAYLOAD + 1);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 8, 0x00011000);           /* 4096 + 64K */
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 8, 64);
    g_assert_cmpint(dec(buf, n), ==, n);
    put32(b + 8, 1000);
    g_assert_cmpint(dec(buf, n), ==, n);

    /* features: PL_FEAT_SHM or nothing; any other bit is refused */
    g_assert_cmphex(get32(b + 12), ==, PL_FEAT_SHM);
    put32(b + 12, 0);
    g_assert_cmpint(dec(buf, n), ==, n);
    put32(b + 12, 1u << 1);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 12, PL_FEAT_SHM | (1u << 1));
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 12, 1u << 8);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 12, 1u << 31);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 12, 0xffffffff);
    g_assert_cmpint(dec(buf, n), ==, PL_ERR_FIELD);
    put32(b + 12, PL_FEAT_SHM);
    g_assert_cmpint(dec(buf, n), ==, n);
    {
        PlMsg m;

        g_assert_cmpint(pl_decode(buf, n, &m), ==, n);
        g_assert_cmphex(m.u.hello.features, ==, PL_FEAT_SHM);
    }

    /* a version 1 HELLO (12-byte body, no features) is refused outright */
    put_hdr(buf, PL_MSG_HELLO, 0, 12, 0);
    put16(b + 4, 1);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_LENGTH);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE + 12), ==, PL_ERR_LENGTH);
}

/* Encode sample @i, let @patch change bytes, expect @want from pl_decode. */
#define EXPECT_PATCHED(i, want, patch) do {                 \
        uint8_t buf_[PL_MAX_MSG];                           \
        uint8_t *buf = buf_;                                \
        uint8_t *b = buf_ + PL_HDR_SIZE;                    \
        size_t n_ = enc(i, buf_);                           \
        (void)buf;                                          \
        (void)b;                                            \
        patch;                                              \
        g_assert_cmpint(dec(buf_, n_), ==, (want));         \
    } while (0)

static void test_field_errors(void)
{
    unsigned i;

    /* cfg size */
    EXPECT_PATCHED(4, PL_ERR_FIELD, b[2] = 3);
    EXPECT_PATCHED(4, PL_ERR_FIELD, b[2] = 0);
    EXPECT_PATCHED(4, PL_ERR_FIELD, b[2] = 8);
    EXPECT_PATCHED(7, PL_ERR_FIELD, b[2] = 3);
    EXPECT_PATCHED(4, 16, b[2] = 2);
    EXPECT_PATCHED(4, 16, b[2] = 1);
    /* cfg offset: past 4 KiB, unaligned */
    EXPECT_PATCHED(4, PL_ERR_FIELD, put16(b, 4095));
    EXPECT_PATCHED(4, PL_ERR_FIELD, put16(b, 4096));
    EXPECT_PATCHED(4, PL_ERR_FIELD, put16(b, 0xfffc));
    EXPECT_PATCHED(5, PL_ERR_FIELD, put16(b, 4096));
    EXPECT_PATCHED(4, PL_ERR_FIELD, put16(b, 0x12));
    EXPECT_PATCHED(4, PL_ERR_FIELD, put16(b, 0x11));
    EXPECT_PATCHED(6, PL_ERR_FIELD, put16(b, 0x11));
    EXPECT_PATCHED(4, 16, put16(b, 0xffc));
    EXPECT_PATCHED(6, 20, put16(b, 0x12));
    EXPECT_PATCHED(5, 16, put16(b, 0x13));
    /* cfg reserved byte */
    EXPECT_PATCHED(4, PL_ERR_FIELD, b[3] = 1);
    EXPECT_PATCHED(7, PL_ERR_FIELD, b[3] = 0x80);

    /* mem size 0 and PL_MAX_PAYLOAD + 1 */
    EXPECT_PATCHED(8, PL_ERR_FIELD, put32(b + 8, 0));
    EXPECT_PATCHED(8, PL_ERR_FIELD, put32(b + 8, PL_MAX_PAYLOAD + 1));
    EXPECT_PATCHED(8, PL_ERR_FIELD, put32(b + 8, 0xffffffff));
    EXPECT_PATCHED(10, PL_ERR_FIELD,
                   (put32(buf + 4, 16), put32(b + 8, 0)));
    /* bar */
    EXPECT_PATCHED(8, PL_ERR_FIELD, b[12] = 6);
    EXPECT_PATCHED(8, PL_ERR_FIELD, b[12] = 0xfe);
    EXPECT_PATCHED(10, PL_ERR_FIELD, b[12] = 6);
    EXPECT_PATCHED(8, 28, b[12] = 0);
    EXPECT_PATCHED(8, 28, b[12] = 5);
    /* address wrap */
    EXPECT_PATCHED(8, PL_ERR_FIELD, put64(b, UINT64_MAX - PL_MAX_PAYLOAD + 2));
    EXPECT_PATCHED(8, 28, put64(b, UINT64_MAX - PL_MAX_PAYLOAD + 1));
    EXPECT_PATCHED(9, PL_ERR_FIELD, put32(b + 8, 2));
    EXPECT_PATCHED(11, PL_ERR_FIELD, put64(b, UINT64_MAX));
    /* mem reserved bytes */
    for (i = 13; i < 16; i++) {
        EXPECT_PATCHED(8, PL_ERR_FIELD, b[i] = 1);
        EXPECT_PATCHED(10, PL_ERR_FIELD, b[i] = 0x40);
    }

    /* INTX pin and level, reserved */
    EXPECT_PATCHED(12, PL_ERR_FIELD, b[0] = 4);
    EXPECT_PATCHED(12, PL_ERR_FIELD, b[0] = 0xff);
    EXPECT_PATCHED(12, PL_ERR_FIELD, b[1] = 2);
    EXPECT_PATCHED(12, PL_ERR_FIELD, b[2] = 1);
    EXPECT_PATCHED(12, PL_ERR_FIELD, b[3] = 1);
    EXPECT_PATCHED(13, 16, b[0] = 2);

    /* LINK up and reserved */
    EXPECT_PATCHED(2, PL_ERR_FIELD, b[0] = 2);
    EXPECT_PATCHED(2, PL_ERR_FIELD, b[0] = 0xff);
    for (i = 1; i < 4; i++) {
        EXPECT_PATCHED(2, PL_ERR_FIELD, b[i] = 1);
    }
    /* PERST# rides only on a link down (sample 3: LINK up=0) */
    EXPECT_PATCHED(3, 16, b[1] = 1);
    EXPECT_PATCHED(3, PL_ERR_FIELD, b[1] = 2);

    /* header reserved u16, both bytes */
    EXPECT_PATCHED(2, PL_ERR_FIELD, buf[2] = 1);
    EXPECT_PATCHED(14, PL_ERR_FIELD, buf[3] = 0x80);

    /* nonzero tag on posted messages */
    EXPECT_PATCHED(0, PL_ERR_FIELD, put32(buf + 8, 1));
    EXPECT_PATCHED(2, PL_ERR_FIELD, put32(buf + 8, 0x100));
    EXPECT_PATCHED(10, PL_ERR_FIELD, put32(buf + 8, 0x80000000));
    EXPECT_PATCHED(12, PL_ERR_FIELD, put32(buf + 8, 0x10000));
    /* ... but any tag on non-posted ones and completions */
    EXPECT_PATCHED(4, 16, put32(buf + 8, 0));
    EXPECT_PATCHED(8, 28, put32(buf + 8, 0xffffffff));
    EXPECT_PATCHED(16, 12, put32(buf + 8, 0x1000000));
    EXPECT_PATCHED(19, 44, put32(buf + 8, 0));

    /* nonzero status outside completions */
    EXPECT_PATCHED(4, PL_ERR_FIELD, buf[1] = PL_STATUS_UR);
    EXPECT_PATCHED(6, PL_ERR_FIELD, buf[1] = PL_STATUS_CA);
    EXPECT_PATCHED(8, PL_ERR_FIELD, buf[1] = 1);
    EXPECT_PATCHED(10, PL_ERR_FIELD, buf[1] = 1);
    EXPECT_PATCHED(0, PL_ERR_FIELD, buf[1] = 2);
    EXPECT_PATCHED(12, PL_ERR_FIELD, buf[1] = 0x80);
    EXPECT_PATCHED(19, PL_ERR_FIELD, buf[1] = PL_STATUS_UR);
    EXPECT_PATCHED(20, PL_ERR_FIELD, buf[1] = 1);
    /* unknown completion status */
    EXPECT_PATCHED(16, PL_ERR_FIELD, buf[1] = 3);
    EXPECT_PATCHED(16, PL_ERR_FIELD, buf[1] = 0xff);
    /* an error completion with a body */
    EXPECT_PATCHED(14, PL_ERR_FIELD, buf[1] = PL_STATUS_UR);
    EXPECT_PATCHED(15, PL_ERR_FIELD, buf[1] = PL_STATUS_CA);
}

/* MAP (samples 19: map, 20: unmap, 21: a range ending at 2^64 - 1) */
static void test_map(void)
{
    unsigned i;

    /* the samples as they are */
    EXPECT_PATCHED(19, 44, (void)0);
    EXPECT_PATCHED(20, 44, (void)0);
    EXPECT_PATCHED(21, 44, (void)0);

    /* non-posted: any tag is accepted */
    EXPECT_PATCHED(19, 44, put32(buf + 8, 0xdeadbeef));
    EXPECT_PATCHED(20, 44, put32(buf + 8, 1));

    /* bar: 0..5, and no PL_BAR_NONE (a MAP is always in a BAR) */
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[0] = 6);
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[0] = PL_BAR_NONE);
    EXPECT_PATCHED(21, PL_ERR_FIELD, b[0] = 6);
    EXPECT_PATCHED(19, 44, b[0] = 5);
    EXPECT_PATCHED(19, 44, b[0] = 0);

    /* slot: below PL_MAP_SLOTS */
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[1] = PL_MAP_SLOTS);
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[1] = 0xff);
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[1] = PL_MAP_SLOTS);
    EXPECT_PATCHED(19, 44, b[1] = 0);
    EXPECT_PATCHED(20, 44, b[1] = PL_MAP_SLOTS - 1);

    /* enable: 0 or 1 */
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[2] = 2);
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[2] = 0xff);
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[2] = 2);
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[2] = 0x80);

    /* reserved bytes 3..7 */
    for (i = 3; i < 8; i++) {
        EXPECT_PATCHED(19, PL_ERR_FIELD, b[i] = 1);
        EXPECT_PATCHED(20, PL_ERR_FIELD, b[i] = 0x80);
    }

    /* an unmap with anything but the slot set */
    EXPECT_PATCHED(20, PL_ERR_FIELD, put64(b + 16, 1));
    EXPECT_PATCHED(20, PL_ERR_FIELD, put64(b + 16, 1ull << 63));
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[0] = 1);
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[0] = 5);
    EXPECT_PATCHED(20, PL_ERR_FIELD, put64(b + 8, 0x1000));
    EXPECT_PATCHED(20, PL_ERR_FIELD, put64(b + 24, 0x1000));
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[31] = 0x80);
    /* ... so a map with enable cleared is refused, not taken as an unmap */
    EXPECT_PATCHED(19, PL_ERR_FIELD, b[2] = 0);
    EXPECT_PATCHED(19, PL_ERR_FIELD,
                   (b[2] = 0, b[0] = 0, put64(b + 8, 0), put64(b + 24, 0)));
    EXPECT_PATCHED(19, 44,
                   (b[2] = 0, b[0] = 0, put64(b + 8, 0), put64(b + 16, 0),
                    put64(b + 24, 0)));

    /* a map of nothing: size 0 */
    EXPECT_PATCHED(19, PL_ERR_FIELD, put64(b + 16, 0));
    EXPECT_PATCHED(20, PL_ERR_FIELD, b[2] = 1);
    EXPECT_PATCHED(19, 44, put64(b + 16, 1));

    /* offset + size past 2^64 */
    EXPECT_PATCHED(19, PL_ERR_FIELD, put64(b + 8, UINT64_MAX - 0xffffe));
    EXPECT_PATCHED(19, 44, put64(b + 8, UINT64_MAX - 0xfffff));
    EXPECT_PATCHED(19, PL_ERR_FIELD, put64(b + 8, UINT64_MAX));
    EXPECT_PATCHED(21, PL_ERR_FIELD, put64(b + 8, 2));
    EXPECT_PATCHED(21, PL_ERR_FIELD, put64(b + 8, UINT64_MAX));
    EXPECT_PATCHED(21, 44, put64(b + 8, 0));
    EXPECT_PATCHED(21, PL_ERR_FIELD, put64(b + 16, 0));

    /* fd_offset + size past 2^64 */
    EXPECT_PATCHED(19, PL_ERR_FIELD, put64(b + 24, UINT64_MAX - 0xffffe));
    EXPECT_PATCHED(19, 44, put64(b + 24, UINT64_MAX - 0xfffff));
    EXPECT_PATCHED(19, PL_ERR_FIELD, put64(b + 24, UINT64_MAX));
    EXPECT_PATCHED(21, 44, put64(b + 24, 1));
    EXPECT_PATCHED(21, PL_ERR_FIELD, put64(b + 24, 2));
    EXPECT_PATCHED(21, 44, (put64(b + 8, 0), put64(b + 24, 0)));
    /* fd_offset's range alone wraps: offset 0 fits any size */
    EXPECT_PATCHED(21, PL_ERR_FIELD,
                   (put64(b + 8, 0), put64(b + 16, 2),
                    put64(b + 24, UINT64_MAX)));
    EXPECT_PATCHED(21, 44,
                   (put64(b + 8, 0), put64(b + 16, 1),
                    put64(b + 24, UINT64_MAX)));

    g_assert_cmpstr(pl_msg_name(PL_MSG_MAP), ==, "MAP");
}

static void test_cpl_error_with_body_header_only(void)
{
    uint8_t buf[PL_HDR_SIZE];

    /* the header shows it: no need to wait for the body */
    put_hdr(buf, PL_MSG_CPL, PL_STATUS_UR, 4, 1);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_ERR_FIELD);
    put_hdr(buf, PL_MSG_CPL, PL_STATUS_SC, 4, 1);
    g_assert_cmpint(dec(buf, PL_HDR_SIZE), ==, PL_NEED_MORE);
}

static void test_encode_invalid(void)
{
    uint8_t buf[PL_MAX_MSG + 1];
    PlMsg m;
    unsigned i;

    /* Start from sample @s, change one thing, expect pl_encode() == 0. */
#define EXPECT_ENC_FAILS(s, change) do {                        \
        sample(s, &m);                                          \
        change;                                                 \
        memset(buf, 0xa5, sizeof(buf));                         \
        g_assert_cmpuint(pl_encode(&m, buf, PL_MAX_MSG), ==, 0); \
        g_assert_cmphex(buf[PL_MAX_MSG], ==, 0xa5);             \
    } while (0)

    EXPECT_ENC_FAILS(2, m.type = 0);
    EXPECT_ENC_FAILS(2, m.type = 10);
    EXPECT_ENC_FAILS(2, m.type = 255);
    EXPECT_ENC_FAILS(0, m.u.hello.magic = 0);
    EXPECT_ENC_FAILS(0, m.u.hello.version = 1);
    EXPECT_ENC_FAILS(0, m.u.hello.version = 2);
    EXPECT_ENC_FAILS(0, m.u.hello.version = 4);
    EXPECT_ENC_FAILS(0, m.u.hello.version = 0);
    EXPECT_ENC_FAILS(0, m.u.hello.role = 0);
    EXPECT_ENC_FAILS(0, m.u.hello.role = 3);
    EXPECT_ENC_FAILS(0, m.u.hello.max_payload = 63);
    EXPECT_ENC_FAILS(0, m.u.hello.max_payload = PL_MAX_PAYLOAD + 1);
    EXPECT_ENC_FAILS(0, m.u.hello.features = 2);
    EXPECT_ENC_FAILS(1, m.u.hello.features = PL_FEAT_SHM | 0x80000000);
    EXPECT_ENC_FAILS(0, m.tag = 1);
    EXPECT_ENC_FAILS(2, m.u.link.up = 2);
    EXPECT_ENC_FAILS(2, m.status = 1);
    EXPECT_ENC_FAILS(4, m.u.cfg.size = 3);
    EXPECT_ENC_FAILS(4, m.u.cfg.size = 0);
    EXPECT_ENC_FAILS(4, m.u.cfg.offset = 4095);
    EXPECT_ENC_FAILS(4, m.u.cfg.offset = 4096);
    EXPECT_ENC_FAILS(4, m.u.cfg.offset = 2);
    EXPECT_ENC_FAILS(4, m.status = PL_STATUS_UR);
    EXPECT_ENC_FAILS(6, m.u.cfg.offset = 0xfff);
    EXPECT_ENC_FAILS(8, m.u.mem.size = 0);
    EXPECT_ENC_FAILS(8, m.u.mem.size = PL_MAX_PAYLOAD + 1);
    EXPECT_ENC_FAILS(8, m.u.mem.bar = 6);
    EXPECT_ENC_FAILS(8, m.u.mem.addr = UINT64_MAX);
    EXPECT_ENC_FAILS(10, m.u.mem.size = 0);
    EXPECT_ENC_FAILS(10, m.u.mem.size = PL_MAX_PAYLOAD + 1);
    EXPECT_ENC_FAILS(10, m.u.mem.size = 0xffffffff);
    EXPECT_ENC_FAILS(10, m.u.mem.data = NULL);
    EXPECT_ENC_FAILS(10, m.u.mem.bar = 0x80);
    EXPECT_ENC_FAILS(10, m.tag = 5);
    EXPECT_ENC_FAILS(11, m.u.mem.addr++);
    EXPECT_ENC_FAILS(12, m.u.intx.pin = 4);
    EXPECT_ENC_FAILS(12, m.u.intx.level = 2);
    EXPECT_ENC_FAILS(12, m.tag = 1);
    EXPECT_ENC_FAILS(14, m.status = PL_STATUS_UR);
    EXPECT_ENC_FAILS(14, m.status = 3);
    EXPECT_ENC_FAILS(14, m.u.cpl.data = NULL);
    EXPECT_ENC_FAILS(15, m.u.cpl.len = PL_MAX_PAYLOAD + 1);
    EXPECT_ENC_FAILS(15, m.u.cpl.len = 0xffffffff);
    EXPECT_ENC_FAILS(17, m.status = 3);
    EXPECT_ENC_FAILS(19, m.u.map.bar = 6);
    EXPECT_ENC_FAILS(19, m.u.map.bar = PL_BAR_NONE);
    EXPECT_ENC_FAILS(19, m.u.map.slot = PL_MAP_SLOTS);
    EXPECT_ENC_FAILS(19, m.u.map.enable = 2);
    EXPECT_ENC_FAILS(19, m.u.map.enable = 0);
    EXPECT_ENC_FAILS(19, m.u.map.size = 0);
    EXPECT_ENC_FAILS(19, m.u.map.offset = UINT64_MAX - 0xffffe);
    EXPECT_ENC_FAILS(19, m.u.map.fd_offset = UINT64_MAX - 0xffffe);
    EXPECT_ENC_FAILS(19, m.status = PL_STATUS_UR);
    EXPECT_ENC_FAILS(20, m.u.map.enable = 1);
    EXPECT_ENC_FAILS(20, m.u.map.size = 1);
    EXPECT_ENC_FAILS(20, m.u.map.bar = 1);
    EXPECT_ENC_FAILS(20, m.u.map.offset = 1);
    EXPECT_ENC_FAILS(20, m.u.map.fd_offset = 1);
    EXPECT_ENC_FAILS(21, m.u.map.offset++);
    EXPECT_ENC_FAILS(21, m.u.map.fd_offset += 2);
#undef EXPECT_ENC_FAILS

    /* The unchanged samples do encode (so the failures above are real). */
    for (i = 0; i < N_SAMPLES; i++) {
        sample(i, &m);
        g_assert_cmpuint(pl_encode(&m, buf, PL_MAX_MSG), >, 0);
    }
    /* CFG_RD ignores cfg.data; a read's data is decoded as 0 */
    sample(4, &m);
    m.u.cfg.data = 0x1234;
    g_assert_cmpuint(pl_encode(&m, buf, PL_MAX_MSG), ==, 16);
    g_assert_cmpint(pl_decode(buf, 16, &m), ==, 16);
    g_assert_cmphex(m.u.cfg.data, ==, 0);
    /* a MAP is non-posted: any tag encodes */
    sample(20, &m);
    m.tag = 0;
    g_assert_cmpuint(pl_encode(&m, buf, PL_MAX_MSG), ==, PL_HDR_SIZE + 32);
    sample(19, &m);
    m.tag = 0x80000001;
    g_assert_cmpuint(pl_encode(&m, buf, PL_MAX_MSG), ==, PL_HDR_SIZE + 32);
    g_assert_cmphex(get32(buf + 8), ==, 0x80000001);
}

/*
 * pl_mem_range_ok: the check senders make before they build a MEM_RD or
 * MEM_WR (a range past 2^64 is what pl_encode would refuse); and that
 * it agrees with the codec on every one-message range near the top.
 */
static void test_mem_range(void)
{
    static const uint64_t addrs[] = {
        0, 1, UINT64_MAX - PL_MAX_PAYLOAD, UINT64_MAX - PL_MAX_PAYLOAD + 1,
        UINT64_MAX - 7, UINT64_MAX - 3, UINT64_MAX - 1, UINT64_MAX,
    };
    static const uint32_t sizes[] = { 1, 2, 4, 8, PL_MAX_PAYLOAD };
    static const uint64_t map_sizes[] = {
        0, 1, 2, PL_MAX_PAYLOAD, PL_MAX_PAYLOAD + 1, 1ull << 32,
        UINT64_MAX - PL_MAX_PAYLOAD, UINT64_MAX - 1, UINT64_MAX,
    };
    uint8_t buf[PL_MAX_MSG];
    unsigned i, j, nok = 0;

    g_assert_true(pl_mem_range_ok(0, 1));
    g_assert_true(pl_mem_range_ok(0, UINT64_MAX));
    g_assert_true(pl_mem_range_ok(1, UINT64_MAX));
    g_assert_false(pl_mem_range_ok(2, UINT64_MAX));
    g_assert_true(pl_mem_range_ok(UINT64_MAX, 1));
    g_assert_false(pl_mem_range_ok(UINT64_MAX, 2));
    g_assert_true(pl_mem_range_ok(UINT64_MAX - 3, 4));
    g_assert_false(pl_mem_range_ok(UINT64_MAX - 2, 4));
    g_assert_true(pl_mem_range_ok(0xffffffffffffff80ULL, 0x80));
    g_assert_false(pl_mem_range_ok(0xffffffffffffff80ULL, 0x100));
    g_assert_false(pl_mem_range_ok(0x1000, 0));
    g_assert_false(pl_mem_range_ok(UINT64_MAX, 0));

    for (i = 0; i < G_N_ELEMENTS(addrs); i++) {
        for (j = 0; j < G_N_ELEMENTS(sizes); j++) {
            PlMsg m = { .type = PL_MSG_MEM_RD, .tag = 1 };
            bool ok = pl_mem_range_ok(addrs[i], sizes[j]);

            m.u.mem.addr = addrs[i];
            m.u.mem.size = sizes[j];
            m.u.mem.bar = PL_BAR_NONE;
            g_assert_cmpuint(pl_encode(&m, buf, sizeof(buf)), ==,
                             ok ? PL_HDR_SIZE + 16 : 0);
            m.type = PL_MSG_MEM_WR;
            m.tag = 0;
            m.u.mem.data = pattern;
            g_assert_cmpuint(pl_encode(&m, buf, sizeof(buf)), ==,
                             ok ? PL_HDR_SIZE + 16 + sizes[j] : 0);
        }
    }

    /*
     * MAP: offset and fd_offset each with size, any 64-bit size; the codec
     * takes what pl_mem_range_ok takes for both.
     */
    for (i = 0; i < G_N_ELEMENTS(addrs); i++) {
        for (j = 0; j < G_N_ELEMENTS(map_sizes); j++) {
            uint64_t a = addrs[i], sz = map_sizes[j];
            bool ok = pl_mem_range_ok(a, sz);
            PlMsg m = { .type = PL_MSG_MAP, .tag = 1 };

            m.u.map.bar = 1;
            m.u.map.slot = 1;
            m.u.map.enable = 1;
            m.u.map.size = sz;
            m.u.map.offset = a;
            g_assert_cmpuint(pl_encode(&m, buf, sizeof(buf)), ==,
                             ok ? PL_HDR_SIZE + 32 : 0);
            m.u.map.offset = 0;
            m.u.map.fd_offset = a;
            g_assert_cmpuint(pl_encode(&m, buf, sizeof(buf)), ==,
                             ok ? PL_HDR_SIZE + 32 : 0);
            if (ok) {
                nok++;
            }
        }
    }
    /* (both outcomes were seen) */
    g_assert_cmpuint(nok, >, 0);
    g_assert_cmpuint(nok, <, G_N_ELEMENTS(addrs) * G_N_ELEMENTS(map_sizes));
}

static void test_encode_cap(void)
{
    static uint8_t buf[PL_MAX_MSG + 2];
    unsigned i;

    for (i = 0; i < N_SAMPLES; i++) {
        PlMsg m;
        size_t n, k;

        sample(i, &m);
        n = PL_HDR_SIZE + sample_body_len(&m);

        /* every small cap, then a few larger ones, all too small */
        for (k = 0; k < n; k += (k < 40) ? 1 : 97) {
            memset(buf, 0xa5, sizeof(buf));
            g_assert_cmpuint(pl_encode(&m, buf, k), ==, 0);
            g_assert_cmphex(buf[k], ==, 0xa5);
            g_assert_cmphex(buf[k + 1], ==, 0xa5);
        }
        memset(buf, 0xa5, sizeof(buf));
        g_assert_cmpuint(pl_encode(&m, buf, n - 1), ==, 0);
        g_assert_cmphex(buf[n - 1], ==, 0xa5);
        g_assert_cmphex(buf[n], ==, 0xa5);

        /* exactly enough */
        memset(buf, 0xa5, sizeof(buf));
        g_assert_cmpuint(pl_encode(&m, buf, n), ==, n);
        g_assert_cmphex(buf[n], ==, 0xa5);
        g_assert_cmpint(dec(buf, n), ==, n);
    }
}

static void test_reencode_in_place(void)
{
    uint8_t buf[PL_MAX_MSG], copy[PL_MAX_MSG];
    unsigned i;

    for (i = 0; i < N_SAMPLES; i++) {
        PlMsg m;
        size_t n = enc(i, buf);

        memcpy(copy, buf, n);
        g_assert_cmpint(pl_decode(buf, n, &m), ==, n);
        /* m's data points into buf itself */
        g_assert_cmpuint(pl_encode(&m, buf, n), ==, n);
        g_assert_cmpmem(buf, n, copy, n);
    }
}

static void test_names(void)
{
    g_assert_cmpstr(pl_msg_name(PL_MSG_HELLO), ==, "HELLO");
    g_assert_cmpstr(pl_msg_name(PL_MSG_LINK), ==, "LINK");
    g_assert_cmpstr(pl_msg_name(PL_MSG_CFG_RD), ==, "CFG_RD");
    g_assert_cmpstr(pl_msg_name(PL_MSG_CFG_WR), ==, "CFG_WR");
    g_assert_cmpstr(pl_msg_name(PL_MSG_MEM_RD), ==, "MEM_RD");
    g_assert_cmpstr(pl_msg_name(PL_MSG_MEM_WR), ==, "MEM_WR");
    g_assert_cmpstr(pl_msg_name(PL_MSG_INTX), ==, "INTX");
    g_assert_cmpstr(pl_msg_name(PL_MSG_CPL), ==, "CPL");
    g_assert_cmpstr(pl_msg_name(PL_MSG_MAP), ==, "MAP");
    g_assert_cmpstr(pl_msg_name(0), ==, "?");
    g_assert_cmpstr(pl_msg_name(10), ==, "?");
    g_assert_cmpstr(pl_msg_name(255), ==, "?");

    /* every error has its own text */
    {
        static const int errs[] = {
            PL_NEED_MORE, PL_ERR_TYPE, PL_ERR_LENGTH, PL_ERR_FIELD,
            PL_ERR_MAGIC, PL_ERR_VERSION,
        };
        unsigned i, j;

        for (i = 0; i < G_N_ELEMENTS(errs); i++) {
            const char *s = pl_strerror(errs[i]);

            g_assert_nonnull(s);
            g_assert_cmpuint(strlen(s), >, 0);
            for (j = 0; j < i; j++) {
                g_assert_cmpstr(s, !=, pl_strerror(errs[j]));
            }
        }
        g_assert_nonnull(pl_strerror(-100));
        g_assert_nonnull(pl_strerror(28));
    }
}

/* xorshift32, fixed seed: the same inputs on every run */
static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
    uint32_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static void test_fuzz(void)
{
    static uint8_t orig[PL_MAX_MSG], buf[PL_MAX_MSG], re[PL_MAX_MSG];
    unsigned iter, nsucc = 0, nerr = 0, nmore = 0;

    for (iter = 0; iter < 20000; iter++) {
        unsigned s = rng() % N_SAMPLES;
        size_t n = enc(s, orig), len;
        unsigned nmut = 1 + rng() % 4, j;
        PlMsg m;
        int r;

        memcpy(buf, orig, n);
        for (j = 0; j < nmut; j++) {
            /* mostly the header and the fixed fields */
            size_t pos = (rng() & 1) ? rng() % MIN(n, (size_t)28) : rng() % n;

            switch (rng() % 4) {
            case 0:
                buf[pos] = (uint8_t)rng();
                break;
            case 1:
                buf[pos] ^= (uint8_t)(1u << (rng() % 8));
                break;
            case 2:
                buf[pos] = (rng() & 1) ? 0 : 0xff;
                break;
            default:
                buf[pos] = (uint8_t)(buf[pos] + 1);
                break;
            }
        }
        /* sometimes truncated, sometimes with trailing bytes */
        switch (rng() % 4) {
        case 0:
            len = rng() % (n + 1);
            break;
        case 1:
            len = MIN(n + rng() % 64, (size_t)PL_MAX_MSG);
            break;
        default:
            len = n;
            break;
        }

        r = pl_decode(buf, len, &m);
        g_assert_cmpint(r, <=, (int)len);
        g_assert_cmpint(r, >=, PL_ERR_VERSION);
        if (r >= 0) {
            g_assert_cmpint(r, ==, PL_HDR_SIZE + get32(buf + 4));
            memset(re, 0x5a, sizeof(re));
            g_assert_cmpuint(pl_encode(&m, re, sizeof(re)), ==, r);
            g_assert_cmpmem(re, r, buf, r);
            nsucc++;
        } else if (r == PL_NEED_MORE) {
            nmore++;
        } else {
            nerr++;
        }
    }
    /* the loop reached every kind of outcome */
    g_assert_cmpuint(nsucc, >, 100);
    g_assert_cmpuint(nerr, >, 100);
    g_assert_cmpuint(nmore, >, 100);
}

int main(int argc, char **argv)
{
    init_pattern();
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/link-proto/wire-format", test_wire_format);
    g_test_add_func("/link-proto/round-trip", test_round_trip);
    g_test_add_func("/link-proto/truncation", test_truncation);
    g_test_add_func("/link-proto/back-to-back", test_back_to_back);
    g_test_add_func("/link-proto/header-too-long", test_header_too_long);
    g_test_add_func("/link-proto/bad-body-length", test_bad_body_length);
    g_test_add_func("/link-proto/bad-type", test_bad_type);
    g_test_add_func("/link-proto/hello", test_hello);
    g_test_add_func("/link-proto/field-errors", test_field_errors);
    g_test_add_func("/link-proto/map", test_map);
    g_test_add_func("/link-proto/cpl-error-header-only",
                    test_cpl_error_with_body_header_only);
    g_test_add_func("/link-proto/encode-invalid", test_encode_invalid);
    g_test_add_func("/link-proto/encode-cap", test_encode_cap);
    g_test_add_func("/link-proto/mem-range", test_mem_range);
    g_test_add_func("/link-proto/reencode-in-place", test_reencode_in_place);
    g_test_add_func("/link-proto/names", test_names);
    g_test_add_func("/link-proto/fuzz", test_fuzz);
    return g_test_run();
}

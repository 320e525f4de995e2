/*
 * libFuzzer target: the link protocol codec
 * (qemu/hw/pci-ep/pcie-link-proto.c, layout in pcie-link-proto.h).
 *
 * Decoder side.  The input is a byte stream as the link receives it, and
 * messages are decoded one after the other as the receive loop does.  Each
 * is decoded from a heap copy of exactly the bytes still available, so ASan
 * sees a read one byte too far.  The first message is also decoded with
 * its body completed with zeros to the length its header gives, so that
 * short inputs reach the 4 KiB limits.  For each message:
 *   - the result is a message length (12 + the header's length field, no
 *     more than was given), PL_NEED_MORE or a PlResult error;
 *   - every prefix of the bytes decodes as PL_NEED_MORE until the whole
 *     message (or its error) is there, and from then on as the same result:
 *     a stream decoder never acts on part of a message;
 *   - a decoded message obeys the rules of pcie-link-proto.h, its data
 *     pointers point into the message, and it re-encodes to exactly the
 *     same bytes: in a fresh buffer of exactly its size, in a larger one
 *     (writing nothing past the message) and in place in the buffer it was
 *     decoded from; one byte less of room is refused.
 *
 * Encoder side.  The same input is also read as a PlMsg (type, status, tag,
 * the fields of the type, a payload) and a buffer size.  pl_encode either
 * refuses the message or writes one that obeys the rules and decodes to the
 * same fields and payload; PL_MAX_MSG bytes always suffice, and a buffer
 * too small is refused, never overrun.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/pci-ep/pcie-link-proto.h"
#include "fuzz-common.h"

/* Prefix lengths up to this are all tried; longer ones only at edges. */
#define PREFIX_SWEEP 64

/* Offsets in a message (pcie-link-proto.h). */
#define HDR_LENGTH      4
#define HDR_TAG         8
#define MEM_BODY        16
#define MAP_BODY        32

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static bool is_posted(uint8_t type)
{
    return type == PL_MSG_HELLO || type == PL_MSG_LINK ||
           type == PL_MSG_MEM_WR || type == PL_MSG_INTX;
}

/*
 * The rules of pcie-link-proto.h that any message on the wire obeys,
 * written from the header's description (not from the codec).
 */
static void check_rules(const PlMsg *m)
{
    FUZZ_CHECK(m->type >= PL_MSG_HELLO && m->type <= PL_MSG_MAP);
    if (m->type == PL_MSG_CPL) {
        FUZZ_CHECK(m->status == PL_STATUS_SC || m->status == PL_STATUS_UR ||
                   m->status == PL_STATUS_CA);
    } else {
        FUZZ_CHECK(m->status == 0);
    }
    if (is_posted(m->type)) {
        FUZZ_CHECK(m->tag == 0);
    }

    switch (m->type) {
    case PL_MSG_HELLO:
        FUZZ_CHECK(m->u.hello.magic == PL_MAGIC);
        FUZZ_CHECK(m->u.hello.version == PL_VERSION);
        FUZZ_CHECK(m->u.hello.role == PL_ROLE_EP ||
                   m->u.hello.role == PL_ROLE_RC);
        FUZZ_CHECK(m->u.hello.max_payload >= 1 &&
                   m->u.hello.max_payload <= PL_MAX_PAYLOAD);
        FUZZ_CHECK((m->u.hello.features & ~PL_FEAT_SHM) == 0);
        break;
    case PL_MSG_LINK:
        FUZZ_CHECK(m->u.link.up <= 1);
        FUZZ_CHECK(m->u.link.perst <= 1 &&
                   !(m->u.link.up && m->u.link.perst));
        break;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
        FUZZ_CHECK(m->u.cfg.size == 1 || m->u.cfg.size == 2 ||
                   m->u.cfg.size == 4);
        FUZZ_CHECK(m->u.cfg.offset % m->u.cfg.size == 0);
        FUZZ_CHECK((uint32_t)m->u.cfg.offset + m->u.cfg.size <=
                   PL_CFG_SPACE);
        break;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        FUZZ_CHECK(m->u.mem.size >= 1 && m->u.mem.size <= PL_MAX_PAYLOAD);
        FUZZ_CHECK(m->u.mem.bar <= 5 || m->u.mem.bar == PL_BAR_NONE);
        /* the last byte does not wrap past 2^64 - 1 */
        FUZZ_CHECK(m->u.mem.size - 1 <= UINT64_MAX - m->u.mem.addr);
        FUZZ_CHECK(pl_mem_range_ok(m->u.mem.addr, m->u.mem.size));
        FUZZ_CHECK(m->type == PL_MSG_MEM_RD || m->u.mem.data != NULL);
        break;
    case PL_MSG_INTX:
        FUZZ_CHECK(m->u.intx.pin <= 3);
        FUZZ_CHECK(m->u.intx.level <= 1);
        break;
    case PL_MSG_CPL:
        FUZZ_CHECK(m->u.cpl.len <= PL_MAX_PAYLOAD);
        FUZZ_CHECK(m->status == PL_STATUS_SC || m->u.cpl.len == 0);
        FUZZ_CHECK(m->u.cpl.len == 0 || m->u.cpl.data != NULL);
        break;
    case PL_MSG_MAP:
        FUZZ_CHECK(m->u.map.bar <= 5);
        FUZZ_CHECK(m->u.map.slot < PL_MAP_SLOTS);
        FUZZ_CHECK(m->u.map.enable <= 1);
        if (m->u.map.enable) {
            /* neither range's last byte wraps past 2^64 - 1 */
            FUZZ_CHECK(m->u.map.size >= 1);
            FUZZ_CHECK(m->u.map.size - 1 <= UINT64_MAX - m->u.map.offset);
            FUZZ_CHECK(m->u.map.size - 1 <= UINT64_MAX - m->u.map.fd_offset);
            FUZZ_CHECK(pl_mem_range_ok(m->u.map.offset, m->u.map.size));
            FUZZ_CHECK(pl_mem_range_ok(m->u.map.fd_offset, m->u.map.size));
        } else {
            /* an unmap names the slot only */
            FUZZ_CHECK(m->u.map.bar == 0 && m->u.map.offset == 0 &&
                       m->u.map.size == 0 && m->u.map.fd_offset == 0);
        }
        break;
    }
}

/*
 * Every prefix of @b (@len bytes, which decoded as @full) decodes as
 * PL_NEED_MORE until the result is known, then as @full.  Each prefix is
 * a copy of exactly its length.
 */
static void check_prefixes(const uint8_t *b, size_t len, int full)
{
    bool seen_full = false;
    size_t k;

    for (k = 0; k <= len; k++) {
        uint8_t *copy;
        PlMsg m;
        int r;

        if (k > PREFIX_SWEEP && k + 1 < len &&
            k != PL_HDR_SIZE + MEM_BODY &&
            (full <= 0 || (k + 1 != (size_t)full && k != (size_t)full))) {
            continue;
        }
        copy = fuzz_dup(b, k);
        memset(&m, 0, sizeof(m));
        r = pl_decode(copy, k, &m);
        free(copy);

        if (full >= 0) {
            FUZZ_CHECK(r == (k >= (size_t)full ? full : PL_NEED_MORE));
        } else if (seen_full) {
            FUZZ_CHECK(r == full);
        } else {
            FUZZ_CHECK(r == PL_NEED_MORE || r == full);
        }
        seen_full = seen_full || r == full;
    }
}

/* @m was decoded from @b and took @n bytes: where its fields came from. */
static void check_decoded(const uint8_t *b, size_t n, const PlMsg *m)
{
    uint32_t length = le32(b + HDR_LENGTH);

    FUZZ_CHECK(n == PL_HDR_SIZE + (size_t)length);
    FUZZ_CHECK(length <= PL_MAX_BODY);
    FUZZ_CHECK(m->type == b[0] && m->status == b[1]);
    FUZZ_CHECK(m->tag == le32(b + HDR_TAG));
    switch (m->type) {
    case PL_MSG_MEM_RD:
        FUZZ_CHECK(length == MEM_BODY && m->u.mem.data == NULL);
        break;
    case PL_MSG_MEM_WR:
        FUZZ_CHECK(length == MEM_BODY + m->u.mem.size);
        FUZZ_CHECK(m->u.mem.data == b + PL_HDR_SIZE + MEM_BODY);
        break;
    case PL_MSG_CPL:
        FUZZ_CHECK(m->u.cpl.len == length);
        FUZZ_CHECK(m->u.cpl.data == (length ? b + PL_HDR_SIZE : NULL));
        break;
    case PL_MSG_MAP:
        FUZZ_CHECK(length == MAP_BODY);
        FUZZ_CHECK(m->u.map.bar == b[PL_HDR_SIZE] &&
                   m->u.map.slot == b[PL_HDR_SIZE + 1] &&
                   m->u.map.enable == b[PL_HDR_SIZE + 2]);
        break;
    }
}

/* @m, decoded from the @n bytes at @b, re-encodes to exactly those bytes. */
static void check_reencode(const uint8_t *b, size_t n, const PlMsg *m)
{
    uint8_t *out, *again;
    PlMsg m2;
    size_t i;

    /* exactly the room it needs */
    out = malloc(n);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(pl_encode(m, out, n) == n);
    FUZZ_CHECK(memcmp(out, b, n) == 0);
    free(out);

    /* one byte less: refused, nothing written past the buffer */
    out = malloc(n - 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(pl_encode(m, out, n - 1) == 0);
    free(out);

    /* the largest buffer: nothing written past the message */
    out = malloc(PL_MAX_MSG);
    FUZZ_CHECK(out != NULL);
    memset(out, 0xa5, PL_MAX_MSG);
    FUZZ_CHECK(pl_encode(m, out, PL_MAX_MSG) == n);
    FUZZ_CHECK(memcmp(out, b, n) == 0);
    for (i = n; i < PL_MAX_MSG; i++) {
        FUZZ_CHECK(out[i] == 0xa5);
    }
    free(out);

    /* in place, over the buffer the message was decoded from */
    again = fuzz_dup(b, n);
    FUZZ_CHECK(pl_decode(again, n, &m2) == (int)n);
    FUZZ_CHECK(pl_encode(&m2, again, n) == n);
    FUZZ_CHECK(memcmp(again, b, n) == 0);
    free(again);
}

/*
 * Decodes the message at the start of @b (@avail bytes, a heap block of
 * exactly that size) and checks it; returns what pl_decode returned.
 */
static int check_message(const uint8_t *b, size_t avail)
{
    PlMsg m;
    int ret;

    memset(&m, 0, sizeof(m));
    ret = pl_decode(b, avail, &m);
    FUZZ_CHECK(ret > 0 || ret == PL_NEED_MORE || ret == PL_ERR_TYPE ||
               ret == PL_ERR_LENGTH || ret == PL_ERR_FIELD ||
               ret == PL_ERR_MAGIC || ret == PL_ERR_VERSION);
    FUZZ_CHECK(pl_strerror(ret) != NULL);
    check_prefixes(b, avail, ret);
    if (ret > 0) {
        FUZZ_CHECK((size_t)ret <= avail);
        FUZZ_CHECK(pl_msg_name(m.type)[0] != '?');
        check_decoded(b, ret, &m);
        check_rules(&m);
        check_reencode(b, ret, &m);
    }
    return ret;
}

/* The input as a stream: one message after the other, as the link reads. */
static void fuzz_stream(const uint8_t *data, size_t size)
{
    size_t off = 0;
    uint8_t *b;
    int ret;

    do {
        /* (no arithmetic on the NULL an empty input may come as) */
        b = fuzz_dup(off ? data + off : data, size - off);
        ret = check_message(b, size - off);
        free(b);
        if (ret <= 0) {
            break;
        }
        off += ret;
    } while (off < size);
}

/*
 * The input's first message with its body completed with zeros up to the
 * length in its header (when that length is near what is allowed), so
 * that the limits of 4 KiB bodies are reached from short inputs.
 */
static void fuzz_padded(const uint8_t *data, size_t size)
{
    size_t total;
    uint8_t *b;

    if (size < PL_HDR_SIZE || le32(data + HDR_LENGTH) > PL_MAX_BODY + 64) {
        return;
    }
    total = PL_HDR_SIZE + (size_t)le32(data + HDR_LENGTH);
    if (size >= total) {
        return;             /* whole already: fuzz_stream had it */
    }
    b = malloc(total);
    FUZZ_CHECK(b != NULL);
    memcpy(b, data, size);
    memset(b + size, 0, total - size);
    check_message(b, total);
    free(b);
}

/* Whether @a (sent) and @b (decoded from what was sent) are one message. */
static void check_same(const PlMsg *a, const PlMsg *b)
{
    FUZZ_CHECK(a->type == b->type && a->status == b->status &&
               a->tag == b->tag);
    switch (a->type) {
    case PL_MSG_HELLO:
        FUZZ_CHECK(a->u.hello.magic == b->u.hello.magic &&
                   a->u.hello.version == b->u.hello.version &&
                   a->u.hello.role == b->u.hello.role &&
                   a->u.hello.max_payload == b->u.hello.max_payload &&
                   a->u.hello.features == b->u.hello.features);
        break;
    case PL_MSG_LINK:
        FUZZ_CHECK(a->u.link.up == b->u.link.up);
        FUZZ_CHECK(a->u.link.perst == b->u.link.perst);
        break;
    case PL_MSG_CFG_WR:
        FUZZ_CHECK(a->u.cfg.data == b->u.cfg.data);
        /* fall through */
    case PL_MSG_CFG_RD:
        FUZZ_CHECK(a->u.cfg.offset == b->u.cfg.offset &&
                   a->u.cfg.size == b->u.cfg.size);
        break;
    case PL_MSG_MEM_WR:
        FUZZ_CHECK(memcmp(a->u.mem.data, b->u.mem.data, a->u.mem.size) == 0);
        /* fall through */
    case PL_MSG_MEM_RD:
        FUZZ_CHECK(a->u.mem.addr == b->u.mem.addr &&
                   a->u.mem.size == b->u.mem.size &&
                   a->u.mem.bar == b->u.mem.bar);
        break;
    case PL_MSG_INTX:
        FUZZ_CHECK(a->u.intx.pin == b->u.intx.pin &&
                   a->u.intx.level == b->u.intx.level);
        break;
    case PL_MSG_CPL:
        FUZZ_CHECK(a->u.cpl.len == b->u.cpl.len);
        FUZZ_CHECK(a->u.cpl.len == 0 ||
                   memcmp(a->u.cpl.data, b->u.cpl.data, a->u.cpl.len) == 0);
        break;
    case PL_MSG_MAP:
        FUZZ_CHECK(a->u.map.bar == b->u.map.bar &&
                   a->u.map.slot == b->u.map.slot &&
                   a->u.map.enable == b->u.map.enable &&
                   a->u.map.offset == b->u.map.offset &&
                   a->u.map.size == b->u.map.size &&
                   a->u.map.fd_offset == b->u.map.fd_offset);
        break;
    }
}

/*
 * The payload of an encoded message: a heap buffer of at most
 * PL_MAX_PAYLOAD bytes (so that an encoder reading a larger @size it should
 * have refused reads past it), filled from the input.
 */
static uint8_t *fuzz_payload(FuzzInput *in, uint32_t size)
{
    uint32_t n = size < PL_MAX_PAYLOAD ? size : PL_MAX_PAYLOAD;
    uint8_t *p = malloc(n);
    uint32_t i;

    FUZZ_CHECK(p != NULL || n == 0);
    for (i = 0; i < n; i++) {
        p[i] = in->left ? fuzz_u8(in) : (uint8_t)i;
    }
    return p;
}

static void fuzz_encoder(const uint8_t *data, size_t size)
{
    FuzzInput in = { data, size };
    uint8_t *payload = NULL, *full_buf, *buf, *copy;
    size_t full, cap, t;
    uint32_t psize;
    uint8_t flags;
    PlMsg m, d;

    memset(&m, 0, sizeof(m));
    m.type = fuzz_u8(&in);
    m.status = fuzz_u8(&in);
    m.tag = fuzz_u32(&in);
    flags = fuzz_u8(&in);
    cap = fuzz_u32(&in) % (PL_MAX_MSG + 2);
    switch (m.type) {
    case PL_MSG_HELLO:
        m.u.hello.magic = (flags & 1) ? PL_MAGIC : fuzz_u32(&in);
        m.u.hello.version = fuzz_u32(&in);
        m.u.hello.role = fuzz_u32(&in);
        m.u.hello.max_payload = fuzz_u32(&in);
        m.u.hello.features = fuzz_u32(&in);
        if (flags & 2) {
            m.u.hello.features &= PL_FEATURES;
        }
        break;
    case PL_MSG_LINK:
        m.u.link.up = fuzz_u8(&in);
        m.u.link.perst = fuzz_u8(&in);
        break;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
        m.u.cfg.offset = fuzz_u32(&in);
        m.u.cfg.size = fuzz_u8(&in);
        m.u.cfg.data = fuzz_u32(&in);
        break;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        m.u.mem.addr = fuzz_u64(&in);
        m.u.mem.size = fuzz_u32(&in);
        m.u.mem.bar = fuzz_u8(&in);
        if ((flags & 2) && m.u.mem.size > PL_MAX_PAYLOAD + 1) {
            m.u.mem.size %= PL_MAX_PAYLOAD + 2;
        }
        if (m.type == PL_MSG_MEM_WR && !(flags & 4)) {
            payload = fuzz_payload(&in, m.u.mem.size);
            m.u.mem.data = payload;
        }
        break;
    case PL_MSG_INTX:
        m.u.intx.pin = fuzz_u8(&in);
        m.u.intx.level = fuzz_u8(&in);
        break;
    case PL_MSG_CPL:
        psize = fuzz_u32(&in);
        if ((flags & 2) && psize > PL_MAX_PAYLOAD + 1) {
            psize %= PL_MAX_PAYLOAD + 2;
        }
        m.u.cpl.len = psize;
        if (!(flags & 4)) {
            payload = fuzz_payload(&in, psize);
            m.u.cpl.data = payload;
        }
        break;
    case PL_MSG_MAP:
        m.u.map.bar = fuzz_u8(&in);
        m.u.map.slot = fuzz_u8(&in);
        m.u.map.enable = fuzz_u8(&in);
        m.u.map.offset = fuzz_u64(&in);
        m.u.map.size = fuzz_u64(&in);
        m.u.map.fd_offset = fuzz_u64(&in);
        if (flags & 2) {
            /* the larger range ends within 1 byte of 2^64, either side */
            m.u.map.size = UINT64_MAX - MAX(m.u.map.offset,
                                            m.u.map.fd_offset) +
                           m.u.map.size % 3;
        }
        break;
    }

    full_buf = malloc(PL_MAX_MSG);
    FUZZ_CHECK(full_buf != NULL);
    full = pl_encode(&m, full_buf, PL_MAX_MSG);
    buf = malloc(cap);
    FUZZ_CHECK(buf != NULL || cap == 0);
    t = pl_encode(&m, buf, cap);

    if (full == 0) {
        /* refused whatever the room */
        FUZZ_CHECK(t == 0);
    } else {
        FUZZ_CHECK(full >= PL_HDR_SIZE && full <= PL_MAX_MSG);
        FUZZ_CHECK(t == (cap >= full ? full : 0));
        FUZZ_CHECK(t == 0 || memcmp(buf, full_buf, t) == 0);
        check_rules(&m);
        copy = fuzz_dup(full_buf, full);
        FUZZ_CHECK(pl_decode(copy, full, &d) == (int)full);
        check_same(&m, &d);
        free(copy);
    }
    free(buf);
    free(full_buf);
    free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size);
    fuzz_padded(data, size);
    fuzz_encoder(data, size);
    return 0;
}

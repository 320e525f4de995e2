/*
 * The PCIe link protocol between the EP QEMU and the RC QEMU: encoder and
 * decoder of the messages described in pcie-link-proto.h.
 *
 * Pure functions with no QEMU device state; also built outside QEMU by the
 * top-level meson unit tests.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/pcie-link-proto.h"

/* Body sizes of the fixed-size messages (and of MEM_RD/MEM_WR's fields). */
#define PL_HELLO_LEN    16
#define PL_MAP_LEN      32
#define PL_LINK_LEN     4
#define PL_CFG_RD_LEN   4
#define PL_CFG_WR_LEN   8
#define PL_MEM_LEN      16
#define PL_INTX_LEN     4

/* Smallest max_payload a HELLO may advertise. */
#define PL_MIN_MAX_PAYLOAD 64

/* Little-endian loads and stores (buffers need not be aligned). */
static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32);
}

static void st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

static bool type_is_posted(uint8_t type)
{
    return type == PL_MSG_HELLO || type == PL_MSG_LINK ||
           type == PL_MSG_MEM_WR || type == PL_MSG_INTX;
}

/*
 * Whether the body length from the header can be right for @type.  For
 * MEM_WR only the fixed part is checked here: the exact length depends on
 * the size field in the body.
 */
static bool body_len_ok(uint8_t type, uint32_t length)
{
    switch (type) {
    case PL_MSG_HELLO:
        return length == PL_HELLO_LEN;
    case PL_MSG_LINK:
        return length == PL_LINK_LEN;
    case PL_MSG_CFG_RD:
        return length == PL_CFG_RD_LEN;
    case PL_MSG_CFG_WR:
        return length == PL_CFG_WR_LEN;
    case PL_MSG_MEM_RD:
        return length == PL_MEM_LEN;
    case PL_MSG_MEM_WR:
        return length >= PL_MEM_LEN;
    case PL_MSG_INTX:
        return length == PL_INTX_LEN;
    case PL_MSG_CPL:
        return length <= PL_MAX_PAYLOAD;
    case PL_MSG_MAP:
        return length == PL_MAP_LEN;
    default:
        return false;
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static int decode_hello(const uint8_t *b, PlMsg *m)
{
    m->u.hello.magic = ld32(b);
    m->u.hello.version = ld16(b + 4);
    m->u.hello.role = ld16(b + 6);
    m->u.hello.max_payload = ld32(b + 8);
    m->u.hello.features = ld32(b + 12);
    if (m->u.hello.magic != PL_MAGIC) {
        return PL_ERR_MAGIC;
    }
    if (m->u.hello.version != PL_VERSION) {
        return PL_ERR_VERSION;
    }
    if (m->u.hello.role != PL_ROLE_EP && m->u.hello.role != PL_ROLE_RC) {
        return PL_ERR_FIELD;
    }
    if (m->u.hello.max_payload < PL_MIN_MAX_PAYLOAD ||
        m->u.hello.max_payload > PL_MAX_PAYLOAD) {
        return PL_ERR_FIELD;
    }
    if (m->u.hello.features & ~PL_FEATURES) {
        return PL_ERR_FIELD;
    }
    return 0;
}

static int decode_map(const uint8_t *b, PlMsg *m)
{
    m->u.map.bar = b[0];
    m->u.map.slot = b[1];
    m->u.map.enable = b[2];
    m->u.map.offset = ld64(b + 8);
    m->u.map.size = ld64(b + 16);
    m->u.map.fd_offset = ld64(b + 24);
    if (!all_zero(b + 3, 5) || m->u.map.bar > 5 ||
        m->u.map.slot >= PL_MAP_SLOTS || m->u.map.enable > 1) {
        return PL_ERR_FIELD;
    }
    if (!m->u.map.enable) {
        /* an unmap names the slot only */
        return m->u.map.bar || m->u.map.offset || m->u.map.size ||
               m->u.map.fd_offset ? PL_ERR_FIELD : 0;
    }
    if (!pl_mem_range_ok(m->u.map.offset, m->u.map.size) ||
        !pl_mem_range_ok(m->u.map.fd_offset, m->u.map.size)) {
        return PL_ERR_FIELD;
    }
    return 0;
}

static int decode_cfg(const uint8_t *b, bool write, PlMsg *m)
{
    m->u.cfg.offset = ld16(b);
    m->u.cfg.size = b[2];
    m->u.cfg.data = write ? ld32(b + 4) : 0;
    if (b[3] != 0) {
        return PL_ERR_FIELD;
    }
    if (m->u.cfg.size != 1 && m->u.cfg.size != 2 && m->u.cfg.size != 4) {
        return PL_ERR_FIELD;
    }
    if (m->u.cfg.offset % m->u.cfg.size != 0 ||
        (uint32_t)m->u.cfg.offset + m->u.cfg.size > PL_CFG_SPACE) {
        return PL_ERR_FIELD;
    }
    return 0;
}

static int decode_mem(const uint8_t *b, bool write, PlMsg *m)
{
    m->u.mem.addr = ld64(b);
    m->u.mem.size = ld32(b + 8);
    m->u.mem.bar = b[12];
    m->u.mem.data = write ? b + PL_MEM_LEN : NULL;
    if (!all_zero(b + 13, 3)) {
        return PL_ERR_FIELD;
    }
    if (m->u.mem.size < 1 || m->u.mem.size > PL_MAX_PAYLOAD) {
        return PL_ERR_FIELD;
    }
    if (m->u.mem.bar > 5 && m->u.mem.bar != PL_BAR_NONE) {
        return PL_ERR_FIELD;
    }
    if (!pl_mem_range_ok(m->u.mem.addr, m->u.mem.size)) {
        return PL_ERR_FIELD;
    }
    return 0;
}

bool pl_mem_range_ok(uint64_t addr, uint64_t size)
{
    /* The last byte, addr + size - 1, must not wrap past 2^64 - 1. */
    return size && size - 1 <= UINT64_MAX - addr;
}

int pl_decode(const uint8_t *buf, size_t len, PlMsg *msg)
{
    const uint8_t *b = buf + PL_HDR_SIZE;
    uint8_t type, status;
    uint32_t length, tag;
    PlMsg m;
    int ret;

    if (len < PL_HDR_SIZE) {
        return PL_NEED_MORE;
    }

    /* The header alone. */
    type = buf[0];
    status = buf[1];
    length = ld32(buf + 4);
    tag = ld32(buf + 8);
    if (type < PL_MSG_HELLO || type > PL_MSG_MAP) {
        return PL_ERR_TYPE;
    }
    if (ld16(buf + 2) != 0) {
        return PL_ERR_FIELD;
    }
    if (length > PL_MAX_BODY || !body_len_ok(type, length)) {
        return PL_ERR_LENGTH;
    }
    if (type == PL_MSG_CPL) {
        if (status != PL_STATUS_SC && status != PL_STATUS_UR &&
            status != PL_STATUS_CA) {
            return PL_ERR_FIELD;
        }
        if (status != PL_STATUS_SC && length != 0) {
            return PL_ERR_FIELD;
        }
    } else if (status != 0) {
        return PL_ERR_FIELD;
    }
    if (type_is_posted(type) && tag != 0) {
        return PL_ERR_FIELD;
    }

    /* MEM_WR: the size field must account for the rest of the body. */
    if (type == PL_MSG_MEM_WR) {
        if (len < PL_HDR_SIZE + PL_MEM_LEN) {
            return PL_NEED_MORE;
        }
        if ((uint64_t)ld32(b + 8) + PL_MEM_LEN != length) {
            return PL_ERR_LENGTH;
        }
    }

    if (len - PL_HDR_SIZE < length) {
        return PL_NEED_MORE;
    }

    /* The body. */
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.status = status;
    m.tag = tag;
    switch (type) {
    case PL_MSG_HELLO:
        ret = decode_hello(b, &m);
        break;
    case PL_MSG_LINK:
        m.u.link.up = b[0];
        m.u.link.perst = b[1];
        /* PERST# goes with a link held down only */
        ret = (b[0] <= 1 && b[1] <= 1 && !(b[0] && b[1]) &&
               all_zero(b + 2, 2)) ? 0 : PL_ERR_FIELD;
        break;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
        ret = decode_cfg(b, type == PL_MSG_CFG_WR, &m);
        break;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        ret = decode_mem(b, type == PL_MSG_MEM_WR, &m);
        break;
    case PL_MSG_INTX:
        m.u.intx.pin = b[0];
        m.u.intx.level = b[1];
        ret = (b[0] <= 3 && b[1] <= 1 && all_zero(b + 2, 2)) ?
              0 : PL_ERR_FIELD;
        break;
    case PL_MSG_CPL:
        m.u.cpl.len = length;
        m.u.cpl.data = length ? b : NULL;
        ret = 0;
        break;
    case PL_MSG_MAP:
        ret = decode_map(b, &m);
        break;
    default:
        ret = PL_ERR_TYPE;  /* not reached: checked with the header */
        break;
    }
    if (ret < 0) {
        return ret;
    }

    *msg = m;
    return PL_HDR_SIZE + length;
}

size_t pl_encode(const PlMsg *msg, uint8_t *buf, size_t cap)
{
    const uint8_t *payload = NULL;
    uint32_t payload_len = 0, length;
    size_t total;
    uint8_t *b = buf + PL_HDR_SIZE;
    PlMsg check;

    switch (msg->type) {
    case PL_MSG_HELLO:
        length = PL_HELLO_LEN;
        break;
    case PL_MSG_LINK:
        length = PL_LINK_LEN;
        break;
    case PL_MSG_CFG_RD:
        length = PL_CFG_RD_LEN;
        break;
    case PL_MSG_CFG_WR:
        length = PL_CFG_WR_LEN;
        break;
    case PL_MSG_MEM_RD:
        length = PL_MEM_LEN;
        break;
    case PL_MSG_MEM_WR:
        if (msg->u.mem.size < 1 || msg->u.mem.size > PL_MAX_PAYLOAD ||
            !msg->u.mem.data) {
            return 0;
        }
        payload = msg->u.mem.data;
        payload_len = msg->u.mem.size;
        length = PL_MEM_LEN + payload_len;
        break;
    case PL_MSG_INTX:
        length = PL_INTX_LEN;
        break;
    case PL_MSG_CPL:
        if (msg->u.cpl.len > PL_MAX_PAYLOAD ||
            (msg->u.cpl.len && !msg->u.cpl.data)) {
            return 0;
        }
        payload = msg->u.cpl.data;
        payload_len = msg->u.cpl.len;
        length = payload_len;
        break;
    case PL_MSG_MAP:
        length = PL_MAP_LEN;
        break;
    default:
        return 0;
    }

    total = PL_HDR_SIZE + (size_t)length;
    if (cap < total) {
        return 0;
    }

    /*
     * The payload goes first, with memmove: the caller may re-encode a
     * message decoded from (and so pointing into) this very buffer.
     */
    if (payload_len) {
        memmove(buf + total - payload_len, payload, payload_len);
    }

    buf[0] = msg->type;
    buf[1] = msg->status;
    st16(buf + 2, 0);
    st32(buf + 4, length);
    st32(buf + 8, msg->tag);

    switch (msg->type) {
    case PL_MSG_HELLO:
        st32(b, msg->u.hello.magic);
        st16(b + 4, msg->u.hello.version);
        st16(b + 6, msg->u.hello.role);
        st32(b + 8, msg->u.hello.max_payload);
        st32(b + 12, msg->u.hello.features);
        break;
    case PL_MSG_LINK:
        b[0] = msg->u.link.up;
        b[1] = msg->u.link.perst;
        memset(b + 2, 0, 2);
        break;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
        st16(b, msg->u.cfg.offset);
        b[2] = msg->u.cfg.size;
        b[3] = 0;
        if (msg->type == PL_MSG_CFG_WR) {
            st32(b + 4, msg->u.cfg.data);
        }
        break;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        st64(b, msg->u.mem.addr);
        st32(b + 8, msg->u.mem.size);
        b[12] = msg->u.mem.bar;
        memset(b + 13, 0, 3);
        break;
    case PL_MSG_INTX:
        b[0] = msg->u.intx.pin;
        b[1] = msg->u.intx.level;
        memset(b + 2, 0, 2);
        break;
    case PL_MSG_MAP:
        b[0] = msg->u.map.bar;
        b[1] = msg->u.map.slot;
        b[2] = msg->u.map.enable;
        memset(b + 3, 0, 5);
        st64(b + 8, msg->u.map.offset);
        st64(b + 16, msg->u.map.size);
        st64(b + 24, msg->u.map.fd_offset);
        break;
    default:
        break;
    }

    /* One set of rules: what the decoder would refuse is not sent. */
    if (pl_decode(buf, total, &check) != (int)total) {
        return 0;
    }
    return total;
}

const char *pl_strerror(int result)
{
    if (result >= 0) {
        return "success";
    }
    switch (result) {
    case PL_NEED_MORE:
        return "incomplete message";
    case PL_ERR_TYPE:
        return "unknown message type";
    case PL_ERR_LENGTH:
        return "bad message length";
    case PL_ERR_FIELD:
        return "field out of range or reserved bits set";
    case PL_ERR_MAGIC:
        return "bad HELLO magic";
    case PL_ERR_VERSION:
        return "unsupported protocol version";
    default:
        return "unknown error";
    }
}

const char *pl_msg_name(uint8_t type)
{
    switch (type) {
    case PL_MSG_HELLO:
        return "HELLO";
    case PL_MSG_LINK:
        return "LINK";
    case PL_MSG_CFG_RD:
        return "CFG_RD";
    case PL_MSG_CFG_WR:
        return "CFG_WR";
    case PL_MSG_MEM_RD:
        return "MEM_RD";
    case PL_MSG_MEM_WR:
        return "MEM_WR";
    case PL_MSG_INTX:
        return "INTX";
    case PL_MSG_CPL:
        return "CPL";
    case PL_MSG_MAP:
        return "MAP";
    default:
        return "?";
    }
}

/*
 * One end of the PCIe link between two QEMU processes (see pcie-link.h).
 *
 * Everything runs with the BQL held: the chardev's read handler in the
 * main loop, and the waits for completions in whichever thread issued the
 * request (a vCPU doing MMIO, or the main loop).  While it waits, a side
 * reads the socket itself and serves the peer's requests, so two sides
 * that read from each other at the same time both make progress.  Writes
 * go to the socket directly too, and a write that would block keeps
 * reading, so two sides writing at once cannot fill both socket buffers
 * and stall.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "chardev/char-socket.h"
#include "hw/pci-ep/pcie-link.h"
#include "trace.h"
#include <poll.h>

#define RX_INITIAL   (4 * PL_MAX_MSG)
#define RX_LIMIT     (64 * 1024 * 1024)
#define MAX_DEPTH    8

struct PcieLinkWait {
    uint32_t tag;
    uint8_t *data;
    uint32_t size;
    bool done;
    PlStatus status;
    PcieLinkWait *next;
};

static int pcie_link_fd(PcieLink *link)
{
    Chardev *chr = qemu_chr_fe_get_driver(link->chr);
    SocketChardev *s;

    if (!chr || !object_dynamic_cast(OBJECT(chr), TYPE_CHARDEV_SOCKET)) {
        return -1;
    }
    s = SOCKET_CHARDEV(chr);
    if (s->state != TCP_CHARDEV_STATE_CONNECTED || !s->sioc) {
        return -1;
    }
    return s->sioc->fd;
}

static void pcie_link_set_connected(PcieLink *link, bool connected)
{
    if (link->connected == connected) {
        return;
    }
    link->connected = connected;
    trace_pcie_link_connected(link->name, connected);
    if (link->ops->connected) {
        link->ops->connected(link->opaque, connected);
    }
}

void pcie_link_fail(PcieLink *link, const char *why)
{
    link->malformed++;
    qemu_log_mask(LOG_GUEST_ERROR, "%s: link taken down: %s (%" PRIu64
                  " so far)\n", link->name, why, link->malformed);
    trace_pcie_link_fail(link->name, why);
    link->rx_len = 0;
    pcie_link_set_connected(link, false);
    qemu_chr_fe_disconnect(link->chr);
}

/* Read what the socket has into rx.  Returns false if the peer closed. */
static bool pcie_link_rx_fill(PcieLink *link, int fd)
{
    ssize_t n;

    if (link->rx_len == link->rx_cap) {
        if (link->rx_cap >= RX_LIMIT) {
            return true;        /* stop reading until we have processed */
        }
        link->rx_cap *= 2;
        link->rx = g_realloc(link->rx, link->rx_cap);
    }
    n = recv(fd, link->rx + link->rx_len, link->rx_cap - link->rx_len,
             MSG_DONTWAIT);
    if (n > 0) {
        link->rx_len += n;
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return true;
    }
    return false;
}

static void pcie_link_peer_closed(PcieLink *link)
{
    link->rx_len = 0;
    pcie_link_set_connected(link, false);
    qemu_chr_fe_disconnect(link->chr);
}

static bool pcie_link_write(PcieLink *link, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    int fd = pcie_link_fd(link);

    if (fd < 0) {
        return false;
    }
    while (off < len) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT | POLLIN };
        ssize_t n = send(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n > 0) {
            off += n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            pcie_link_peer_closed(link);
            return false;
        }
        if (poll(&pfd, 1, link->timeout_ms) <= 0) {
            pcie_link_fail(link, "peer does not read");
            return false;
        }
        if ((pfd.revents & POLLIN) && !pcie_link_rx_fill(link, fd)) {
            pcie_link_peer_closed(link);
            return false;
        }
    }
    return true;
}

/*
 * Encode and send @msg.  False if it was not sent: the peer is gone, or
 * @msg is one that the protocol cannot carry (pl_encode refuses it, e.g. a
 * memory request whose range wraps past 2^64; logged, nothing is sent and
 * the link stays up).
 */
static bool pcie_link_send(PcieLink *link, const PlMsg *msg)
{
    uint8_t buf[PL_MAX_MSG];
    size_t len = pl_encode(msg, buf, sizeof(buf));

    if (!len) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s not sent: the link protocol "
                      "cannot carry it (an address range past 2^64?)\n",
                      link->name, pl_msg_name(msg->type));
        trace_pcie_link_unsendable(link->name, pl_msg_name(msg->type));
        return false;
    }
    trace_pcie_link_send(link->name, pl_msg_name(msg->type), msg->tag,
                         (unsigned)len);
    return pcie_link_write(link, buf, len);
}

static void pcie_link_send_hello(PcieLink *link)
{
    PlMsg m = { .type = PL_MSG_HELLO };

    m.u.hello.magic = PL_MAGIC;
    m.u.hello.version = PL_VERSION;
    m.u.hello.role = link->role;
    m.u.hello.max_payload = PL_MAX_PAYLOAD;
    pcie_link_send(link, &m);
}

static void pcie_link_complete(PcieLink *link, const PlMsg *m)
{
    PcieLinkWait *w;

    for (w = link->waits; w; w = w->next) {
        if (w->tag == m->tag && !w->done) {
            break;
        }
    }
    if (!w) {
        if (m->tag && m->tag < link->next_tag) {
            /* the answer to a request that has timed out */
            trace_pcie_link_late_cpl(link->name, m->tag);
            return;
        }
        pcie_link_fail(link, "completion for no request");
        return;
    }
    if (m->status == PL_STATUS_SC && m->u.cpl.len != w->size) {
        pcie_link_fail(link, "completion of the wrong length");
        return;
    }
    if (m->status == PL_STATUS_SC && w->size) {
        memcpy(w->data, m->u.cpl.data, w->size);
    }
    w->status = m->status;
    w->done = true;
}

static void pcie_link_handle(PcieLink *link, const PlMsg *m)
{
    uint8_t data[PL_MAX_PAYLOAD];
    PlMsg cpl = { .type = PL_MSG_CPL, .tag = m->tag };
    PlStatus st;

    trace_pcie_link_recv(link->name, pl_msg_name(m->type), m->tag);
    if (!link->connected && m->type != PL_MSG_HELLO) {
        pcie_link_fail(link, "message before HELLO");
        return;
    }
    switch (m->type) {
    case PL_MSG_HELLO:
        if (link->connected) {
            pcie_link_fail(link, "second HELLO");
        } else if (m->u.hello.role == link->role) {
            pcie_link_fail(link, "peer has the same role");
        } else {
            pcie_link_set_connected(link, true);
        }
        return;
    case PL_MSG_LINK:
        if (link->ops->link_state) {
            link->ops->link_state(link->opaque, m->u.link.up);
        }
        return;
    case PL_MSG_CPL:
        pcie_link_complete(link, m);
        return;
    case PL_MSG_MEM_WR:
    case PL_MSG_INTX:
        link->ops->request(link->opaque, m, NULL);
        return;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
    case PL_MSG_MEM_RD:
        if (link->depth >= MAX_DEPTH) {
            st = PL_STATUS_CA;
        } else {
            st = link->ops->request(link->opaque, m, data);
        }
        cpl.status = st;
        if (st == PL_STATUS_SC && m->type != PL_MSG_CFG_WR) {
            cpl.u.cpl.data = data;
            cpl.u.cpl.len = m->type == PL_MSG_CFG_RD ? m->u.cfg.size
                                                     : m->u.mem.size;
        }
        pcie_link_send(link, &cpl);
        return;
    default:
        pcie_link_fail(link, "unexpected message type");
        return;
    }
}

/* Decode and handle every complete message in rx. */
static void pcie_link_process(PcieLink *link)
{
    while (link->rx_len) {
        PlMsg m;
        int r = pl_decode(link->rx, link->rx_len, &m);
        g_autofree uint8_t *copy = NULL;

        if (r == PL_NEED_MORE) {
            return;
        }
        if (r < 0) {
            pcie_link_fail(link, pl_strerror(r));
            return;
        }
        /* Handlers may recurse into this function: take the message out. */
        copy = g_memdup2(link->rx, r);
        link->rx_len -= r;
        memmove(link->rx, link->rx + r, link->rx_len);
        pl_decode(copy, r, &m);
        pcie_link_handle(link, &m);
    }
}

/*
 * Wait for the completions of @n requests (@w[0..n-1], already pushed on
 * link->waits by pcie_link_push), serving the peer meanwhile; pop them.
 * A request not completed when the link goes away completes with UR, one
 * not completed in time with CA.  Returns the first non-SC status of the
 * batch, in request order, or SC.
 */
static PlStatus pcie_link_wait(PcieLink *link, PcieLinkWait *w, unsigned n)
{
    int64_t deadline = qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                       link->timeout_ms;
    PlStatus st = PL_STATUS_SC;
    unsigned i, pending = n;

    while (pending) {
        struct pollfd pfd;
        int64_t left;

        pcie_link_process(link);
        for (i = 0, pending = 0; i < n; i++) {
            pending += !w[i].done;
        }
        if (!pending) {
            break;
        }
        if (!link->connected || (pfd.fd = pcie_link_fd(link)) < 0) {
            for (i = 0; i < n; i++) {
                if (!w[i].done) {
                    w[i].status = PL_STATUS_UR;
                }
            }
            break;
        }
        left = deadline - qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
        if (left <= 0) {
            for (i = 0; i < n; i++) {
                if (!w[i].done) {
                    link->timeouts++;
                    trace_pcie_link_timeout(link->name, w[i].tag);
                    qemu_log_mask(LOG_GUEST_ERROR, "%s: no completion for "
                                  "request %u in %u ms\n", link->name,
                                  w[i].tag, link->timeout_ms);
                    w[i].status = PL_STATUS_CA;
                }
            }
            break;
        }
        pfd.events = POLLIN;
        if (poll(&pfd, 1, MIN(left, 100)) > 0 && !pcie_link_rx_fill(link, pfd.fd)) {
            pcie_link_peer_closed(link);
        }
    }
    for (i = n; i-- > 0;) {
        g_assert(link->waits == &w[i]);
        link->waits = w[i].next;
        link->depth--;
    }
    for (i = 0; i < n; i++) {
        if (w[i].status != PL_STATUS_SC) {
            st = w[i].status;
            break;
        }
    }
    return st;
}

static uint32_t pcie_link_tag(PcieLink *link)
{
    if (++link->next_tag == 0) {
        link->next_tag = 1;
    }
    return link->next_tag;
}

/*
 * Tag @m, wait for its completion in @w (data into @data, @size bytes) and
 * send it.  The wait is pushed before the send, so that a completion read
 * while sending finds it.  False if it could not be sent (@w then
 * completes with UR).
 */
static bool pcie_link_push(PcieLink *link, PcieLinkWait *w, PlMsg *m,
                           void *data, uint32_t size)
{
    *w = (PcieLinkWait) { .data = data, .size = size };
    m->tag = w->tag = pcie_link_tag(link);
    w->next = link->waits;
    link->waits = w;
    link->depth++;
    if (!pcie_link_send(link, m)) {
        w->status = PL_STATUS_UR;
        w->done = true;
        return false;
    }
    return true;
}

static PlStatus pcie_link_request(PcieLink *link, PlMsg *m, void *data,
                                  uint32_t size)
{
    PcieLinkWait w;

    if (!link->connected) {
        return PL_STATUS_UR;
    }
    pcie_link_push(link, &w, m, data, size);
    return pcie_link_wait(link, &w, 1);
}

PlStatus pcie_link_cfg_read(PcieLink *link, uint16_t offset, uint8_t size,
                            uint32_t *val)
{
    PlMsg m = { .type = PL_MSG_CFG_RD };
    uint8_t buf[4] = { 0 };
    PlStatus st;

    m.u.cfg.offset = offset;
    m.u.cfg.size = size;
    st = pcie_link_request(link, &m, buf, size);
    *val = st == PL_STATUS_SC ? ldl_le_p(buf) : UINT32_MAX;
    return st;
}

PlStatus pcie_link_cfg_write(PcieLink *link, uint16_t offset, uint8_t size,
                             uint32_t val)
{
    PlMsg m = { .type = PL_MSG_CFG_WR };

    m.u.cfg.offset = offset;
    m.u.cfg.size = size;
    m.u.cfg.data = val;
    return pcie_link_request(link, &m, NULL, 0);
}

PlStatus pcie_link_mem_read(PcieLink *link, uint8_t bar, uint64_t addr,
                            void *buf, uint64_t size)
{
    uint8_t *p = buf;

    if (size && !pl_mem_range_ok(addr, size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: memory read of 0x%" PRIx64
                      " bytes at 0x%" PRIx64 " wraps past 2^64: not sent\n",
                      link->name, size, addr);
        memset(buf, 0xff, size);
        return PL_STATUS_UR;
    }

    /*
     * Up to PL_READ_WINDOW requests in flight: a large read costs one
     * round trip per window, not one per PL_MAX_PAYLOAD.
     */
    while (size) {
        PcieLinkWait w[PL_READ_WINDOW];
        uint64_t batch = MIN(size, (uint64_t)PL_READ_WINDOW * PL_MAX_PAYLOAD);
        unsigned n = 0;
        uint64_t off;
        PlStatus st;

        if (!link->connected) {
            st = PL_STATUS_UR;
        } else {
            for (off = 0; off < batch; off += PL_MAX_PAYLOAD) {
                uint32_t chunk = MIN(batch - off, PL_MAX_PAYLOAD);
                PlMsg m = { .type = PL_MSG_MEM_RD };

                m.u.mem.addr = addr + off;
                m.u.mem.size = chunk;
                m.u.mem.bar = bar;
                if (!pcie_link_push(link, &w[n++], &m, p + off, chunk)) {
                    break;
                }
            }
            st = pcie_link_wait(link, w, n);
        }
        if (st != PL_STATUS_SC) {
            memset(buf, 0xff, p - (uint8_t *)buf + size);
            return st;
        }
        p += batch;
        addr += batch;
        size -= batch;
    }
    return PL_STATUS_SC;
}

bool pcie_link_mem_write(PcieLink *link, uint8_t bar, uint64_t addr,
                         const void *buf, uint64_t size)
{
    const uint8_t *p = buf;

    if (size && !pl_mem_range_ok(addr, size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: memory write of 0x%" PRIx64
                      " bytes at 0x%" PRIx64 " wraps past 2^64: not sent\n",
                      link->name, size, addr);
        return false;
    }
    while (size && link->connected) {
        uint32_t chunk = MIN(size, PL_MAX_PAYLOAD);
        PlMsg m = { .type = PL_MSG_MEM_WR };

        m.u.mem.addr = addr;
        m.u.mem.size = chunk;
        m.u.mem.bar = bar;
        m.u.mem.data = p;
        if (!pcie_link_send(link, &m)) {
            return false;
        }
        p += chunk;
        addr += chunk;
        size -= chunk;
    }
    return !size;
}

void pcie_link_intx(PcieLink *link, uint8_t pin, bool level)
{
    PlMsg m = { .type = PL_MSG_INTX };

    if (link->connected) {
        m.u.intx.pin = pin;
        m.u.intx.level = level;
        pcie_link_send(link, &m);
    }
}

void pcie_link_send_state(PcieLink *link, bool up)
{
    PlMsg m = { .type = PL_MSG_LINK };

    if (link->connected) {
        m.u.link.up = up;
        pcie_link_send(link, &m);
    }
}

static int pcie_link_can_read(void *opaque)
{
    PcieLink *link = opaque;

    return link->rx_cap - link->rx_len;
}

static void pcie_link_read(void *opaque, const uint8_t *buf, int size)
{
    PcieLink *link = opaque;

    if (size > link->rx_cap - link->rx_len) {
        pcie_link_fail(link, "receive buffer overrun");
        return;
    }
    memcpy(link->rx + link->rx_len, buf, size);
    link->rx_len += size;
    pcie_link_process(link);
}

static void pcie_link_event(void *opaque, QEMUChrEvent event)
{
    PcieLink *link = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        link->rx_len = 0;
        trace_pcie_link_opened(link->name);
        pcie_link_send_hello(link);
        break;
    case CHR_EVENT_CLOSED:
        link->rx_len = 0;
        pcie_link_set_connected(link, false);
        break;
    default:
        break;
    }
}

bool pcie_link_init(PcieLink *link, CharBackend *chr, PlRole role,
                    const char *name, unsigned timeout_ms,
                    const PcieLinkOps *ops, void *opaque, Error **errp)
{
    Chardev *c = qemu_chr_fe_get_driver(chr);

    if (!c) {
        error_setg(errp, "%s: the link needs a chardev", name);
        return false;
    }
    if (!object_dynamic_cast(OBJECT(c), TYPE_CHARDEV_SOCKET)) {
        error_setg(errp, "%s: chardev '%s' is not a socket (use -chardev "
                   "socket,path=... or socket,host=...,port=...)", name,
                   c->label);
        return false;
    }
    memset(link, 0, sizeof(*link));
    link->chr = chr;
    link->role = role;
    link->name = name;
    link->timeout_ms = timeout_ms;
    link->ops = ops;
    link->opaque = opaque;
    link->rx_cap = RX_INITIAL;
    link->rx = g_malloc(link->rx_cap);
    qemu_chr_fe_set_handlers(chr, pcie_link_can_read, pcie_link_read,
                             pcie_link_event, NULL, link, NULL, true);
    return true;
}

void pcie_link_cleanup(PcieLink *link)
{
    if (link->chr) {
        qemu_chr_fe_set_handlers(link->chr, NULL, NULL, NULL, NULL, NULL,
                                 NULL, true);
    }
    g_free(link->rx);
    link->rx = NULL;
}

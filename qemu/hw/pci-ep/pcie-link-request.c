/*
 * The PCIe link (pcie-link.h): requests and their completions (waited for
 * with the BQL released, or asynchronous reads with a callback), the
 * peer's requests served in arrival order, and the API the devices call.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qom/object.h"
#include "qemu/processor.h"
#include "qemu/atomic.h"
#include "block/aio.h"
#include "chardev/char.h"
#include "system/iothread.h"
#include "trace.h"
#include "pcie-link-internal.h"

/* ---- requests and their completions ---- */

/*
 * Spin for up to SPIN_NS, BQL released, while the completions of @w[0..n-1]
 * are awaited: a completion usually comes within tens of microseconds,
 * and waking from a condition variable costs about as much again.
 */
static void pcie_link_spin(PcieLink *link, PcieLinkWait *w, unsigned n,
                           bool *dropped)
{
    int64_t until = get_clock() + SPIN_NS;
    unsigned i;

    if (!*dropped && bql_locked()) {
        bql_unlock();
        *dropped = true;
    }
    do {
        for (i = 0; i < n && qatomic_read(&w[i].done); i++) {
            /* done */
        }
        if (i == n) {
            return;
        }
        cpu_relax();
    } while (get_clock() < until);
}

/*
 * Send the @n requests @m (tags are set here) and wait, BQL released, for
 * their completions into @w (@w[i].data, @w[i].size set by the caller).
 * A request not completed when the link goes down completes with UR, one
 * not completed in time with CA.  Returns the first non-SC status, in
 * request order, or SC.
 */
static PlStatus pcie_link_transact_fd(PcieLink *link, PlMsg *m,
                                      PcieLinkWait *w, unsigned n, int fd)
{
    PlStatus st = PL_STATUS_SC;
    int64_t deadline;
    bool stalled, dropped = false;
    unsigned i, timed_out = 0;

    if (pcie_link_in_io(link)) {
        /* a handler of the peer's request asks the peer: it would wait
         * for the thread it runs in */
        qemu_log_mask(LOG_UNIMP, "%s: %s from the handler of a request of "
                      "the peer (a request that loops back onto the link): "
                      "UR\n", link->name, pl_msg_name(m[0].type));
        if (fd >= 0) {
            close(fd);
        }
        return PL_STATUS_UR;
    }
    qemu_mutex_lock(&link->lock);
    if (!link->connected) {
        qemu_mutex_unlock(&link->lock);
        if (fd >= 0) {
            close(fd);
        }
        return PL_STATUS_UR;
    }
    stalled = link->stalled;
    for (i = 0; i < n; i++) {
        if (++link->next_tag == 0) {
            link->next_tag = 1;
        }
        m[i].tag = w[i].tag = link->next_tag;
        w[i].done = false;
        w[i].status = PL_STATUS_SC;
        QLIST_INSERT_HEAD(&link->waits, &w[i], next);
    }
    qemu_mutex_unlock(&link->lock);

    for (i = 0; i < n; i++) {
        if (!pcie_link_send_fd(link, &m[i], i ? -1 : fd)) {
            break;
        }
    }

    deadline = pcie_link_now_ms() + (stalled ?
                                     MIN(PL_STALL_MS, link->timeout_ms) :
                                     link->timeout_ms);
    if (i == n && !stalled) {
        pcie_link_spin(link, w, n, &dropped);
    }
    qemu_mutex_lock(&link->lock);
    for (; i < n; i++) {
        if (!w[i].done) {       /* not sent */
            w[i].status = PL_STATUS_UR;
            w[i].done = true;
        }
    }
    for (i = 0; i < n; i++) {
        int64_t left;

        while (!w[i].done && (left = deadline - pcie_link_now_ms()) > 0) {
            if (!dropped && bql_locked()) {
                bql_unlock();
                dropped = true;
            }
            qemu_cond_timedwait(&link->cond, &link->lock, (int)left);
        }
        if (!w[i].done) {
            w[i].status = PL_STATUS_CA;
            w[i].done = true;
            link->timeouts++;
            link->stalled = true;
            timed_out++;
            trace_pcie_link_timeout(link->name, w[i].tag);
        }
    }
    for (i = 0; i < n; i++) {
        QLIST_REMOVE(&w[i], next);
        if (st == PL_STATUS_SC) {
            st = w[i].status;
        }
    }
    qemu_mutex_unlock(&link->lock);
    if (dropped) {
        bql_lock();
    }
    if (timed_out) {
        warn_report("%s: no completion for %u %s in %" PRId64 " ms%s",
                    link->name, timed_out, pl_msg_name(m[0].type),
                    stalled ? (int64_t)MIN(PL_STALL_MS, link->timeout_ms)
                            : (int64_t)link->timeout_ms,
                    stalled ? " (the peer has been silent since an "
                              "earlier request timed out)" : "");
    }
    return st;
}

static PlStatus pcie_link_transact(PcieLink *link, PlMsg *m,
                                   PcieLinkWait *w, unsigned n)
{
    return pcie_link_transact_fd(link, m, w, n, -1);
}

/* I/O thread, BQL held: the completion @m. */
static void pcie_link_complete(PcieLink *link, const PlMsg *m)
{
    const char *why = NULL;
    PcieLinkWait *w;

    qemu_mutex_lock(&link->lock);
    QLIST_FOREACH(w, &link->waits, next) {
        if (w->tag == m->tag && !w->done) {
            break;
        }
    }
    if (!w) {
        if (m->tag && m->tag <= link->next_tag) {
            /* the answer to a request that has timed out */
            trace_pcie_link_late_cpl(link->name, m->tag);
        } else {
            why = "completion for no request";
        }
    } else if (m->status == PL_STATUS_SC && m->u.cpl.len != w->size) {
        why = "completion of the wrong length";
    } else {
        if (m->status == PL_STATUS_SC && w->size) {
            memcpy(w->data, m->u.cpl.data, w->size);
        }
        w->status = m->status;
        qatomic_set(&w->done, true);
        if (w->read) {
            if (!--w->read->pending) {
                qemu_bh_schedule(link->read_bh);
            }
        } else {
            qemu_cond_broadcast(&link->cond);
        }
    }
    qemu_mutex_unlock(&link->lock);
    if (why) {
        pcie_link_fail(link, why);
    }
}

/* ---- asynchronous reads ---- */

/*
 * I/O thread: deliver the asynchronous reads that are over (all parts
 * completed, or the link went down), and time out those past their
 * deadline; arm the timer for the next deadline.
 */
static void pcie_link_reads_run(PcieLink *link)
{
    QLIST_HEAD(, PcieLinkRead) over = QLIST_HEAD_INITIALIZER(over);
    PcieLinkRead *r, *next;
    int64_t now = pcie_link_now_ms(), soonest = INT64_MAX;
    unsigned i, timed_out = 0;

    qemu_mutex_lock(&link->lock);
    QLIST_FOREACH_SAFE(r, &link->reads, next, next) {
        if (r->pending && now >= r->deadline_ms) {
            for (i = 0; i < r->n; i++) {
                if (!r->w[i].done) {
                    r->w[i].status = PL_STATUS_CA;
                    r->w[i].done = true;
                    link->timeouts++;
                    timed_out++;
                    trace_pcie_link_timeout(link->name, r->w[i].tag);
                }
            }
            r->pending = 0;
            link->stalled = true;
        }
        if (r->pending) {
            soonest = MIN(soonest, r->deadline_ms);
            continue;
        }
        for (i = 0; i < r->n; i++) {
            QLIST_REMOVE(&r->w[i], next);
        }
        QLIST_REMOVE(r, next);
        QLIST_INSERT_HEAD(&over, r, next);
    }
    if (soonest != INT64_MAX) {
        timer_mod(link->read_timer, soonest);
    }
    qemu_mutex_unlock(&link->lock);
    if (timed_out) {
        warn_report("%s: no completion for %u MEM_RD of an asynchronous "
                    "read in time", link->name, timed_out);
    }

    if (QLIST_EMPTY(&over)) {
        return;
    }
    bql_lock();
    QLIST_FOREACH_SAFE(r, &over, next, next) {
        PlStatus st = PL_STATUS_SC;

        for (i = 0; i < r->n && st == PL_STATUS_SC; i++) {
            st = r->w[i].status;
        }
        if (st != PL_STATUS_SC) {
            memset(r->data, 0xff, r->size);
        }
        QLIST_REMOVE(r, next);
        r->cb(r->opaque, st, r->data, r->size);
        g_free(r->data);
        g_free(r);
    }
    bql_unlock();
}

void pcie_link_read_bh(void *opaque)
{
    pcie_link_reads_run(opaque);
}

void pcie_link_read_timeout(void *opaque)
{
    pcie_link_reads_run(opaque);
}

bool pcie_link_mem_read_async(PcieLink *link, uint8_t bar, uint64_t addr,
                              uint32_t size, PcieLinkReadDone *cb,
                              void *opaque)
{
    PlMsg m[PL_READ_WINDOW];
    PcieLinkRead *r;
    unsigned i;

    if (!size || size > PL_READ_WINDOW * PL_MAX_PAYLOAD) {
        return false;
    }
    if (!pl_mem_range_ok(addr, size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: memory read of 0x%" PRIx32
                      " bytes at 0x%" PRIx64 " wraps past 2^64: not sent\n",
                      link->name, size, addr);
        return false;
    }
    if (pcie_link_in_io(link)) {
        return false;
    }
    r = g_new0(PcieLinkRead, 1);
    r->cb = cb;
    r->opaque = opaque;
    r->size = size;
    r->data = g_malloc(size);
    r->n = DIV_ROUND_UP(size, PL_MAX_PAYLOAD);
    r->pending = r->n;
    for (i = 0; i < r->n; i++) {
        uint32_t off = i * PL_MAX_PAYLOAD;

        m[i] = (PlMsg) { .type = PL_MSG_MEM_RD };
        m[i].u.mem.addr = addr + off;
        m[i].u.mem.size = MIN(size - off, PL_MAX_PAYLOAD);
        m[i].u.mem.bar = bar;
        r->w[i] = (PcieLinkWait) { .data = r->data + off,
                                   .size = m[i].u.mem.size, .read = r };
    }

    qemu_mutex_lock(&link->lock);
    if (!link->connected) {
        qemu_mutex_unlock(&link->lock);
        g_free(r->data);
        g_free(r);
        return false;
    }
    r->stalled = link->stalled;
    r->deadline_ms = pcie_link_now_ms() + (r->stalled ? MIN(PL_STALL_MS,
                                                  link->timeout_ms)
                                            : link->timeout_ms);
    for (i = 0; i < r->n; i++) {
        if (++link->next_tag == 0) {
            link->next_tag = 1;
        }
        m[i].tag = r->w[i].tag = link->next_tag;
        QLIST_INSERT_HEAD(&link->waits, &r->w[i], next);
    }
    QLIST_INSERT_HEAD(&link->reads, r, next);
    qemu_mutex_unlock(&link->lock);
    /* the I/O thread arms the timer for the new deadline */
    qemu_bh_schedule(link->read_bh);

    for (i = 0; i < r->n; i++) {
        if (!pcie_link_send(link, &m[i])) {
            break;      /* the link is down: down_locked finished r */
        }
    }
    return true;
}

/*
 * x-fault-cpl: whether the peer's request @m is a memory request the
 * fault takes (see PcieLinkCplFault).  If so it is traced and not served:
 * a read is completed here with UR or CA, or not at all; a write is
 * dropped.  I/O thread, BQL held.
 */
static bool pcie_link_cpl_fault(PcieLink *link, const PlMsg *m)
{
    const PcieLinkCplFault *f = &link->faults.cpl;
    PlMsg cpl = { .type = PL_MSG_CPL, .tag = m->tag };
    uint64_t last;
    static const char *const what[] = {
        [PL_FAULT_CPL_UR] = "UR", [PL_FAULT_CPL_CA] = "CA",
        [PL_FAULT_CPL_TIMEOUT] = "no completion",
    };

    if (f->kind == PL_FAULT_CPL_NONE ||
        (m->type != PL_MSG_MEM_RD && m->type != PL_MSG_MEM_WR) ||
        (f->by_bar && m->u.mem.bar != f->bar)) {
        return false;
    }
    last = m->u.mem.addr + (m->u.mem.size - 1);
    if (!f->by_bar && (last < f->addr ||
                       m->u.mem.addr > f->addr + (f->len - 1))) {
        return false;
    }
    trace_pcie_link_fault_cpl_hit(link->name, pl_msg_name(m->type),
                                  m->u.mem.bar, m->u.mem.addr,
                                  m->u.mem.size,
                                  m->type == PL_MSG_MEM_WR ? "dropped"
                                                           : what[f->kind]);
    if (m->type == PL_MSG_MEM_RD && f->kind != PL_FAULT_CPL_TIMEOUT) {
        cpl.status = f->kind == PL_FAULT_CPL_CA ? PL_STATUS_CA : PL_STATUS_UR;
        pcie_link_send(link, &cpl);
    }
    return true;
}

/*
 * LINK from the peer: PERST# first, then the link state.  Only the RC
 * drives PERST#: an endpoint that asserts it breaks the protocol.  BQL
 * held.
 */
static void pcie_link_got_link(PcieLink *link, const PlMsg *m)
{
    if (m->u.link.perst && link->role == PL_ROLE_RC) {
        pcie_link_fail(link, "PERST# from the endpoint");
        return;
    }
    if (link->ops->perst) {
        link->ops->perst(link->opaque, m->u.link.perst);
    }
    if (link->ops->link_state) {
        link->ops->link_state(link->opaque, m->u.link.up);
    }
}

/* I/O thread, BQL held: one message from the peer. */
void pcie_link_handle(PcieLink *link, const PlMsg *m)
{
    uint8_t data[PL_MAX_PAYLOAD];
    PlMsg cpl = { .type = PL_MSG_CPL, .tag = m->tag };
    bool connected;
    PlStatus st;

    trace_pcie_link_recv(link->name, pl_msg_name(m->type), m->tag);
    qemu_mutex_lock(&link->lock);
    connected = link->connected;
    qemu_mutex_unlock(&link->lock);
    if (!connected && m->type != PL_MSG_HELLO) {
        pcie_link_fail(link, "message before HELLO");
        return;
    }
    switch (m->type) {
    case PL_MSG_HELLO:
        if (connected) {
            pcie_link_fail(link, "second HELLO");
        } else if (m->u.hello.role == link->role) {
            pcie_link_fail(link, "peer has the same role");
        } else {
            qemu_mutex_lock(&link->lock);
            link->connected = true;
            link->peer_features = m->u.hello.features;
            qemu_mutex_unlock(&link->lock);
            pcie_link_report(link);
        }
        return;
    case PL_MSG_LINK:
        pcie_link_got_link(link, m);
        return;
    case PL_MSG_CPL:
        pcie_link_complete(link, m);
        return;
    case PL_MSG_MEM_WR:
    case PL_MSG_INTX:
        if (!pcie_link_cpl_fault(link, m)) {
            link->ops->request(link->opaque, m, NULL);
        }
        return;
    case PL_MSG_CFG_RD:
    case PL_MSG_CFG_WR:
    case PL_MSG_MEM_RD:
        if (pcie_link_cpl_fault(link, m)) {
            return;
        }
        st = link->ops->request(link->opaque, m, data);
        cpl.status = st;
        if (st == PL_STATUS_SC && m->type != PL_MSG_CFG_WR) {
            cpl.u.cpl.data = data;
            cpl.u.cpl.len = m->type == PL_MSG_CFG_RD ? m->u.cfg.size
                                                     : m->u.mem.size;
        }
        pcie_link_send(link, &cpl);
        return;
    case PL_MSG_MAP:
        /* the descriptor that came with it, if any, is the handler's */
        link->req_fd = -1;
        if (m->u.map.enable && link->rx_nfds) {
            link->req_fd = link->rx_fds[0];
            memmove(link->rx_fds, link->rx_fds + 1,
                    --link->rx_nfds * sizeof(int));
        }
        cpl.status = link->ops->request(link->opaque, m, NULL);
        if (link->req_fd >= 0) {
            close(link->req_fd);
            link->req_fd = -1;
        }
        pcie_link_send(link, &cpl);
        return;
    default:
        pcie_link_fail(link, "unexpected message type");
        return;
    }
}


/* ---- the API ---- */

PlStatus pcie_link_cfg_read(PcieLink *link, uint16_t offset, uint8_t size,
                            uint32_t *val)
{
    PlMsg m = { .type = PL_MSG_CFG_RD };
    uint8_t buf[4] = { 0 };
    PcieLinkWait w = { .data = buf, .size = size };
    PlStatus st;

    m.u.cfg.offset = offset;
    m.u.cfg.size = size;
    st = pcie_link_transact(link, &m, &w, 1);
    *val = st == PL_STATUS_SC ? ldl_le_p(buf) : UINT32_MAX;
    return st;
}

PlStatus pcie_link_cfg_write(PcieLink *link, uint16_t offset, uint8_t size,
                             uint32_t val)
{
    PlMsg m = { .type = PL_MSG_CFG_WR };
    PcieLinkWait w = { 0 };

    m.u.cfg.offset = offset;
    m.u.cfg.size = size;
    m.u.cfg.data = val;
    return pcie_link_transact(link, &m, &w, 1);
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
        PlMsg m[PL_READ_WINDOW];
        PcieLinkWait w[PL_READ_WINDOW];
        uint64_t batch = MIN(size, (uint64_t)PL_READ_WINDOW * PL_MAX_PAYLOAD);
        unsigned n = 0;
        uint64_t off;
        PlStatus st;

        for (off = 0; off < batch; off += PL_MAX_PAYLOAD, n++) {
            uint32_t chunk = MIN(batch - off, PL_MAX_PAYLOAD);

            m[n] = (PlMsg) { .type = PL_MSG_MEM_RD };
            m[n].u.mem.addr = addr + off;
            m[n].u.mem.size = chunk;
            m[n].u.mem.bar = bar;
            w[n] = (PcieLinkWait) { .data = p + off, .size = chunk };
        }
        st = pcie_link_transact(link, m, w, n);
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
    if (!link->reported) {
        return false;
    }
    while (size) {
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
    return true;
}

bool pcie_link_shm(PcieLink *link)
{
    bool shm;

    qemu_mutex_lock(&link->lock);
    shm = link->connected && link->fd_pass &&
          (link->features & link->peer_features & PL_FEAT_SHM);
    qemu_mutex_unlock(&link->lock);
    return shm;
}

PlStatus pcie_link_map(PcieLink *link, const PlMsg *map, int fd)
{
    PlMsg m = *map;
    PcieLinkWait w = { 0 };

    if (m.type != PL_MSG_MAP || !m.u.map.enable != (fd < 0) ||
        !pcie_link_shm(link)) {
        return PL_STATUS_UR;
    }
    if (fd >= 0) {
        fd = dup(fd);
        if (fd < 0) {
            warn_report("%s: cannot duplicate a RAM descriptor for MAP: %s",
                        link->name, strerror(errno));
            return PL_STATUS_UR;
        }
    }
    return pcie_link_transact_fd(link, &m, &w, 1, fd);
}

int pcie_link_take_fd(PcieLink *link)
{
    int fd = link->req_fd;

    link->req_fd = -1;
    return fd;
}

void pcie_link_intx(PcieLink *link, uint8_t pin, bool level)
{
    PlMsg m = { .type = PL_MSG_INTX };

    if (link->reported) {
        m.u.intx.pin = pin;
        m.u.intx.level = level;
        pcie_link_send(link, &m);
    }
}

void pcie_link_send_state(PcieLink *link, bool up)
{
    PlMsg m = { .type = PL_MSG_LINK };

    if (link->reported) {
        m.u.link.up = up;
        pcie_link_send(link, &m);
    }
}

void pcie_link_send_hold(PcieLink *link, bool held, bool perst)
{
    PlMsg m = { .type = PL_MSG_LINK };

    if (link->reported) {
        m.u.link.up = !held;
        m.u.link.perst = held && perst;
        pcie_link_send(link, &m);
    }
}

/*
 * One end of the PCIe link between two QEMU processes (see pcie-link.h).
 *
 * Locks: the BQL, then link->lock; link->lock is never held while taking
 * the BQL, nor during a chardev call (a chardev write that fails reports
 * CHR_EVENT_CLOSED from inside the write).  Receiving happens in the
 * link's I/O thread.  Senders queue encoded messages on link->txq and
 * write the queue out themselves when no other thread is writing
 * (link->tx_busy); the I/O thread takes over when the chardev is full;
 * pcie_link_fail leaves the disconnect to link->cut_bh.
 *
 * Bounds: the receive buffer holds two messages (PL_MAX_MSG each; what is
 * received is decoded and served at once, in place); the transmit queue
 * takes TX_SOFT bytes before a sender outside the I/O thread waits for
 * room (BQL released, at most the link's timeout), and TX_HARD bytes in
 * all (the I/O thread's completions never wait); a queue that does not
 * drain for the link's timeout takes the link down.  So a peer that
 * floods requests and never reads costs the other side at most TX_HARD
 * bytes and one timeout, and a stopped peer costs each access one timeout
 * at first and PL_STALL_MS after that.
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
#include "hw/pci-ep/pcie-link.h"
#include "trace.h"

#define RX_CAP      (2 * PL_MAX_MSG)
#define TX_CHUNK    (64 * 1024)
#define TX_SOFT     (1024 * 1024)
#define TX_HARD     (4 * 1024 * 1024)
#define SPIN_NS     (50 * 1000)

struct PcieLinkWait {
    uint32_t tag;
    uint8_t *data;
    uint32_t size;
    bool done;
    PlStatus status;
    PcieLinkRead *read;      /* the asynchronous read it is part of */
    QLIST_ENTRY(PcieLinkWait) next;
};

/* An asynchronous read (pcie_link_mem_read_async) and its requests. */
struct PcieLinkRead {
    PcieLinkReadDone *cb;
    void *opaque;
    uint8_t *data;
    uint32_t size;
    unsigned n, pending;
    int64_t deadline_ms;
    bool stalled;            /* sent while the peer was silent */
    PcieLinkWait w[PL_READ_WINDOW];
    QLIST_ENTRY(PcieLinkRead) next;
};

static int64_t now_ms(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

static bool pcie_link_in_io(PcieLink *link)
{
    return qemu_get_current_aio_context() ==
           iothread_get_aio_context(link->iothread);
}

/*
 * Report connection changes to the device, in order: a connection that
 * ended is reported as false before the next one as true.  BQL held.
 */
static void pcie_link_report(PcieLink *link)
{
    bool connected;
    uint64_t gen;

    qemu_mutex_lock(&link->lock);
    connected = link->connected;
    gen = link->gen;
    qemu_mutex_unlock(&link->lock);

    if (link->reported && (!connected || link->reported_gen != gen)) {
        link->reported = false;
        trace_pcie_link_connected(link->name, false);
        if (link->ops->connected) {
            link->ops->connected(link->opaque, false);
        }
    }
    if (connected && !link->reported) {
        link->reported = true;
        link->reported_gen = gen;
        trace_pcie_link_connected(link->name, true);
        if (link->ops->connected) {
            link->ops->connected(link->opaque, true);
        }
    }
}

/* I/O thread: what pcie_link_report_any left for later. */
static void pcie_link_report_bh(void *opaque)
{
    PcieLink *link = opaque;

    bql_lock();
    pcie_link_report(link);
    bql_unlock();
}

/*
 * pcie_link_report from a chardev event: now with the BQL held; without
 * it (the I/O thread), from link->report_bh.  The chardev sends
 * CHR_EVENT_CLOSED with its write lock held, and a thread holding the BQL
 * may be waiting for that lock to write to the link: taking the BQL here
 * deadlocked the two (found by the fuzz-link harness).
 */
static void pcie_link_report_any(PcieLink *link)
{
    if (bql_locked()) {
        pcie_link_report(link);
    } else {
        qemu_bh_schedule(link->report_bh);
    }
}

/* The connection is over: fail what waits, drop what is queued. */
static void pcie_link_down_locked(PcieLink *link)
{
    PcieLinkWait *w;

    link->open = false;
    link->connected = false;
    link->stalled = false;
    QLIST_FOREACH(w, &link->waits, next) {
        if (!w->done) {
            w->status = PL_STATUS_UR;
            w->done = true;
            if (w->read) {
                w->read->pending--;
            }
        }
    }
    g_byte_array_set_size(link->txq, 0);
    if (link->tx_fd >= 0) {
        close(link->tx_fd);
        link->tx_fd = -1;
    }
    link->fd_pass = false;
    link->peer_features = 0;
    qemu_cond_broadcast(&link->cond);
    if (!QLIST_EMPTY(&link->reads)) {
        qemu_bh_schedule(link->read_bh);
    }
}

/*
 * A new connection: the chardev reported CHR_EVENT_OPENED, or (when that
 * event comes from another thread) the I/O thread received its first
 * bytes before it.  Returns whether this call opened it (the caller then
 * sends HELLO).
 */
static bool pcie_link_open_locked(PcieLink *link)
{
    if (link->open || link->cut) {
        return false;
    }
    pcie_link_down_locked(link);        /* what was left of the last one */
    link->gen++;
    link->open = true;
    link->tx_progress_ms = now_ms();
    return true;
}

void pcie_link_fail(PcieLink *link, const char *why)
{
    bool was_open;

    qemu_mutex_lock(&link->lock);
    was_open = link->open;
    if (was_open) {
        link->malformed++;
        pcie_link_down_locked(link);
        link->cut = true;
    }
    qemu_mutex_unlock(&link->lock);
    if (!was_open) {
        return;         /* already cut */
    }
    qemu_log_mask(LOG_GUEST_ERROR, "%s: link taken down: %s (%" PRIu64
                  " so far)\n", link->name, why, link->malformed);
    trace_pcie_link_fail(link->name, why);
    qemu_bh_schedule(link->cut_bh);
    pcie_link_report_any(link);
}

/* I/O thread: drop the connection that pcie_link_fail cut. */
static void pcie_link_cut_bh(void *opaque)
{
    PcieLink *link = opaque;
    bool cut;

    qemu_mutex_lock(&link->lock);
    cut = link->cut;
    qemu_mutex_unlock(&link->lock);
    if (cut) {
        /* (a connection made since then is not cut, and stays) */
        qemu_chr_fe_disconnect(link->chr);
    }
}

/* ---- transmitting ---- */

static gboolean pcie_link_tx_ready(void *do_not_use, GIOCondition cond,
                                   void *opaque);

/*
 * Write what the queue holds, as far as the chardev takes it, from any
 * thread; one thread at a time (link->tx_busy): a sender writes its own
 * message at once when nobody else is writing, or leaves it to whoever
 * is, and the I/O thread goes on when the chardev is writable again.
 * Called without link->lock (a chardev write that fails reports
 * CHR_EVENT_CLOSED from inside the write).
 */
static void pcie_link_flush(PcieLink *link)
{
    qemu_mutex_lock(&link->lock);
    if (link->tx_busy) {
        qemu_mutex_unlock(&link->lock);
        return;
    }
    link->tx_busy = true;
    for (;;) {
        uint64_t gen;
        size_t n;
        int done, fd = -1;

        n = MIN(link->txq->len, TX_CHUNK);
        if (!n || !link->open) {
            break;
        }
        if (link->tx_fd >= 0 && link->tx_fd_at) {
            n = MIN(n, link->tx_fd_at);   /* its message starts a write */
        } else if (link->tx_fd >= 0) {
            fd = link->tx_fd;
        }
        memcpy(link->tx_chunk, link->txq->data, n);
        gen = link->gen;
        qemu_mutex_unlock(&link->lock);

        if (fd >= 0) {
            qemu_chr_fe_set_msgfds(link->chr, &fd, 1);
        }
        done = qemu_chr_fe_write(link->chr, link->tx_chunk, n);
        if (fd >= 0 && done > 0) {
            /* sent with the first byte; a partial write may leave the
             * chardev holding it for the next write: it must not go twice */
            qemu_chr_fe_set_msgfds(link->chr, NULL, 0);
        }

        qemu_mutex_lock(&link->lock);
        if (link->gen != gen || !link->open) {
            break;      /* the connection ended meanwhile */
        }
        if (done > 0 && link->tx_fd >= 0) {
            if (fd >= 0) {
                close(link->tx_fd);
                link->tx_fd = -1;
            } else {
                link->tx_fd_at -= done;
            }
        }
        if (done > 0) {
            g_byte_array_remove_range(link->txq, 0, done);
            link->tx_progress_ms = now_ms();
            qemu_cond_broadcast(&link->cond);
        }
        if (done < (int)n) {
            /* the chardev is full: go on when it is writable again */
            if (!link->tx_watch) {
                link->tx_watch = qemu_chr_fe_add_watch(link->chr,
                                                       G_IO_OUT | G_IO_HUP,
                                                       pcie_link_tx_ready,
                                                       link);
            }
            timer_mod(link->tx_timer, link->tx_progress_ms + link->timeout_ms);
            break;
        }
    }
    link->tx_busy = false;
    qemu_mutex_unlock(&link->lock);
}

static gboolean pcie_link_tx_ready(void *do_not_use, GIOCondition cond,
                                   void *opaque)
{
    PcieLink *link = opaque;

    qemu_mutex_lock(&link->lock);
    link->tx_watch = 0;
    qemu_mutex_unlock(&link->lock);
    pcie_link_flush(link);
    return G_SOURCE_REMOVE;
}

/* I/O thread: the queue has not drained for the link's timeout. */
static void pcie_link_tx_timeout(void *opaque)
{
    PcieLink *link = opaque;
    int64_t stuck_since = 0;
    bool stuck;

    qemu_mutex_lock(&link->lock);
    stuck = link->open && link->txq->len;
    if (stuck) {
        stuck_since = link->tx_progress_ms;
    }
    qemu_mutex_unlock(&link->lock);
    if (!stuck) {
        return;
    }
    if (now_ms() - stuck_since < link->timeout_ms) {
        timer_mod(link->tx_timer, stuck_since + link->timeout_ms);
        return;
    }
    bql_lock();
    pcie_link_fail(link, "the peer does not read");
    bql_unlock();
}

/*
 * Queue @len encoded bytes, with the file descriptor @fd (or -1) to go
 * along with their first byte; @fd is the link's from now on (closed once
 * sent, or when it cannot be).  Outside the I/O thread, wait (BQL
 * released) while the queue holds TX_SOFT bytes or more, up to the link's
 * timeout.  False if the link is down, or went down meanwhile (a sender
 * that timed out, or the I/O thread finding TX_HARD bytes queued, takes it
 * down), or another descriptor is still queued.  Called with the BQL held,
 * except in the I/O thread when it serves no request (HELLO).
 */
static bool pcie_link_queue(PcieLink *link, const uint8_t *buf, size_t len,
                            int fd)
{
    bool in_io = pcie_link_in_io(link);
    int64_t deadline = now_ms() + link->timeout_ms;
    bool dropped = false, ok = false;
    const char *why = NULL;

    qemu_mutex_lock(&link->lock);
    while (link->open && !in_io && link->txq->len + len > TX_SOFT) {
        int64_t left = deadline - now_ms();

        if (left <= 0) {
            why = "the peer does not read (a send timed out)";
            break;
        }
        if (!dropped && bql_locked()) {
            bql_unlock();       /* releasing never blocks: lock order kept */
            dropped = true;
        }
        qemu_cond_timedwait(&link->cond, &link->lock, (int)left);
    }
    if (!why && link->open) {
        if (link->txq->len + len > TX_HARD) {
            why = "the peer does not read its completions";
        } else if (fd < 0 || link->tx_fd < 0) {
            if (!link->txq->len) {
                link->tx_progress_ms = now_ms();
            }
            if (fd >= 0) {
                link->tx_fd = fd;
                link->tx_fd_at = link->txq->len;
                fd = -1;
            }
            g_byte_array_append(link->txq, buf, len);
            ok = true;
        }
    }
    qemu_mutex_unlock(&link->lock);
    if (fd >= 0) {
        close(fd);
    }
    if (ok) {
        pcie_link_flush(link);
    }
    if (dropped) {
        bql_lock();
    }
    if (why) {
        pcie_link_fail(link, why);
    }
    return ok;
}

/*
 * Encode and queue @msg, with the file descriptor @fd (or -1; the link's
 * from now on).  False if it was not sent: the peer is gone, or @msg is
 * one that the protocol cannot carry (pl_encode refuses it, e.g. a memory
 * request whose range wraps past 2^64; logged, nothing is sent and the
 * link stays up).
 */
static bool pcie_link_send_fd(PcieLink *link, const PlMsg *msg, int fd)
{
    uint8_t buf[PL_MAX_MSG];
    size_t len = pl_encode(msg, buf, sizeof(buf));

    if (!len) {
        if (fd >= 0) {
            close(fd);
        }
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s not sent: the link protocol "
                      "cannot carry it (an address range past 2^64?)\n",
                      link->name, pl_msg_name(msg->type));
        trace_pcie_link_unsendable(link->name, pl_msg_name(msg->type));
        return false;
    }
    trace_pcie_link_send(link->name, pl_msg_name(msg->type), msg->tag,
                         (unsigned)len);
    return pcie_link_queue(link, buf, len, fd);
}

static bool pcie_link_send(PcieLink *link, const PlMsg *msg)
{
    return pcie_link_send_fd(link, msg, -1);
}

/*
 * HELLO on a new connection.  The shared-memory fast path is offered only
 * where the chardev passes file descriptors (a unix socket; not TCP, not
 * TLS): asking it to pass none says whether it can.
 */
static void pcie_link_send_hello(PcieLink *link)
{
    PlMsg m = { .type = PL_MSG_HELLO };
    bool fd_pass = qemu_chr_fe_set_msgfds(link->chr, NULL, 0) == 0;

    qemu_mutex_lock(&link->lock);
    link->fd_pass = fd_pass;
    qemu_mutex_unlock(&link->lock);
    m.u.hello.magic = PL_MAGIC;
    m.u.hello.version = PL_VERSION;
    m.u.hello.role = link->role;
    m.u.hello.max_payload = PL_MAX_PAYLOAD;
    m.u.hello.features = fd_pass ? link->features : 0;
    pcie_link_send(link, &m);
}

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

    deadline = now_ms() + (stalled ? MIN(PL_STALL_MS, link->timeout_ms)
                                   : link->timeout_ms);
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

        while (!w[i].done && (left = deadline - now_ms()) > 0) {
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
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no completion for %u %s in %"
                      PRId64 " ms%s\n", link->name, timed_out,
                      pl_msg_name(m[0].type),
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
    int64_t now = now_ms(), soonest = INT64_MAX;
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
        qemu_log_mask(LOG_GUEST_ERROR, "%s: no completion for %u MEM_RD of "
                      "an asynchronous read in time\n", link->name,
                      timed_out);
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

static void pcie_link_read_bh(void *opaque)
{
    pcie_link_reads_run(opaque);
}

static void pcie_link_read_timeout(void *opaque)
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
    r->deadline_ms = now_ms() + (r->stalled ? MIN(PL_STALL_MS,
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

/* I/O thread, BQL held: one message from the peer. */
static void pcie_link_handle(PcieLink *link, const PlMsg *m)
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

/* ---- receiving: the chardev's handlers, in the I/O thread ---- */

static bool pcie_link_is_open(PcieLink *link)
{
    bool open;

    qemu_mutex_lock(&link->lock);
    open = link->open;
    qemu_mutex_unlock(&link->lock);
    return open;
}

static int pcie_link_can_read(void *opaque)
{
    PcieLink *link = opaque;

    bool cut;

    qemu_mutex_lock(&link->lock);
    cut = link->cut;
    qemu_mutex_unlock(&link->lock);
    /* a connection that was cut is drained and ignored until it closes */
    return cut ? RX_CAP : RX_CAP - link->rx_len;
}

static void pcie_link_close_rx_fds(PcieLink *link)
{
    while (link->rx_nfds) {
        close(link->rx_fds[--link->rx_nfds]);
    }
}

/*
 * Descriptors the chardev received with these bytes (it drops them at its
 * next receive): kept in order for the MAP messages they came with, when
 * this side offered the fast path; a peer that sends more than PL_RX_FDS
 * ahead of their messages takes the link down.
 */
static void pcie_link_take_rx_fds(PcieLink *link)
{
    int fds[PL_RX_FDS];
    int i, n = qemu_chr_fe_get_msgfds(link->chr, fds, PL_RX_FDS);
    bool overrun = false;

    for (i = 0; i < n; i++) {
        if ((link->features & PL_FEAT_SHM) && link->rx_nfds < PL_RX_FDS) {
            link->rx_fds[link->rx_nfds++] = fds[i];
        } else {
            overrun |= !!(link->features & PL_FEAT_SHM);
            close(fds[i]);
        }
    }
    if (overrun) {
        bql_lock();
        pcie_link_fail(link, "file descriptors without their MAP messages");
        bql_unlock();
    }
}

static void pcie_link_read(void *opaque, const uint8_t *buf, int size)
{
    PcieLink *link = opaque;
    bool opened;
    uint64_t gen;
    size_t off = 0;

    qemu_mutex_lock(&link->lock);
    opened = pcie_link_open_locked(link);
    if (!link->open) {
        qemu_mutex_unlock(&link->lock);
        return;                 /* cut: ignored until it closes */
    }
    link->stalled = false;      /* the peer speaks */
    gen = link->gen;
    qemu_mutex_unlock(&link->lock);
    if (link->rx_gen != gen) {
        link->rx_len = 0;       /* left of an earlier connection */
        link->rx_gen = gen;
        pcie_link_close_rx_fds(link);
    }
    pcie_link_take_rx_fds(link);
    if (opened) {
        trace_pcie_link_opened(link->name);
        pcie_link_send_hello(link);
    }
    if (size > RX_CAP - link->rx_len) {
        /* more than can_read allowed: the chardev broke its contract */
        bql_lock();
        pcie_link_fail(link, "receive buffer overrun");
        bql_unlock();
        link->rx_len = 0;
        return;
    }
    memcpy(link->rx + link->rx_len, buf, size);
    link->rx_len += size;

    bql_lock();
    while (off < link->rx_len) {
        PlMsg m;
        int r = pl_decode(link->rx + off, link->rx_len - off, &m);

        if (r == PL_NEED_MORE) {
            break;
        }
        if (r < 0) {
            pcie_link_fail(link, pl_strerror(r));
            off = link->rx_len;
            break;
        }
        /* served in place: nothing runs nested, nothing reuses rx now */
        pcie_link_handle(link, &m);
        off += r;
        if (!pcie_link_is_open(link)) {
            off = link->rx_len;         /* cut: the rest is not read */
        }
    }
    bql_unlock();
    link->rx_len -= off;
    memmove(link->rx, link->rx + off, link->rx_len);
}

/*
 * CHR_EVENT_OPENED and CLOSED come from the I/O thread, or from whichever
 * thread the chardev notices them in (the main loop when it connected
 * before the link was set up, a writer when a write fails).
 */
static void pcie_link_event(void *opaque, QEMUChrEvent event)
{
    PcieLink *link = opaque;
    bool opened;

    switch (event) {
    case CHR_EVENT_OPENED:
        qemu_mutex_lock(&link->lock);
        link->cut = false;
        opened = pcie_link_open_locked(link);
        qemu_mutex_unlock(&link->lock);
        if (opened) {
            trace_pcie_link_opened(link->name);
            pcie_link_report_any(link);
            pcie_link_send_hello(link);
        }
        break;
    case CHR_EVENT_CLOSED:
        qemu_mutex_lock(&link->lock);
        pcie_link_down_locked(link);
        link->cut = false;
        qemu_mutex_unlock(&link->lock);
        pcie_link_report_any(link);
        break;
    default:
        break;
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

bool pcie_link_init(PcieLink *link, CharBackend *chr, PlRole role,
                    const char *name, unsigned timeout_ms, uint32_t features,
                    const PcieLinkOps *ops, void *opaque, Error **errp)
{
    static unsigned count;
    Chardev *c = qemu_chr_fe_get_driver(chr);
    g_autofree char *id = NULL;
    AioContext *ctx;

    if (!c) {
        error_setg(errp, "%s: the link needs a chardev", name);
        return false;
    }
    if (!qemu_chr_has_feature(c, QEMU_CHAR_FEATURE_GCONTEXT)) {
        error_setg(errp, "%s: chardev '%s' cannot be served from an I/O "
                   "thread (use -chardev socket,path=... or "
                   "socket,host=...,port=...)", name, c->label);
        return false;
    }
    memset(link, 0, sizeof(*link));
    id = g_strdup_printf("pcie-link-%u", count++);
    link->iothread = iothread_create(id, errp);
    if (!link->iothread) {
        return false;
    }
    link->chr = chr;
    link->role = role;
    link->name = name;
    link->timeout_ms = MAX(timeout_ms, 1);
    link->features = features & PL_FEATURES;
    link->tx_fd = -1;
    link->req_fd = -1;
    link->ops = ops;
    link->opaque = opaque;
    link->rx = g_malloc(RX_CAP);
    link->tx_chunk = g_malloc(TX_CHUNK);
    link->txq = g_byte_array_new();
    qemu_mutex_init(&link->lock);
    qemu_cond_init(&link->cond);
    QLIST_INIT(&link->waits);
    ctx = iothread_get_aio_context(link->iothread);
    link->cut_bh = aio_bh_new(ctx, pcie_link_cut_bh, link);
    link->tx_timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS,
                                   pcie_link_tx_timeout, link);
    link->read_bh = aio_bh_new(ctx, pcie_link_read_bh, link);
    link->report_bh = aio_bh_new(ctx, pcie_link_report_bh, link);
    link->read_timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_MS,
                                     pcie_link_read_timeout, link);
    QLIST_INIT(&link->reads);
    qemu_chr_fe_set_handlers(chr, pcie_link_can_read, pcie_link_read,
                             pcie_link_event, NULL, link,
                             iothread_get_g_main_context(link->iothread),
                             true);
    return true;
}

typedef struct PcieLinkDrain {
    PcieLink *link;
    QemuMutex lock;
    QemuCond cond;
    bool done;
} PcieLinkDrain;

/*
 * I/O thread: the handlers go here, where the chardev runs, not in the
 * caller's thread: a peer that closes the socket at the same time makes
 * the chardev disconnect in this thread, and the two must not interleave
 * (the fuzz-link harness found update_ioc_handlers() using the channel
 * that the disconnect had just dropped).
 */
static void pcie_link_drained(void *opaque)
{
    PcieLinkDrain *d = opaque;

    bql_lock();
    qemu_chr_fe_set_handlers(d->link->chr, NULL, NULL, NULL, NULL, NULL,
                             NULL, true);
    bql_unlock();
    qemu_mutex_lock(&d->lock);
    d->done = true;
    qemu_cond_signal(&d->cond);
    qemu_mutex_unlock(&d->lock);
}

/*
 * Stop the link's handlers and its I/O thread.  The thread may be waiting
 * for the BQL in a handler that started before: wait, BQL released, for
 * it to finish and for the handlers to be removed there, then stop the
 * thread, before its timers and the thread are freed.  BQL held.
 */
void pcie_link_cleanup(PcieLink *link)
{
    PcieLinkDrain d = { .link = link, .done = false };

    if (!link->iothread) {
        return;
    }
    qemu_mutex_init(&d.lock);
    qemu_cond_init(&d.cond);
    aio_bh_schedule_oneshot(iothread_get_aio_context(link->iothread),
                            pcie_link_drained, &d);
    bql_unlock();
    qemu_mutex_lock(&d.lock);
    while (!d.done) {
        qemu_cond_wait(&d.cond, &d.lock);
    }
    qemu_mutex_unlock(&d.lock);
    /*
     * Nothing runs in the thread from now on: a timer callback or the
     * writable watch could otherwise re-arm a timer freed below (found
     * by fuzz-link: timerlist_free's assertion in iothread_destroy).
     */
    iothread_stop(link->iothread);
    bql_lock();
    qemu_mutex_destroy(&d.lock);
    qemu_cond_destroy(&d.cond);

    qemu_mutex_lock(&link->lock);
    if (link->tx_watch) {
        GSource *src = g_main_context_find_source_by_id(
            iothread_get_g_main_context(link->iothread), link->tx_watch);

        if (src) {
            g_source_destroy(src);
        }
        link->tx_watch = 0;
    }
    qemu_mutex_unlock(&link->lock);
    timer_free(link->tx_timer);
    timer_free(link->read_timer);
    qemu_bh_delete(link->read_bh);
    qemu_bh_delete(link->report_bh);
    qemu_bh_delete(link->cut_bh);
    iothread_destroy(link->iothread);
    link->iothread = NULL;
    qemu_mutex_destroy(&link->lock);
    qemu_cond_destroy(&link->cond);
    g_byte_array_free(link->txq, true);
    if (link->tx_fd >= 0) {
        close(link->tx_fd);
        link->tx_fd = -1;
    }
    pcie_link_close_rx_fds(link);
    g_free(link->rx);
    g_free(link->tx_chunk);
    link->rx = NULL;
}

/*
 * One end of the PCIe link between two QEMU processes (see pcie-link.h):
 * the connection, receiving, init and cleanup.  The transmit queue is in
 * pcie-link-tx.c, requests and completions in pcie-link-request.c.
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
#include "trace.h"
#include "pcie-link-internal.h"

int64_t pcie_link_now_ms(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

bool pcie_link_in_io(PcieLink *link)
{
    return qemu_get_current_aio_context() ==
           iothread_get_aio_context(link->iothread);
}

/*
 * Report connection changes to the device, in order: a connection that
 * ended is reported as false before the next one as true.  BQL held.
 */
void pcie_link_report(PcieLink *link)
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
    g_array_set_size(link->tx_gates, 0);
    link->tx_queued = link->tx_written = 0;
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
    link->tx_progress_ms = pcie_link_now_ms();
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
    /* the peer's fault: for the host's log, not the guest's */
    warn_report("%s: link taken down: %s (%" PRIu64 " so far)", link->name,
                why, link->malformed);
    trace_pcie_link_fail(link->name, why);
    qemu_bh_schedule(link->cut_bh);
    pcie_link_report_any(link);
}

/* Whether pcie_link_fail cut the connection (until it closes). */
static bool pcie_link_is_cut(PcieLink *link)
{
    bool cut;

    qemu_mutex_lock(&link->lock);
    cut = link->cut;
    qemu_mutex_unlock(&link->lock);
    return cut;
}

/* I/O thread: drop the connection that pcie_link_fail cut. */
static void pcie_link_cut_bh(void *opaque)
{
    PcieLink *link = opaque;

    if (pcie_link_is_cut(link)) {
        /* (a connection made since then is not cut, and stays) */
        qemu_chr_fe_disconnect(link->chr);
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

    /* a connection that was cut is drained and ignored until it closes */
    return pcie_link_is_cut(link) ? RX_CAP : RX_CAP - link->rx_len;
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


bool pcie_link_init(PcieLink *link, CharBackend *chr, PlRole role,
                    const char *name, unsigned timeout_ms, uint32_t features,
                    const PcieLinkOps *ops, void *opaque, Error **errp)
{
    static unsigned count;
    Chardev *c = qemu_chr_fe_get_driver(chr);
    g_autofree char *id = NULL;
    PcieLinkFaults faults;
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
    faults = link->faults;      /* set before realize: kept */
    memset(link, 0, sizeof(*link));
    link->faults = faults;
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
    link->tx_gates = g_array_new(false, false, sizeof(PcieLinkGate));
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
    link->delay_timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, SCALE_NS,
                                      pcie_link_delay_due, link);
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
    timer_free(link->delay_timer);
    qemu_bh_delete(link->read_bh);
    qemu_bh_delete(link->report_bh);
    qemu_bh_delete(link->cut_bh);
    iothread_destroy(link->iothread);
    link->iothread = NULL;
    qemu_mutex_destroy(&link->lock);
    qemu_cond_destroy(&link->cond);
    g_byte_array_free(link->txq, true);
    g_array_free(link->tx_gates, true);
    if (link->tx_fd >= 0) {
        close(link->tx_fd);
        link->tx_fd = -1;
    }
    pcie_link_close_rx_fds(link);
    g_free(link->rx);
    g_free(link->tx_chunk);
    link->rx = NULL;
}

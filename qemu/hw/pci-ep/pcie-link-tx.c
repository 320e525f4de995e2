/*
 * The PCIe link (pcie-link.h): the transmit queue.  Senders queue encoded
 * messages on link->txq and write the queue out themselves when no other
 * thread is writing; the I/O thread takes over when the chardev is full,
 * and a queue that does not drain for the link's timeout takes the link
 * down (the bounds are in pcie-link.c).
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

/* ---- transmitting ---- */

static gboolean pcie_link_tx_ready(void *do_not_use, GIOCondition cond,
                                   void *opaque);

/* ---- x-fault-delay-us: gates in the queue ---- */

/*
 * Hold the @len bytes about to be queued back by the link's delay, if
 * any: a gate at their start, due no earlier than the gate before it (so
 * that messages keep their order when the delay shrinks).  link->lock.
 */
static void pcie_link_gate_add(PcieLink *link, size_t len)
{
    uint32_t us = qatomic_read(&link->faults.delay_us);

    if (us) {
        PcieLinkGate g = {
            .start = link->tx_queued,
            .due_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) +
                      (int64_t)us * SCALE_US,
        };

        if (link->tx_gates->len) {
            PcieLinkGate *last = &g_array_index(link->tx_gates, PcieLinkGate,
                                                link->tx_gates->len - 1);

            g.due_ns = MAX(g.due_ns, last->due_ns);
        }
        g_array_append_val(link->tx_gates, g);
    }
    link->tx_queued += len;
}

/*
 * How many queued bytes may be written now: those before the first gate
 * that is not due yet, or all of them (UINT64_MAX).  Gates that are due
 * are dropped; with 0, link->delay_timer is armed for the first gate.
 * link->lock held.
 */
static uint64_t pcie_link_gate_room(PcieLink *link)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    PcieLinkGate *g;
    unsigned due = 0;

    while (due < link->tx_gates->len &&
           g_array_index(link->tx_gates, PcieLinkGate, due).due_ns <= now) {
        due++;
    }
    if (due) {
        g_array_remove_range(link->tx_gates, 0, due);
    }
    if (!link->tx_gates->len) {
        return UINT64_MAX;
    }
    g = &g_array_index(link->tx_gates, PcieLinkGate, 0);
    if (g->start <= link->tx_written) {
        timer_mod(link->delay_timer, g->due_ns);
        return 0;
    }
    return g->start - link->tx_written;
}

/* Whether the queue waits for a gate, not for the peer.  link->lock. */
static bool pcie_link_gate_holds(PcieLink *link)
{
    PcieLinkGate *g;

    if (!link->tx_gates->len) {
        return false;
    }
    g = &g_array_index(link->tx_gates, PcieLinkGate, 0);
    return g->start <= link->tx_written &&
           g->due_ns > qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

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
        uint64_t gen, room;
        size_t n;
        int done, fd = -1;

        n = MIN(link->txq->len, TX_CHUNK);
        if (!n || !link->open) {
            break;
        }
        room = pcie_link_gate_room(link);
        if (!room) {
            break;      /* held back: delay_timer goes on */
        }
        n = MIN(n, room);
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
            link->tx_written += done;
            g_byte_array_remove_range(link->txq, 0, done);
            link->tx_progress_ms = pcie_link_now_ms();
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
void pcie_link_tx_timeout(void *opaque)
{
    PcieLink *link = opaque;
    int64_t stuck_since = 0;
    bool stuck;

    qemu_mutex_lock(&link->lock);
    /* a queue held back by x-fault-delay-us waits for its gate */
    stuck = link->open && link->txq->len && !pcie_link_gate_holds(link);
    if (stuck) {
        stuck_since = link->tx_progress_ms;
    }
    qemu_mutex_unlock(&link->lock);
    if (!stuck) {
        return;
    }
    if (pcie_link_now_ms() - stuck_since < link->timeout_ms) {
        timer_mod(link->tx_timer, stuck_since + link->timeout_ms);
        return;
    }
    bql_lock();
    pcie_link_fail(link, "the peer does not read");
    bql_unlock();
}

/*
 * link->delay_timer (I/O thread): the first gate is due.  The time spent
 * held back is no lack of progress of the peer.
 */
void pcie_link_delay_due(void *opaque)
{
    PcieLink *link = opaque;

    qemu_mutex_lock(&link->lock);
    link->tx_progress_ms = pcie_link_now_ms();
    qemu_mutex_unlock(&link->lock);
    pcie_link_flush(link);
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
    /* messages held back by x-fault-delay-us are no peer's fault */
    int64_t deadline = pcie_link_now_ms() + link->timeout_ms +
                       qatomic_read(&link->faults.delay_us) / 1000;
    bool dropped = false, ok = false;
    const char *why = NULL;

    qemu_mutex_lock(&link->lock);
    while (link->open && !in_io && link->txq->len + len > TX_SOFT) {
        int64_t left = deadline - pcie_link_now_ms();

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
                link->tx_progress_ms = pcie_link_now_ms();
            }
            if (fd >= 0) {
                link->tx_fd = fd;
                link->tx_fd_at = link->txq->len;
                fd = -1;
            }
            pcie_link_gate_add(link, len);
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
bool pcie_link_send_fd(PcieLink *link, const PlMsg *msg, int fd)
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

bool pcie_link_send(PcieLink *link, const PlMsg *msg)
{
    return pcie_link_send_fd(link, msg, -1);
}

/*
 * HELLO on a new connection.  The shared-memory fast path is offered only
 * where the chardev passes file descriptors (a unix socket; not TCP, not
 * TLS): asking it to pass none says whether it can.
 */
void pcie_link_send_hello(PcieLink *link)
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

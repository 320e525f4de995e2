/*
 * The PCIe link (pcie-link.h), what its files share: pcie-link.c (the
 * connection: state, receiving in the I/O thread, init and cleanup),
 * pcie-link-tx.c (the transmit queue) and pcie-link-request.c (requests,
 * their completions, asynchronous reads, and the peer's requests).  Not
 * for the devices: they use pcie-link.h.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_PCIE_LINK_INTERNAL_H
#define HW_PCI_EP_PCIE_LINK_INTERNAL_H

#include "hw/pci-ep/pcie-link.h"

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

/* ---- pcie-link.c ---- */

/* The realtime clock in milliseconds (deadlines, queue progress). */
int64_t pcie_link_now_ms(void);

/* Whether the caller runs in @link's I/O thread. */
bool pcie_link_in_io(PcieLink *link);

/*
 * Report connection changes to the device, in order: a connection that
 * ended is reported as false before the next one as true.  BQL held.
 */
void pcie_link_report(PcieLink *link);

/* ---- pcie-link-tx.c ---- */

/*
 * Encode and queue @msg (with the file descriptor @fd, or -1; the link's
 * from then on).  False if it was not sent: the peer is gone, or @msg is
 * one the protocol cannot carry (pl_encode refuses it; logged, nothing
 * sent, the link stays up).  Outside the I/O thread, waits (BQL
 * released) for room in a full queue, up to the link's timeout.
 */
bool pcie_link_send_fd(PcieLink *link, const PlMsg *msg, int fd);
bool pcie_link_send(PcieLink *link, const PlMsg *msg);

/* HELLO on a new connection (PL_FEAT_SHM only where fds pass). */
void pcie_link_send_hello(PcieLink *link);

/* link->tx_timer (I/O thread): the queue has not drained in time. */
void pcie_link_tx_timeout(void *opaque);

/* link->delay_timer (I/O thread): a delayed message may go now. */
void pcie_link_delay_due(void *opaque);

/* ---- pcie-link-request.c ---- */

/* Serve one decoded message from the peer.  I/O thread, BQL held. */
void pcie_link_handle(PcieLink *link, const PlMsg *m);

/* link->read_bh and link->read_timer: finish asynchronous reads. */
void pcie_link_read_bh(void *opaque);
void pcie_link_read_timeout(void *opaque);

#endif

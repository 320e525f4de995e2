/*
 * One end of the PCIe link between two QEMU processes, over a socket
 * chardev (unix or TCP): framing, request IDs, completions with timeout,
 * and serving the peer's requests while a completion is awaited.
 *
 * Used by dw-pcie-ep (the EP end) and pci-ep-link (the RC end).  The
 * message format is in pcie-link-proto.h.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_PCIE_LINK_H
#define HW_PCI_EP_PCIE_LINK_H

#include "chardev/char-fe.h"
#include "hw/pci-ep/pcie-link-proto.h"

typedef struct PcieLinkOps {
    /*
     * A request from the peer (CFG_RD, CFG_WR, MEM_RD, MEM_WR, INTX).
     * For reads, fill @data with req->u.cfg.size or req->u.mem.size bytes.
     * The return value is the completion status of non-posted requests
     * (ignored for posted ones).  Called with the BQL held.
     */
    PlStatus (*request)(void *opaque, const PlMsg *req, uint8_t *data);
    /* LINK from the peer: its view of the link state. */
    void (*link_state)(void *opaque, bool up);
    /* Hello exchanged (true), or the peer went away or was cut (false). */
    void (*connected)(void *opaque, bool connected);
} PcieLinkOps;

typedef struct PcieLinkWait PcieLinkWait;

/* MEM_RD requests pcie_link_mem_read() keeps in flight at once. */
#define PL_READ_WINDOW  16

typedef struct PcieLink {
    CharBackend *chr;
    const PcieLinkOps *ops;
    void *opaque;
    const char *name;
    PlRole role;
    bool connected;          /* HELLO received */
    uint8_t *rx;             /* bytes received, not yet decoded */
    size_t rx_len;
    size_t rx_cap;
    uint32_t next_tag;
    PcieLinkWait *waits;     /* completions awaited, innermost first */
    unsigned depth;
    unsigned timeout_ms;
    uint64_t malformed;      /* messages that took the link down */
    uint64_t timeouts;
} PcieLink;

/*
 * pcie_link_init: set up @link on @chr, which must be a socket chardev
 * (unix or TCP; the link reads the socket directly while it waits for a
 * completion).  @timeout_ms bounds every wait for a completion (a wait
 * that expires completes with PL_STATUS_CA).  Returns false and sets
 * @errp for a missing or non-socket chardev.
 */
bool pcie_link_init(PcieLink *link, CharBackend *chr, PlRole role,
                    const char *name, unsigned timeout_ms,
                    const PcieLinkOps *ops, void *opaque, Error **errp);
void pcie_link_cleanup(PcieLink *link);

static inline bool pcie_link_connected(PcieLink *link)
{
    return link->connected;
}

/*
 * Non-posted requests: wait for the completion, serving the peer's own
 * requests meanwhile (so two sides reading from each other at once do not
 * deadlock).  Return the completion status; on anything but
 * PL_STATUS_SC read data is all ones.  Without a connected peer they
 * return PL_STATUS_UR at once.  Reads larger than PL_MAX_PAYLOAD are split,
 * with up to PL_READ_WINDOW parts in flight at once.  @addr is a PCI
 * address and @size a byte count; a read whose range wraps past 2^64
 * (see pl_mem_range_ok) is logged as a guest error, not sent, and
 * completes with PL_STATUS_UR.
 */
PlStatus pcie_link_cfg_read(PcieLink *link, uint16_t offset, uint8_t size,
                            uint32_t *val);
PlStatus pcie_link_cfg_write(PcieLink *link, uint16_t offset, uint8_t size,
                             uint32_t val);
PlStatus pcie_link_mem_read(PcieLink *link, uint8_t bar, uint64_t addr,
                            void *buf, uint64_t size);

/*
 * Posted: MEM_WR (split at PL_MAX_PAYLOAD), INTX and LINK.
 * pcie_link_mem_write returns true when all @size bytes (at PCI address
 * @addr) were handed to the socket; false when the peer is not connected
 * or went away meanwhile, or when the range wraps past 2^64 (logged as a
 * guest error; then nothing is sent).
 */
bool pcie_link_mem_write(PcieLink *link, uint8_t bar, uint64_t addr,
                         const void *buf, uint64_t size);
void pcie_link_intx(PcieLink *link, uint8_t pin, bool level);
void pcie_link_send_state(PcieLink *link, bool up);

/*
 * pcie_link_fail: cut the link after a protocol violation: log @why,
 * count it, drop the connection (the peer sees it close) and report
 * connected(false).
 */
void pcie_link_fail(PcieLink *link, const char *why);

#endif

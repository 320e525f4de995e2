/*
 * One end of the PCIe link between two QEMU processes, over a chardev
 * (a unix or TCP socket): framing, request IDs, completions with a
 * deadline, and the peer's requests served in arrival order.
 *
 * Used by dw-pcie-ep (the EP end) and pci-ep-link (the RC end).  The
 * message format is in pcie-link-proto.h.
 *
 * Threads.  Each link owns an I/O thread: it receives, decodes, and serves
 * the peer's requests one at a time (taking the BQL for each batch of
 * messages), in the order they arrived, so a completion is never seen
 * before a posted write that the peer sent ahead of it.  A sender writes
 * its message to the chardev itself, in order with the others (the I/O
 * thread finishes what a full chardev did not take).  A thread
 * that needs a completion (a vCPU doing a BAR or config read, the eDMA's
 * bottom half, a qtest command in the main loop) queues its request and
 * waits with the BQL released, until the completion, a deadline or the
 * end of the connection.  Nothing is served nested inside a wait.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_PCIE_LINK_H
#define HW_PCI_EP_PCIE_LINK_H

#include "chardev/char-fe.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "exec/memory.h"
#include "hw/pci-ep/pcie-link-proto.h"

typedef struct PcieLinkOps {
    /*
     * A request from the peer (CFG_RD, CFG_WR, MEM_RD, MEM_WR, INTX, MAP;
     * a MAP's file descriptor, if one came with it, is taken with
     * pcie_link_take_fd during the call, and closed after it if not).
     * For reads, fill @data with req->u.cfg.size or req->u.mem.size bytes.
     * The return value is the completion status of non-posted requests
     * (ignored for posted ones).  Called in the link's I/O thread with the
     * BQL held; a request the handler makes on this same link completes
     * with UR at once (it would wait for the thread it runs in).
     */
    PlStatus (*request)(void *opaque, const PlMsg *req, uint8_t *data);
    /* LINK from the peer: its view of the link state.  BQL held. */
    void (*link_state)(void *opaque, bool up);
    /*
     * Hello exchanged (true), or the peer went away or was cut (false).
     * Every new connection is reported as false (if true was reported
     * before) then true.  BQL held.
     */
    void (*connected)(void *opaque, bool connected);
    /*
     * LINK from the peer, before link_state: PERST# as the peer drives it
     * (only an RC asserts it; may be NULL).  BQL held.
     */
    void (*perst)(void *opaque, bool asserted);
} PcieLinkOps;

/*
 * Injected faults (docs/link-faults.md): what this end of the link does
 * wrong on purpose, set from QOM properties (pcie-link-fault.c).  They
 * are the environment's, not the device's: pcie_link_init keeps them,
 * and a device reset leaves them alone.
 *
 * PcieLinkCplFault: the peer's memory requests that match (MEM_RD and
 * MEM_WR to BAR @bar when @by_bar, else overlapping the @len bytes at
 * @addr) are not carried out: a MEM_RD completes with UR or CA, or gets
 * no completion at all (TIMEOUT, so the requester's completion timeout
 * expires); a MEM_WR is dropped.
 */
typedef enum PcieLinkCplKind {
    PL_FAULT_CPL_NONE,
    PL_FAULT_CPL_UR,
    PL_FAULT_CPL_CA,
    PL_FAULT_CPL_TIMEOUT,
} PcieLinkCplKind;

typedef struct PcieLinkCplFault {
    PcieLinkCplKind kind;
    bool by_bar;
    uint8_t bar;             /* 0..5 */
    uint64_t addr;           /* @len >= 1, addr + len - 1 <= UINT64_MAX */
    uint64_t len;
} PcieLinkCplFault;

/* Largest x-fault-delay-us: one second. */
#define PL_FAULT_DELAY_MAX_US   1000000u

typedef struct PcieLinkFaults {
    PcieLinkCplFault cpl;    /* BQL */
    uint32_t delay_us;       /* atomic: every message sent waits this long */
} PcieLinkFaults;

/* One held-back stretch of the transmit queue (x-fault-delay-us). */
typedef struct PcieLinkGate {
    uint64_t start;          /* stream offset of its first byte */
    int64_t due_ns;          /* QEMU_CLOCK_REALTIME when it may go */
} PcieLinkGate;

typedef struct PcieLinkWait PcieLinkWait;
typedef struct PcieLinkRead PcieLinkRead;
typedef struct IOThread IOThread;
typedef struct QEMUBH QEMUBH;
typedef struct QEMUTimer QEMUTimer;

/* MEM_RD requests pcie_link_mem_read() keeps in flight at once. */
#define PL_READ_WINDOW  16

/* File descriptors received ahead of the MAP messages they came with. */
#define PL_RX_FDS       4

typedef struct PcieLink {
    CharBackend *chr;
    const PcieLinkOps *ops;
    void *opaque;
    const char *name;
    PlRole role;
    unsigned timeout_ms;
    IOThread *iothread;
    QEMUBH *cut_bh;          /* disconnect after pcie_link_fail (I/O thread) */
    QEMUTimer *tx_timer;     /* a transmit queue that does not drain */
    QEMUBH *read_bh;         /* deliver finished asynchronous reads */
    QEMUBH *report_bh;       /* report a chardev event (I/O thread) */
    QEMUTimer *read_timer;   /* the next asynchronous read's deadline */
    QEMUTimer *delay_timer;  /* the next delayed message is due */
    PcieLinkFaults faults;

    /* Receiving: the I/O thread's alone. */
    uint8_t *rx;             /* bytes received, not yet decoded */
    size_t rx_len;
    uint64_t rx_gen;         /* the connection rx belongs to */
    uint8_t *tx_chunk;       /* what one chardev write takes */
    int rx_fds[PL_RX_FDS];   /* descriptors received, for MAP messages */
    unsigned rx_nfds;
    int req_fd;              /* the MAP being served brought this one */

    /* Reported to the device (BQL held). */
    bool reported;           /* connected(true) reported ... */
    uint64_t reported_gen;   /* ... for this connection */

    QemuMutex lock;          /* everything below */
    QemuCond cond;           /* a completion, room to send, or link down */
    bool open;               /* the chardev is connected */
    bool connected;          /* and the peer's HELLO arrived */
    bool cut;                /* pcie_link_fail cut it; not closed yet */
    uint64_t gen;            /* connection number */
    bool stalled;            /* a request timed out; nothing heard since */
    uint32_t next_tag;
    uint32_t features;       /* PL_FEAT_* offered (set at init) */
    uint32_t peer_features;  /* the peer's HELLO offered */
    bool fd_pass;            /* this connection passes descriptors */
    int tx_fd;               /* to go with the queued message ... */
    size_t tx_fd_at;         /* ... that starts this many bytes in */
    QLIST_HEAD(, PcieLinkWait) waits;  /* completions awaited */
    QLIST_HEAD(, PcieLinkRead) reads;  /* asynchronous reads in flight */
    GByteArray *txq;         /* encoded messages not yet written */
    int64_t tx_progress_ms;  /* when the queue last drained some bytes */
    guint tx_watch;          /* chardev writable again (I/O thread) */
    bool tx_busy;            /* a thread is writing the queue out */
    /*
     * x-fault-delay-us: a gate per delayed message, oldest first; no byte
     * at or past a gate's start is written before it is due.  Stream
     * offsets count the bytes ever queued and written on this connection.
     */
    GArray *tx_gates;        /* PcieLinkGate */
    uint64_t tx_queued;
    uint64_t tx_written;
    uint64_t malformed;      /* messages that took the link down */
    uint64_t timeouts;
} PcieLink;

/*
 * pcie_link_init: set up @link on @chr, a chardev that can run in an
 * I/O thread's context (a socket chardev, unix or TCP, with or without
 * TLS).  @features (PL_FEAT_*) are offered in HELLO, PL_FEAT_SHM only
 * where the chardev passes file descriptors.  @timeout_ms bounds every
 * wait for a completion and for room in
 * the transmit queue: a request not completed in time completes with
 * PL_STATUS_CA, and after one has, while the peer stays silent, each
 * further request waits at most PL_STALL_MS.  A transmit queue that does
 * not drain for @timeout_ms takes the link down.  Returns false and sets
 * @errp for a missing chardev or one that cannot be used from an I/O
 * thread.  Call with the BQL held.
 */
bool pcie_link_init(PcieLink *link, CharBackend *chr, PlRole role,
                    const char *name, unsigned timeout_ms, uint32_t features,
                    const PcieLinkOps *ops, void *opaque, Error **errp);
void pcie_link_cleanup(PcieLink *link);

/* How long a request waits while the peer has been silent (see above). */
#define PL_STALL_MS     100

/* Whether the peer's HELLO was reported (connected(true)).  BQL held. */
static inline bool pcie_link_connected(PcieLink *link)
{
    return link->reported;
}

/*
 * Non-posted requests: send, then wait for the completion with the BQL
 * released.  Return the completion status; on anything but PL_STATUS_SC
 * read data is all ones.  Without a connected peer they return
 * PL_STATUS_UR at once.  Reads larger than PL_MAX_PAYLOAD are split, with
 * up to PL_READ_WINDOW parts in flight at once.  @addr is a PCI address
 * and @size a byte count; a read whose range wraps past 2^64 (see
 * pl_mem_range_ok) is logged as a guest error, not sent, and completes
 * with PL_STATUS_UR.  Call with the BQL held (it is released while
 * waiting, so device state may change meanwhile).
 */
PlStatus pcie_link_cfg_read(PcieLink *link, uint16_t offset, uint8_t size,
                            uint32_t *val);
PlStatus pcie_link_cfg_write(PcieLink *link, uint16_t offset, uint8_t size,
                             uint32_t val);
PlStatus pcie_link_mem_read(PcieLink *link, uint8_t bar, uint64_t addr,
                            void *buf, uint64_t size);

/*
 * pcie_link_mem_read_async: read @size bytes (1 to PL_READ_WINDOW *
 * PL_MAX_PAYLOAD) at PCI address @addr without waiting: the MEM_RD
 * requests (PL_MAX_PAYLOAD each) are all sent at once, and @cb runs once,
 * in the link's I/O thread with the BQL held, when all have completed,
 * one failed, the link went down, or the link's timeout (PL_STALL_MS
 * while the peer is silent) passed.  @cb gets the first non-SC status in
 * request order, or SC, and @size bytes of data (all ones unless SC),
 * valid during the call.  Returns false, without calling @cb, when
 * nothing was sent: no connected peer, a bad @size, a range that wraps
 * past 2^64 (logged as a guest error), or a caller in the I/O thread.
 * Call with the BQL held.
 */
typedef void PcieLinkReadDone(void *opaque, PlStatus st, const uint8_t *data,
                              uint32_t size);
bool pcie_link_mem_read_async(PcieLink *link, uint8_t bar, uint64_t addr,
                              uint32_t size, PcieLinkReadDone *cb,
                              void *opaque);

/*
 * Posted: MEM_WR (split at PL_MAX_PAYLOAD), INTX and LINK.  They are
 * queued in order; a sender waits (BQL released) while the transmit queue
 * is full, up to the link's timeout, after which the link is taken down.
 * pcie_link_mem_write returns true when all @size bytes (at PCI address
 * @addr) were queued; false when the peer is not connected or went away
 * meanwhile, or when the range wraps past 2^64 (logged as a guest error;
 * then nothing is sent).
 */
bool pcie_link_mem_write(PcieLink *link, uint8_t bar, uint64_t addr,
                         const void *buf, uint64_t size);
void pcie_link_intx(PcieLink *link, uint8_t pin, bool level);
void pcie_link_send_state(PcieLink *link, bool up);

/*
 * pcie_link_send_hold: LINK from the RC (see pcie-link-proto.h): the RC
 * holds the link down (@held), with PERST# asserted (@perst, only with
 * @held), or releases it.  Nothing without a connected peer.
 */
void pcie_link_send_hold(PcieLink *link, bool held, bool perst);

/*
 * pcie_link_shm: whether the shared-memory fast path is on for this
 * connection: both HELLOs offered PL_FEAT_SHM, and the chardev passes
 * file descriptors.  Any thread.
 */
bool pcie_link_shm(PcieLink *link);

/*
 * pcie_link_map: send the MAP @map (type PL_MSG_MAP; tag set here) and
 * wait for its completion, as pcie_link_cfg_read does.  With enable 1,
 * @fd is the RAM the mapping is in (a duplicate travels with the message;
 * @fd stays the caller's); with enable 0, @fd is -1.  Returns the peer's
 * status (SC: mapped or unmapped; UR: it keeps using messages there),
 * PL_STATUS_UR without sending when pcie_link_shm is false or @fd does
 * not match enable, CA when no completion came in time.  BQL held (it is
 * released while waiting); not from the link's I/O thread.
 */
PlStatus pcie_link_map(PcieLink *link, const PlMsg *map, int fd);

/*
 * pcie_link_take_fd: in the request handler of a MAP with enable 1, the
 * file descriptor that came with it (the caller's to close), or -1 when
 * none did (a peer that sent none) or it was taken already.
 */
int pcie_link_take_fd(PcieLink *link);

/*
 * PcieLinkRegion: memory the fast path maps, as an object of its own (QOM
 * type "pcie-link-region") that owns its MemoryRegion, so that the flat
 * views still holding the region after it left its container keep it
 * alive, and it ends with the last of them (RCU).  Put it in a container
 * with memory_region_add_subregion*(pcie_link_region_mr(r)); take it out
 * with memory_region_del_subregion, then drop the reference with
 * object_unref(OBJECT(r)).  BQL held.
 *
 * pcie_link_region_ram: @size bytes of shared RAM mapped from @fd at
 * @fd_offset (host-page multiples, checked by the caller).  On success the
 * region owns @fd; on failure (the file is too small, @fd cannot be
 * mapped) returns NULL with @errp set and @fd stays the caller's.
 * pcie_link_region_alias: @size bytes of @of's region from @offset.
 */
typedef struct PcieLinkRegion PcieLinkRegion;
#define TYPE_PCIE_LINK_REGION "pcie-link-region"
PcieLinkRegion *pcie_link_region_ram(const char *name, uint64_t size, int fd,
                                     uint64_t fd_offset, Error **errp);
PcieLinkRegion *pcie_link_region_alias(const char *name, PcieLinkRegion *of,
                                       uint64_t offset, uint64_t size);
MemoryRegion *pcie_link_region_mr(PcieLinkRegion *r);

/*
 * Injected faults (pcie-link-fault.c; see PcieLinkFaults and
 * docs/link-faults.md).  The parsers check every number and set @errp
 * (the text names the property, the bad part and what is allowed) on bad
 * input, leaving their output alone.
 *
 * pcie_link_fault_parse_cpl: "none", or "KIND:bar=N" or "KIND:ADDR+LEN",
 * KIND one of "ur", "ca", "timeout"; N 0..5 (refused unless @bars: the
 * RC end completes no BAR requests); ADDR and LEN decimal or 0x-hex,
 * LEN >= 1, ADDR + LEN - 1 at most 2^64 - 1.  pcie_link_fault_cpl_str:
 * the canonical text of @f (the caller frees it).
 *
 * pcie_link_fault_class_props: add x-fault-cpl (string, above) and
 * x-fault-delay-us (uint32, 0..PL_FAULT_DELAY_MAX_US microseconds by
 * which every message this end sends is held back) to class @oc, whose
 * objects' link @link_of returns.  Both are readable (the active fault)
 * and settable at any time, also before realize.
 */
bool pcie_link_fault_parse_cpl(const char *str, bool bars,
                               PcieLinkCplFault *f, Error **errp);
char *pcie_link_fault_cpl_str(const PcieLinkCplFault *f);
void pcie_link_fault_class_props(ObjectClass *oc,
                                 PcieLink *(*link_of)(Object *obj),
                                 bool bars);

/*
 * pcie_link_fault_parse_u64: the unsigned number @str (decimal, or hex
 * after "0x"; no sign, no space, at least one digit) into *@val; false on
 * anything else or a value past 2^64 - 1.
 */
bool pcie_link_fault_parse_u64(const char *str, uint64_t *val);

/*
 * pcie_link_fault_parse_link: x-fault-link's value: "down" sets *@down,
 * "up" clears it; anything else sets @errp (naming the property) and
 * returns false, leaving *@down alone.
 */
bool pcie_link_fault_parse_link(const char *str, bool *down, Error **errp);

/*
 * pcie_link_fail: cut the link after a protocol violation: log @why,
 * count it, fail what waits, drop the connection (the peer sees it close)
 * and report connected(false).  Call with the BQL held.
 */
void pcie_link_fail(PcieLink *link, const char *why);

#endif

/*
 * The RC end of the PCIe link, what its two devices share: pci-ep-link
 * (pci-ep-link.c, the link: connection, plug and unplug, slot power, the
 * fast path's mappings) and pci-ep-remote (pci-ep-remote.c, the endpoint
 * as a PCIe function: config space, BARs, the endpoint's memory
 * requests).  See pci-ep-remote.c for how they work together.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_PCI_EP_LINK_H
#define HW_PCI_EP_PCI_EP_LINK_H

#include "hw/pci/pci_device.h"
#include "hw/pci/pcie_port.h"
#include "hw/pci-ep/pcie-link.h"

#define TYPE_PCI_EP_LINK "pci-ep-link"
OBJECT_DECLARE_SIMPLE_TYPE(PciEpLink, PCI_EP_LINK)
#define TYPE_PCI_EP_REMOTE "pci-ep-remote"
OBJECT_DECLARE_SIMPLE_TYPE(PciEpRemote, PCI_EP_REMOTE)
/* One MAP slot: endpoint RAM behind a BAR. */
typedef struct PciEpLinkMap {
    PcieLinkRegion *ram;
    unsigned bar;
    uint64_t offset;
    MemoryRegion *in;        /* the BAR region it is a subregion of */
} PciEpLinkMap;

/* Largest MAP taken: bounds what a peer makes this QEMU map. */
#define MAP_MAX_SIZE (1ull << 34)

#define NUM_BARS 6
/*
 * An INTx from the EP is a pulse (assert, about 1 ms, deassert).  Both
 * messages can arrive in one read, before this guest's vCPU has had a
 * chance to take a level interrupt that is already gone again: hold the
 * line at least this long after an assert (QEMU_CLOCK_VIRTUAL, which runs
 * with the host's clock under TCG).  On a busy 2-core host a vCPU thread
 * can wait longer than a scheduler period (about 12 ms) for a core, and
 * 2 ms lost one of pci_endpoint_test's INTx in one run of three; 20 ms
 * covers that.  While the line is held, the guest's handler runs again
 * on every EOI; pci_endpoint_test's handler only reads its status, and
 * the driver starts each test with a fresh completion.
 */
#define INTX_MIN_PULSE_NS (20 * SCALE_MS)

struct PciEpLink {
    DeviceState parent_obj;

    PCIESlot *port;          /* the root port the function is plugged in */
    uint32_t timeout_ms;

    CharBackend chr;
    PcieLink link;
    bool up;                 /* the endpoint reports link up */
    PciEpRemote *fn;         /* the plugged function, if any */
    bool detached;           /* fn left by QEMU's doing, not link_unplug */
    bool slot_off;           /* slot powered off by the guest, card kept */
    QEMUBH *bh;              /* plug or unplug, outside of link handlers */
    /*
     * Accesses of the function waiting for the endpoint (the BQL is
     * released meanwhile): the function is not unplugged under them, as
     * QEMU's PCI code still uses it when they return; link_bh tries
     * again after retry_timer.
     */
    unsigned busy;
    QEMUTimer *retry_timer;
    QEMUTimer *intx_timer;   /* a deassert held back, see INTX_MIN_PULSE_NS */
    int64_t intx_since;
    bool fast_path;
    PciEpLinkMap *maps[PL_MAP_SLOTS];
    bool ram_shared;         /* the endpoint was given this QEMU's RAM */
    bool ram_syncing;
    Error *migration_blocker;
    /* Injected faults (x-fault-link, x-fault-perst; see pci-ep-link.c) */
    bool fault_down;         /* the RC's side holds the link down */
    bool perst;              /* PERST# asserted */
};

typedef struct PciEpRemoteBar {
    PciEpRemote *fn;
    unsigned index;
    MemoryRegion mr;
} PciEpRemoteBar;

struct PciEpRemote {
    PCIDevice parent_obj;

    PciEpLink *owner;
    PciEpRemoteBar bars[NUM_BARS];
};

/* ---- pci-ep-remote.c ---- */

/*
 * Put map @m into @fn's BAR, when @fn is there and has a BAR that holds
 * it (else the range stays on messages); take it out again.  BQL held.
 */
void pci_ep_remote_attach_map(PciEpRemote *fn, PciEpLinkMap *m);
void pci_ep_remote_detach_map(PciEpLinkMap *m);

/* ---- pci-ep-link.c ---- */

/*
 * Bring the endpoint's view of this QEMU's RAM to what the function's Bus
 * Master Enable and IOMMU allow: a withdrawal waits for the endpoint's
 * completion (BQL released), and one it does not confirm cuts the link.
 * Not from the link's I/O thread.
 */
void pci_ep_link_ram_sync(PciEpLink *l);

#endif

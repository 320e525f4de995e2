/*
 * The RC end of the PCIe link: the endpoint of another QEMU as a PCIe
 * function behind a hotplug-capable root port.
 *
 *   -chardev socket,id=L,path=link.sock,server=on,wait=off
 *   -device pcie-root-port,id=rp0,chassis=1,slot=0
 *   -device pci-ep-link,chardev=L,port=rp0
 *
 * pci-ep-link (a device on no bus, pci-ep-link.c) owns the link.  When
 * the endpoint reports link up, it plugs a pci-ep-remote function (this
 * file) into the root port (the guest's pciehp sees it
 * arrive); when the link goes down or the peer goes away, the function is
 * surprise-removed.  pci-ep-remote forwards configuration requests and BAR
 * accesses to the endpoint, and carries out the endpoint's memory requests
 * (DMA, MSI and MSI-X writes) through its bus-master address space, so
 * they pass the IOMMU and reach the GIC ITS, and stop when Bus Master
 * Enable is clear.  INTx messages drive its INTA.
 *
 * Shared-memory fast path (fast-path=on, over a unix socket): the
 * endpoint's MAP messages hand over its RAM behind a BAR (what its inbound
 * iATU maps there) as a file descriptor; that part of the BAR becomes RAM
 * here, mapped from the descriptor, so the guest's loads and stores to it
 * run at memory speed.  An unmap drops it before its completion goes
 * back.  The mappings belong to the link (the endpoint keeps its iATU
 * programmed while the function comes and goes) and end with the
 * connection.  The rest of each BAR stays on messages.  The other way,
 * while the function may master (Bus Master Enable set) and no IOMMU
 * translates its requests, this QEMU's RAM is handed to the endpoint
 * (MAP from the RC), so that its outbound windows and eDMA reach it
 * directly; it is withdrawn, the endpoint confirming, before the guest's
 * config write that clears Bus Master Enable completes, and before the
 * function is unplugged by the link.
 *
 * The guest may power the slot off (pciehp, /sys/bus/pci/slots/N/power):
 * QEMU then detaches the function, and the link forgets it; the endpoint
 * is still on the link, so the slot keeps reporting a card present, and
 * when the guest powers the slot on again the function is plugged anew.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "chardev/char.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pci_bridge.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_port.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/boards.h"
#include "exec/address-spaces.h"
#include "exec/ramblock.h"
#include "hw/pci-ep/pcie-link.h"
#include "migration/blocker.h"
#include "trace.h"

/*
 * QEMU's local view of the function (the guest reads the endpoint's own
 * config space over the link): its IDs, and where its Express capability
 * sits (QEMU's PCIe code needs one; past the type 0 header).
 */
#define PCI_EP_REMOTE_DEVICE_ID   0xabcd
#define PCI_EP_REMOTE_EXP_CAP     0x70
#include "pci-ep-link.h"

/* ---- the function ---- */

static PcieLink *remote_link(PciEpRemote *fn)
{
    return &fn->owner->link;
}

/* An access of the function goes to the endpoint: see PciEpLink.busy. */
static PcieLink *remote_enter(PciEpRemote *fn)
{
    fn->owner->busy++;
    return &fn->owner->link;
}

static void remote_leave(PciEpRemote *fn)
{
    fn->owner->busy--;
}

/* Put map @m into @fn's BAR, if there is a function with one to take it. */
void pci_ep_remote_attach_map(PciEpRemote *fn, PciEpLinkMap *m)
{
    MemoryRegion *bar;

    if (!fn || m->in) {
        return;
    }
    bar = &fn->bars[m->bar].mr;
    if (!memory_region_size(bar) ||
        m->offset > memory_region_size(bar) ||
        memory_region_size(pcie_link_region_mr(m->ram)) >
        memory_region_size(bar) - m->offset) {
        return;     /* no such BAR here, or too small: messages */
    }
    memory_region_add_subregion_overlap(bar, m->offset,
                                        pcie_link_region_mr(m->ram), 1);
    m->in = bar;
}

void pci_ep_remote_detach_map(PciEpLinkMap *m)
{
    if (m->in) {
        memory_region_del_subregion(m->in, pcie_link_region_mr(m->ram));
        m->in = NULL;
    }
}

static uint64_t remote_bar_read(void *opaque, hwaddr addr, unsigned size)
{
    PciEpRemoteBar *b = opaque;
    PCIDevice *pd = PCI_DEVICE(b->fn);
    uint64_t val = 0;

    pcie_link_mem_read(remote_enter(b->fn), b->index,
                       pci_get_bar_addr(pd, b->index) + addr, &val, size);
    remote_leave(b->fn);
    return le64_to_cpu(val);
}

static void remote_bar_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    PciEpRemoteBar *b = opaque;
    PCIDevice *pd = PCI_DEVICE(b->fn);
    uint64_t le = cpu_to_le64(val);

    pcie_link_mem_write(remote_enter(b->fn), b->index,
                        pci_get_bar_addr(pd, b->index) + addr, &le, size);
    remote_leave(b->fn);
}

static const MemoryRegionOps remote_bar_ops = {
    .read = remote_bar_read,
    .write = remote_bar_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static bool is_bar_reg(uint32_t addr)
{
    return addr >= PCI_BASE_ADDRESS_0 && addr < PCI_BASE_ADDRESS_5 + 4;
}

/* Reads go to the endpoint, but for the BARs, which QEMU maps locally. */
static uint32_t remote_config_read(PCIDevice *pd, uint32_t addr, int len)
{
    PciEpRemote *fn = PCI_EP_REMOTE(pd);
    uint32_t val;

    if (is_bar_reg(addr)) {
        return pci_default_read_config(pd, addr, len);
    }
    pcie_link_cfg_read(remote_enter(fn), addr, len, &val);
    remote_leave(fn);
    return val;
}

/* Writes go to both: QEMU's view (BARs, command) and the endpoint. */
static void remote_config_write(PCIDevice *pd, uint32_t addr, uint32_t val,
                                int len)
{
    PciEpRemote *fn = PCI_EP_REMOTE(pd);
    bool cmd = ranges_overlap(addr, len, PCI_COMMAND, 1);

    if (cmd && fn->owner->ram_shared &&
        !((val >> (8 * (PCI_COMMAND - addr))) & PCI_COMMAND_MASTER)) {
        /* Bus Master Enable clears: the endpoint gives up the RAM first */
        pci_set_word(pd->config + PCI_COMMAND,
                     pci_get_word(pd->config + PCI_COMMAND) &
                     ~PCI_COMMAND_MASTER);
        remote_enter(fn);   /* not unplugged while the endpoint answers */
        pci_ep_link_ram_sync(fn->owner);
        remote_leave(fn);
    }
    pci_default_write_config(pd, addr, val, len);
    pcie_link_cfg_write(remote_enter(fn), addr, len, val);
    remote_leave(fn);
    if (cmd && fn->owner->fn == fn) {
        remote_enter(fn);
        pci_ep_link_ram_sync(fn->owner);
        remote_leave(fn);
    }
}

/* Size a BAR the way firmware does: write all ones, read back, restore. */
static uint64_t remote_probe_bar(PcieLink *link, unsigned bar, uint32_t *flags)
{
    uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bar, orig, mask, hi = 0xffffffff;
    uint64_t m;

    if (pcie_link_cfg_read(link, off, 4, &orig) != PL_STATUS_SC) {
        return 0;
    }
    pcie_link_cfg_write(link, off, 4, 0xffffffff);
    pcie_link_cfg_read(link, off, 4, &mask);
    pcie_link_cfg_write(link, off, 4, orig);
    *flags = orig & ~PCI_BASE_ADDRESS_MEM_MASK;
    if (!mask || (orig & PCI_BASE_ADDRESS_SPACE_IO)) {
        return 0;       /* disabled, or I/O: not forwarded */
    }
    m = mask & PCI_BASE_ADDRESS_MEM_MASK;
    if ((orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
        PCI_BASE_ADDRESS_MEM_TYPE_64 && bar + 1 < NUM_BARS) {
        uint32_t horig;

        pcie_link_cfg_read(link, off + 4, 4, &horig);
        pcie_link_cfg_write(link, off + 4, 4, 0xffffffff);
        pcie_link_cfg_read(link, off + 4, 4, &hi);
        pcie_link_cfg_write(link, off + 4, 4, horig);
        m |= (uint64_t)hi << 32;
    } else {
        m |= 0xffffffff00000000ull;
    }
    return ~m + 1;
}

/*
 * The function has its BARs: the endpoint RAM mapped so far goes in (the
 * link makes it its function only once realized).
 */
static void remote_attach_maps(PciEpRemote *fn)
{
    PciEpLink *l = fn->owner;
    unsigned i;

    for (i = 0; i < PL_MAP_SLOTS; i++) {
        if (l->maps[i]) {
            pci_ep_remote_attach_map(fn, l->maps[i]);
        }
    }
}

static void remote_realize(PCIDevice *pd, Error **errp)
{
    PciEpRemote *fn = PCI_EP_REMOTE(pd);
    PcieLink *link;
    uint64_t sizes[NUM_BARS] = { 0 };
    uint32_t pin = 0, flags;
    unsigned i;

    if (!fn->owner) {
        error_setg(errp, "pci-ep-remote is created by pci-ep-link, not by "
                   "hand (use -device pci-ep-link,chardev=...,port=...)");
        return;
    }
    link = remote_link(fn);
    for (i = 0; i < NUM_BARS; i++) {
        fn->bars[i].fn = fn;
        fn->bars[i].index = i;
        sizes[i] = remote_probe_bar(link, i, &flags);
        if (!sizes[i]) {
            continue;
        }
        if (!is_power_of_2(sizes[i])) {
            warn_report("pci-ep-remote: endpoint BAR%u size 0x%" PRIx64
                        " is not a power of two: BAR left out", i, sizes[i]);
            sizes[i] = 0;
            continue;
        }
        memory_region_init_io(&fn->bars[i].mr, OBJECT(fn), &remote_bar_ops,
                              &fn->bars[i], "pci-ep-remote.bar", sizes[i]);
        pci_register_bar(pd, i, flags & 0xe, &fn->bars[i].mr);
        if (flags & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            i++;        /* the upper half */
        }
    }
    trace_pci_ep_remote_plug(sizes[0], sizes[1], sizes[2], sizes[3],
                             sizes[4], sizes[5]);
    pcie_link_cfg_read(link, PCI_INTERRUPT_PIN, 1, &pin);
    pci_config_set_interrupt_pin(pd->config, pin <= 4 ? pin : 0);
    /* QEMU's own view needs an Express capability; the guest sees the EP's */
    if (pcie_endpoint_cap_init(pd, PCI_EP_REMOTE_EXP_CAP) < 0) {
        error_setg(errp, "pci-ep-remote: cannot add the PCIe capability");
        return;
    }
    remote_attach_maps(fn);
}

/*
 * The function is being unplugged: by link_unplug, or by QEMU when the
 * guest powers the slot off.  Either way its link forgets it at once, and
 * stops the timer that would touch it.
 */
static void remote_exit(PCIDevice *pd)
{
    PciEpRemote *fn = PCI_EP_REMOTE(pd);
    PciEpLink *l = fn->owner;

    if (l) {
        unsigned i;

        for (i = 0; i < PL_MAP_SLOTS; i++) {
            if (l->maps[i] && l->maps[i]->in &&
                l->maps[i]->in->owner == OBJECT(fn)) {
                pci_ep_remote_detach_map(l->maps[i]);
            }
        }
    }
    if (l && l->fn == fn) {
        timer_del(l->intx_timer);
        l->fn = NULL;
        l->detached = true;
        qemu_bh_schedule(l->bh);    /* the endpoint gives up the RAM */
        trace_pci_ep_remote_detached();
    }
}

/*
 * A reset clears Bus Master Enable without a config write: the endpoint
 * gives up this QEMU's RAM from the link's bottom half.
 */
static void remote_reset(DeviceState *dev)
{
    PciEpRemote *fn = PCI_EP_REMOTE(dev);

    if (fn->owner && fn->owner->bh) {
        qemu_bh_schedule(fn->owner->bh);
    }
}

static void remote_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    device_class_set_legacy_reset(dc, remote_reset);
    k->realize = remote_realize;
    k->exit = remote_exit;
    k->config_read = remote_config_read;
    k->config_write = remote_config_write;
    /* QEMU's local view only: the guest reads the endpoint's IDs */
    k->vendor_id = PCI_VENDOR_ID_SYNOPSYS;
    k->device_id = PCI_EP_REMOTE_DEVICE_ID;
    k->class_id = PCI_CLASS_OTHERS;
    dc->desc = "PCIe function of an endpoint in another QEMU (via pci-ep-link)";
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo pci_ep_remote_info = {
    .name = TYPE_PCI_EP_REMOTE,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(PciEpRemote),
    .class_init = remote_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void pci_ep_remote_register_types(void)
{
    type_register_static(&pci_ep_remote_info);
}

type_init(pci_ep_remote_register_types)

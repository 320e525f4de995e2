/*
 * The RC end of the PCIe link: the endpoint of another QEMU as a PCIe
 * function behind a hotplug-capable root port.
 *
 *   -chardev socket,id=L,path=link.sock,server=on,wait=off
 *   -device pcie-root-port,id=rp0,chassis=1,slot=0
 *   -device pci-ep-link,chardev=L,port=rp0
 *
 * pci-ep-link (a device on no bus) owns the link.  When the endpoint reports link up, it plugs a
 * pci-ep-remote function into the root port (the guest's pciehp sees it
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
 * line at least this long after an assert.
 */
#define INTX_MIN_PULSE_NS (2 * SCALE_MS)

struct PciEpLink {
    DeviceState parent_obj;

    char *port_id;
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
static void map_attach(PciEpRemote *fn, PciEpLinkMap *m)
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

static void map_detach(PciEpLinkMap *m)
{
    if (m->in) {
        memory_region_del_subregion(m->in, pcie_link_region_mr(m->ram));
        m->in = NULL;
    }
}

/* Drop slot @slot: the region leaves the BAR now, the RAM with its views. */
static void map_drop(PciEpLink *l, unsigned slot)
{
    PciEpLinkMap *m = l->maps[slot];

    if (m) {
        l->maps[slot] = NULL;
        map_detach(m);
        trace_pci_ep_remote_unmap(slot);
        object_unref(OBJECT(m->ram));
        g_free(m);
    }
}

static void map_drop_all(PciEpLink *l)
{
    unsigned i;

    for (i = 0; i < PL_MAP_SLOTS; i++) {
        map_drop(l, i);
    }
}

/*
 * A MAP from the endpoint (see pcie-link-proto.h).  Refused with UR, so
 * that the endpoint goes on with messages there: the fast path is off, no
 * descriptor came, sizes not in host pages, a MAP larger than
 * MAP_MAX_SIZE, or a descriptor that cannot be mapped (logged).
 */
static PlStatus link_map(PciEpLink *l, const PlMsg *msg)
{
    uint64_t page = qemu_real_host_page_size();
    g_autofree char *name = NULL;
    Error *err = NULL;
    PciEpLinkMap *m;
    int fd;

    map_drop(l, msg->u.map.slot);
    if (!msg->u.map.enable) {
        return PL_STATUS_SC;
    }
    fd = pcie_link_take_fd(&l->link);
    if (!l->fast_path || fd < 0) {
        if (fd >= 0) {
            close(fd);
        }
        return PL_STATUS_UR;
    }
    if ((msg->u.map.offset | msg->u.map.size | msg->u.map.fd_offset) &
        (page - 1) || msg->u.map.size > MAP_MAX_SIZE) {
        qemu_log_mask(LOG_GUEST_ERROR, "pci-ep-link: MAP of BAR%u "
                      "+0x%" PRIx64 " (0x%" PRIx64 " bytes at file offset "
                      "0x%" PRIx64 ") not in host pages or over 0x%llx "
                      "bytes: refused\n", msg->u.map.bar, msg->u.map.offset,
                      msg->u.map.size, msg->u.map.fd_offset, MAP_MAX_SIZE);
        close(fd);
        return PL_STATUS_UR;
    }
    m = g_new0(PciEpLinkMap, 1);
    m->bar = msg->u.map.bar;
    m->offset = msg->u.map.offset;
    name = g_strdup_printf("pci-ep-link.bar%u-map", m->bar);
    m->ram = pcie_link_region_ram(name, msg->u.map.size, fd,
                                  msg->u.map.fd_offset, &err);
    if (!m->ram) {
        warn_report("pci-ep-link: cannot map the endpoint's RAM for BAR%u: "
                    "%s", m->bar, error_get_pretty(err));
        error_free(err);
        close(fd);
        g_free(m);
        return PL_STATUS_UR;
    }
    l->maps[msg->u.map.slot] = m;
    trace_pci_ep_remote_map(msg->u.map.slot, m->bar, m->offset,
                            msg->u.map.size);
    map_attach(l->fn, m);
    return PL_STATUS_SC;
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

/*
 * Whether the endpoint may reach this QEMU's RAM directly: the RAM, as
 * the function's requests address it, in @fd at @fd_offset.
 */
static bool link_ram_wanted(PciEpLink *l, uint64_t *base, uint64_t *size,
                            int *fd, uint64_t *fd_offset)
{
    MachineState *ms = MACHINE(qdev_get_machine());
    PCIDevice *pd = l->fn ? PCI_DEVICE(l->fn) : NULL;
    uint64_t page = qemu_real_host_page_size();
    MemoryRegion *ram = ms->ram;

    if (!l->fast_path || !pd || !pd->enabled || !l->up ||
        !(pci_get_word(pd->config + PCI_COMMAND) & PCI_COMMAND_MASTER) ||
        pci_device_iommu_address_space(pd) != &address_space_memory ||
        !ram || !ram->ram_block || ram->container != get_system_memory() ||
        memory_region_get_fd(ram) < 0 || !pcie_link_shm(&l->link)) {
        return false;
    }
    *base = ram->addr;
    *size = memory_region_size(ram);
    *fd = memory_region_get_fd(ram);
    *fd_offset = ram->ram_block->fd_offset;
    return !((*base | *size | *fd_offset) & (page - 1));
}

/*
 * Bring the endpoint's view of this QEMU's RAM to link_ram_wanted: a
 * withdrawal waits for the endpoint's completion (BQL released), and one
 * it does not confirm cuts the link.  Not from the link's I/O thread.
 */
static void link_ram_sync(PciEpLink *l)
{
    PlMsg m = { .type = PL_MSG_MAP };
    uint64_t base, size, fd_offset;
    bool want;
    PlStatus st;
    int fd;

    if (l->ram_syncing) {
        return;
    }
    l->ram_syncing = true;
    want = link_ram_wanted(l, &base, &size, &fd, &fd_offset);
    if (l->ram_shared && !want) {
        l->ram_shared = false;
        st = pcie_link_map(&l->link, &m, -1);
        trace_pci_ep_remote_ram(false, st);
        if (st != PL_STATUS_SC && pcie_link_shm(&l->link)) {
            pcie_link_fail(&l->link, "the endpoint did not confirm that it "
                           "gave up this QEMU's RAM");
        }
    } else if (!l->ram_shared && want) {
        m.u.map.enable = 1;
        m.u.map.offset = base;
        m.u.map.size = size;
        m.u.map.fd_offset = fd_offset;
        st = pcie_link_map(&l->link, &m, fd);
        trace_pci_ep_remote_ram(true, st);
        l->ram_shared = st == PL_STATUS_SC;
    }
    l->ram_syncing = false;
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
        link_ram_sync(fn->owner);
        remote_leave(fn);
    }
    pci_default_write_config(pd, addr, val, len);
    pcie_link_cfg_write(remote_enter(fn), addr, len, val);
    remote_leave(fn);
    if (cmd && fn->owner->fn == fn) {
        remote_enter(fn);
        link_ram_sync(fn->owner);
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
    *flags = orig & 0xf;
    if (!mask || (orig & PCI_BASE_ADDRESS_SPACE_IO)) {
        return 0;       /* disabled, or I/O: not forwarded */
    }
    m = mask & ~0xfull;
    if ((orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
        bar + 1 < NUM_BARS) {
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
            map_attach(fn, l->maps[i]);
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
            qemu_log_mask(LOG_GUEST_ERROR, "pci-ep-remote: endpoint BAR%u "
                          "size 0x%" PRIx64 " is not a power of two\n", i,
                          sizes[i]);
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
    if (pcie_endpoint_cap_init(pd, 0x70) < 0) {
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
                map_detach(l->maps[i]);
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
    k->vendor_id = 0x16c3;
    k->device_id = 0xabcd;
    k->class_id = PCI_CLASS_OTHERS;
    dc->desc = "PCIe function of an endpoint in another QEMU (via pci-ep-link)";
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

/* ---- the link object ---- */

static PCIDevice *link_port(PciEpLink *l, Error **errp)
{
    DeviceState *d = qdev_find_recursive(sysbus_get_default(), l->port_id);

    if (!d || !object_dynamic_cast(OBJECT(d), TYPE_PCIE_SLOT)) {
        error_setg(errp, "pci-ep-link: port '%s' is not a PCIe slot (use "
                   "-device pcie-root-port,id=%s,...)", l->port_id, l->port_id);
        return NULL;
    }
    return PCI_DEVICE(d);
}

/*
 * The endpoint is gone: surprise-remove the function, or, in a slot the
 * guest powered off, the card that the slot still reported present.
 */
static void link_unplug(PciEpLink *l, const char *why)
{
    PCIDevice *port = link_port(l, NULL);

    if ((!l->fn && !l->slot_off) || !port) {
        return;
    }
    trace_pci_ep_remote_unplug(why);
    timer_del(l->intx_timer);
    pcie_cap_slot_surprise_remove(port);     /* remote_exit forgets fn */
    l->fn = NULL;
    l->detached = false;
    l->slot_off = false;
}

static void link_plug(PciEpLink *l)
{
    Error *err = NULL;
    PCIDevice *port = link_port(l, &err);
    DeviceState *dev;

    if (!port) {
        error_report_err(err);
        return;
    }
    dev = qdev_new(TYPE_PCI_EP_REMOTE);
    PCI_EP_REMOTE(dev)->owner = l;
    qdev_prop_set_int32(dev, "addr", PCI_DEVFN(0, 0));
    if (!qdev_realize_and_unref(dev, BUS(pci_bridge_get_sec_bus(PCI_BRIDGE(port))),
                                &err)) {
        qemu_log_mask(LOG_GUEST_ERROR, "pci-ep-link: cannot plug the "
                      "function: %s\n", error_get_pretty(err));
        error_free(err);
        return;
    }
    l->fn = PCI_EP_REMOTE(dev);
    /*
     * The slot's plug callback reports presence detect and attention
     * button together; a guest whose slot is still powered on from the
     * last function takes the button as a request to power off.  A link
     * coming up is presence alone: the guest has not run in between.
     */
    pci_word_test_and_clear_mask(port->config + port->exp.exp_cap +
                                 PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_ABP);
}

/* The endpoint is there and has trained the link. */
static bool link_wanted(PciEpLink *l)
{
    return l->up && pcie_link_connected(&l->link);
}

/*
 * Bring the slot to the link state, from the main loop; a slot that the
 * guest powered off gets its function when the guest powers it on.
 */
static void link_bh(void *opaque)
{
    PciEpLink *l = opaque;
    bool want;

    link_ram_sync(l);       /* withdrawn before the function goes */
    want = link_wanted(l);

    if (!want && (l->fn || l->slot_off) && l->busy) {
        /* the link failed their requests: they return soon */
        timer_mod(l->retry_timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 1);
    } else if (!want && (l->fn || l->slot_off)) {
        link_unplug(l, pcie_link_connected(&l->link) ? "link down"
                                                     : "peer gone");
    } else if (want && !l->fn && !l->slot_off) {
        link_plug(l);
    }
}

/*
 * The guest wrote the slot's Slot Control register (see
 * pcie_cap_slot_set_power_hook); @powered is the slot power after it.
 * When that write powered the slot off, QEMU has just detached the
 * function (remote_exit) and taken presence away, with a Presence Detect
 * Changed event that the guest has not seen yet.  With the endpoint
 * still on the link the card is in fact still there: presence stays and
 * the event is withdrawn (pciehp would take it for a new card in an off
 * slot and power the slot straight back on).  When the guest powers the
 * slot on again, the function is plugged anew from link_bh.
 */
static void link_slot_power(PCIDevice *port, bool powered, void *opaque)
{
    PciEpLink *l = opaque;
    uint8_t *sltsta = port->config + port->exp.exp_cap + PCI_EXP_SLTSTA;

    if (!powered && l->detached) {
        l->detached = false;
        if (link_wanted(l)) {
            l->slot_off = true;
            pci_word_test_and_set_mask(sltsta, PCI_EXP_SLTSTA_PDS);
            pci_word_test_and_clear_mask(sltsta, PCI_EXP_SLTSTA_PDC);
        }
        trace_pci_ep_remote_slot_power(false, l->slot_off);
    } else if (powered && l->slot_off) {
        l->slot_off = false;
        trace_pci_ep_remote_slot_power(true, false);
        qemu_bh_schedule(l->bh);
    }
}

static PlStatus link_request(void *opaque, const PlMsg *m, uint8_t *data)
{
    PciEpLink *l = opaque;
    PCIDevice *pd = l->fn ? PCI_DEVICE(l->fn) : NULL;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res;

    if (m->type == PL_MSG_MAP) {
        return link_map(l, m);      /* the link's, function or not */
    }
    if (!pd) {
        return PL_STATUS_UR;
    }
    switch (m->type) {
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        if (m->u.mem.bar != PL_BAR_NONE ||
            !(pci_get_word(pd->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
            if (m->type == PL_MSG_MEM_RD) {
                memset(data, 0xff, m->u.mem.size);
            }
            return PL_STATUS_UR;
        }
        /* With the function's requester ID, as msi_send_message() does:
         * the GIC ITS takes it as the device ID of an MSI write. */
        attrs.requester_id = pci_requester_id(pd);
        if (m->type == PL_MSG_MEM_WR) {
            res = address_space_write(pci_get_address_space(pd),
                                      m->u.mem.addr, attrs, m->u.mem.data,
                                      m->u.mem.size);
        } else {
            res = address_space_read(pci_get_address_space(pd),
                                     m->u.mem.addr, attrs, data,
                                     m->u.mem.size);
        }
        trace_pci_ep_remote_dma(m->u.mem.addr, m->u.mem.size,
                                m->type == PL_MSG_MEM_WR, res);
        return res == MEMTX_OK ? PL_STATUS_SC : PL_STATUS_CA;
    case PL_MSG_INTX:
        if (!pd->config[PCI_INTERRUPT_PIN]) {
            /* The endpoint said it has no INTx pin; QEMU cannot raise one. */
            qemu_log_mask(LOG_GUEST_ERROR, "pci-ep-remote: INTx from an "
                          "endpoint whose Interrupt Pin is 0: ignored\n");
            return PL_STATUS_SC;
        }
        /* A function in a slot that is powered off signals nothing. */
        if (m->u.intx.pin == 0 && pd->enabled) {
            int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

            if (m->u.intx.level) {
                timer_del(l->intx_timer);
                l->intx_since = now;
                pci_set_irq(pd, 1);
            } else if (now >= l->intx_since + INTX_MIN_PULSE_NS) {
                pci_set_irq(pd, 0);
            } else {
                timer_mod(l->intx_timer, l->intx_since + INTX_MIN_PULSE_NS);
            }
        }
        return PL_STATUS_SC;
    default:
        return PL_STATUS_UR;
    }
}

static void link_intx_deassert(void *opaque)
{
    PciEpLink *l = opaque;

    if (l->fn && PCI_DEVICE(l->fn)->config[PCI_INTERRUPT_PIN]) {
        pci_set_irq(PCI_DEVICE(l->fn), 0);
    }
}

static void link_state(void *opaque, bool up)
{
    PciEpLink *l = opaque;

    l->up = up;
    qemu_bh_schedule(l->bh);
}

static void link_connected(void *opaque, bool connected)
{
    PciEpLink *l = opaque;

    if (!connected) {
        l->up = false;
        l->ram_shared = false;      /* the endpoint dropped it with us */
        map_drop_all(l);
    }
    qemu_bh_schedule(l->bh);
}

static const PcieLinkOps link_ops = {
    .request = link_request,
    .link_state = link_state,
    .connected = link_connected,
};

static void link_realize(DeviceState *dev, Error **errp)
{
    PciEpLink *l = PCI_EP_LINK(dev);
    PCIDevice *port;

    if (!l->port_id) {
        error_setg(errp, "pci-ep-link needs port=<id of a pcie-root-port>");
        return;
    }
    port = link_port(l, errp);
    if (!port) {
        return;
    }
    /*
     * A link has no attention button.  With one, Linux pciehp enables only
     * the button event and never hears the presence change that a link
     * down is (QEMU's slot reports no Data Link Layer State Changed event
     * either), so a peer that went away would stay in the guest's tree.
     */
    pci_long_test_and_clear_mask(port->config + port->exp.exp_cap +
                                 PCI_EXP_SLTCAP, PCI_EXP_SLTCAP_ABP);
    error_setg(&l->migration_blocker, "pci-ep-link: the endpoint's state "
               "lives in another QEMU process");
    if (migrate_add_blocker(&l->migration_blocker, errp) < 0) {
        return;
    }
    l->bh = qemu_bh_new(link_bh, l);
    l->retry_timer = timer_new_ms(QEMU_CLOCK_REALTIME, link_bh, l);
    l->intx_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, link_intx_deassert, l);
    if (pcie_link_init(&l->link, &l->chr, PL_ROLE_RC, "pci-ep-link",
                       l->timeout_ms, l->fast_path ? PL_FEAT_SHM : 0,
                       &link_ops, l, errp)) {
        pcie_cap_slot_set_power_hook(port, link_slot_power, l);
    }
}

static void link_unrealize(DeviceState *dev)
{
    PciEpLink *l = PCI_EP_LINK(dev);
    PCIDevice *port = link_port(l, NULL);

    if (port) {
        pcie_cap_slot_set_power_hook(port, NULL, NULL);
    }
    pcie_link_cleanup(&l->link);
    map_drop_all(l);
    if (l->bh) {
        qemu_bh_delete(l->bh);
        l->bh = NULL;
    }
    if (l->retry_timer) {
        timer_free(l->retry_timer);
        l->retry_timer = NULL;
    }
    if (l->intx_timer) {
        timer_free(l->intx_timer);
        l->intx_timer = NULL;
    }
    migrate_del_blocker(&l->migration_blocker);
}

/*
 * Properties of pci-ep-link:
 *  chardev: socket chardev (unix or TCP) to the EP QEMU's dw-pcie-ep;
 *      required.
 *  port: id of the pcie-root-port (hotplug capable) the function is
 *      plugged into; required.
 *  timeout-ms: milliseconds a request waits for the endpoint's
 *      completion (the waiting vCPU with the BQL released) before it
 *      completes with CA, default 5000, 0 taken as 1; after one timed
 *      out, requests wait at most PL_STALL_MS (100) until the endpoint
 *      sends anything.  Also how long the transmit queue may stay full
 *      before the link is cut (see pcie-link.h).
 *  fast-path: take the endpoint's RAM behind its BARs as shared memory
 *      when it offers it (MAP messages, a unix socket chardev only; the
 *      endpoint's RAM must be a shared memory backend); default on.  Off,
 *      every BAR access is a message.  A MAP that cannot be taken (not in
 *      host pages, over 16 GiB, a descriptor that does not map) is
 *      refused with UR and logged, and that range stays on messages.
 */
static const Property link_properties[] = {
    DEFINE_PROP_CHR("chardev", PciEpLink, chr),
    DEFINE_PROP_STRING("port", PciEpLink, port_id),
    DEFINE_PROP_UINT32("timeout-ms", PciEpLink, timeout_ms, 5000),
    DEFINE_PROP_BOOL("fast-path", PciEpLink, fast_path, true),
};

static void link_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "PCIe link to an endpoint in another QEMU (RC side)";
    dc->realize = link_realize;
    dc->unrealize = link_unrealize;
    dc->user_creatable = true;
    dc->hotpluggable = false;
    device_class_set_props(dc, link_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo pci_ep_remote_types[] = {
    {
        .name = TYPE_PCI_EP_REMOTE,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(PciEpRemote),
        .class_init = remote_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    }, {
        .name = TYPE_PCI_EP_LINK,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(PciEpLink),
        .class_init = link_class_init,
    },
};

DEFINE_TYPES(pci_ep_remote_types)

/*
 * The RC end of the PCIe link: pci-ep-link, the device that owns the link
 * (see pci-ep-remote.c for the whole picture).  It plugs a pci-ep-remote
 * function into its root port when the endpoint reports link up and
 * surprise-removes it when the link goes down or the peer goes away,
 * follows the guest's slot power, serves the endpoint's requests, and
 * holds the fast path's mappings (MAP) and this QEMU's RAM handed to the
 * endpoint.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
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
#include "pci-ep-link.h"

/* Drop slot @slot: the region leaves the BAR now, the RAM with its views. */
static void map_drop(PciEpLink *l, unsigned slot)
{
    PciEpLinkMap *m = l->maps[slot];

    if (m) {
        l->maps[slot] = NULL;
        pci_ep_remote_detach_map(m);
        trace_pci_ep_link_unmap(slot);
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
        warn_report("pci-ep-link: MAP of BAR%u +0x%" PRIx64 " (0x%" PRIx64
                    " bytes at file offset 0x%" PRIx64 ") not in host pages "
                    "or over 0x%llx bytes: refused", msg->u.map.bar,
                    msg->u.map.offset, msg->u.map.size, msg->u.map.fd_offset,
                    MAP_MAX_SIZE);
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
    trace_pci_ep_link_map(msg->u.map.slot, m->bar, m->offset,
                            msg->u.map.size);
    pci_ep_remote_attach_map(l->fn, m);
    return PL_STATUS_SC;
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
void pci_ep_link_ram_sync(PciEpLink *l)
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
        trace_pci_ep_link_ram(false, st);
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
        trace_pci_ep_link_ram(true, st);
        l->ram_shared = st == PL_STATUS_SC;
    }
    l->ram_syncing = false;
}

/* ---- the link object ---- */

/* The root port, as a PCI device (the "port" link: set, by realize). */
static PCIDevice *link_port(PciEpLink *l)
{
    return PCI_DEVICE(l->port);
}

/*
 * The endpoint is gone: surprise-remove the function, or, in a slot the
 * guest powered off, the card that the slot still reported present.
 */
static void link_unplug(PciEpLink *l, const char *why)
{
    PCIDevice *port = link_port(l);

    if (!l->fn && !l->slot_off) {
        return;
    }
    trace_pci_ep_link_unplug(why);
    timer_del(l->intx_timer);
    pcie_cap_slot_surprise_remove(port);     /* remote_exit forgets fn */
    l->fn = NULL;
    l->detached = false;
    l->slot_off = false;
}

static void link_plug(PciEpLink *l)
{
    Error *err = NULL;
    PCIDevice *port = link_port(l);
    DeviceState *dev;
    BusState *bus;

    dev = qdev_new(TYPE_PCI_EP_REMOTE);
    PCI_EP_REMOTE(dev)->owner = l;
    qdev_prop_set_int32(dev, "addr", PCI_DEVFN(0, 0));
    bus = BUS(pci_bridge_get_sec_bus(PCI_BRIDGE(port)));
    if (!qdev_realize_and_unref(dev, bus, &err)) {
        warn_report("pci-ep-link: cannot plug the endpoint's function: %s",
                    error_get_pretty(err));
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
    pcie_cap_slot_plugged_without_button(port);
}

/*
 * The endpoint is there and has trained the link, and no injected fault
 * holds it down.
 */
static bool link_wanted(PciEpLink *l)
{
    return l->up && pcie_link_connected(&l->link) && !l->fault_down &&
           !l->perst;
}

/*
 * Tell the endpoint what this side does to the link: held down (by
 * x-fault-link=down, or PERST# asserted) or released.  BQL held.
 */
static void link_send_hold(PciEpLink *l)
{
    pcie_link_send_hold(&l->link, l->fault_down || l->perst, l->perst);
}

/*
 * Bring the slot to the link state, from the main loop; a slot that the
 * guest powered off gets its function when the guest powers it on.
 */
static void link_bh(void *opaque)
{
    PciEpLink *l = opaque;
    bool want;

    pci_ep_link_ram_sync(l);       /* withdrawn before the function goes */
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

    if (!powered && l->detached) {
        l->detached = false;
        if (link_wanted(l)) {
            l->slot_off = true;
            pcie_cap_slot_keep_presence(port);
        }
        trace_pci_ep_link_slot_power(false, l->slot_off);
    } else if (powered && l->slot_off) {
        l->slot_off = false;
        trace_pci_ep_link_slot_power(true, false);
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
        trace_pci_ep_link_dma(m->u.mem.addr, m->u.mem.size,
                                m->type == PL_MSG_MEM_WR, res);
        return res == MEMTX_OK ? PL_STATUS_SC : PL_STATUS_CA;
    case PL_MSG_INTX:
        if (!pd->config[PCI_INTERRUPT_PIN]) {
            /* The endpoint said it has no INTx pin; QEMU cannot raise one. */
            warn_report("pci-ep-link: INTx from an endpoint whose "
                        "Interrupt Pin is 0: ignored");
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
    } else if (l->fault_down || l->perst) {
        link_send_hold(l);          /* a new endpoint starts released */
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

    if (!l->port) {
        error_setg(errp, "pci-ep-link needs port=<id of a pcie-root-port>");
        return;
    }
    port = link_port(l);
    if (!port->exp.exp_cap || !(pci_get_long(port->config + port->exp.exp_cap +
                                             PCI_EXP_SLTCAP) &
                                PCI_EXP_SLTCAP_HPC)) {
        error_setg(errp, "pci-ep-link: port '%s' is not hot-plug capable "
                   "(use a pcie-root-port with hotplug=on)",
                   DEVICE(port)->id ? DEVICE(port)->id : "");
        return;
    }
    /*
     * A link has no attention button.  With one, Linux pciehp enables only
     * the button event and never hears the presence change that a link
     * down is (QEMU's slot reports no Data Link Layer State Changed event
     * either), so a peer that went away would stay in the guest's tree.
     */
    pcie_cap_slot_remove_attention_button(port);
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

    if (l->port) {
        pcie_cap_slot_set_power_hook(link_port(l), NULL, NULL);
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
 *  port: link to the pcie-root-port (or another TYPE_PCIE_SLOT, by its id
 *      or QOM path) the function is plugged into; required, and the slot
 *      must be hot-plug capable (realize fails otherwise).  The link
 *      device takes the slot's attention button away (see link_realize)
 *      and hooks its power control.
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
 *
 * Injected faults (experimental QOM properties, set at run time with
 * qom-set or on the command line; readable with qom-get; kept across
 * device reset, as they model the link, not the device; see
 * docs/link-faults.md):
 *  x-fault-link: "down" holds the link down from the RC's side (the
 *      function is surprise-removed, the endpoint sees its link drop),
 *      "up" releases it (the endpoint trains again and the function
 *      arrives anew); other strings are refused.
 *  x-fault-perst: true asserts PERST# to the endpoint (the link drops
 *      and stays down, the endpoint's glue shows PERST#), false releases
 *      it.
 *  x-fault-cpl: the endpoint's memory requests (DMA, MSI) overlapping an
 *      address range, "ur|ca|timeout:ADDR+LEN", get UR, CA or no
 *      completion (writes are dropped); "none" ends it.  "bar=N" is
 *      refused: this end completes no BAR requests.
 *  x-fault-delay-us: 0..1000000 microseconds by which every message this
 *      side sends is held back (order kept); larger values are refused.
 */
static const Property link_properties[] = {
    DEFINE_PROP_CHR("chardev", PciEpLink, chr),
    DEFINE_PROP_LINK("port", PciEpLink, port, TYPE_PCIE_SLOT, PCIESlot *),
    DEFINE_PROP_UINT32("timeout-ms", PciEpLink, timeout_ms, 5000),
    DEFINE_PROP_BOOL("fast-path", PciEpLink, fast_path, true),
};

/* ---- injected faults (docs/link-faults.md) ---- */

static char *link_get_fault_link(Object *obj, Error **errp)
{
    return g_strdup(PCI_EP_LINK(obj)->fault_down ? "down" : "up");
}

/* x-fault-link: "down" holds the link down from this side, "up" not. */
static void link_set_fault_link(Object *obj, const char *str, Error **errp)
{
    PciEpLink *l = PCI_EP_LINK(obj);
    bool down;

    if (!pcie_link_fault_parse_link(str, &down, errp)) {
        return;
    }
    trace_pci_ep_link_fault_link(down);
    if (l->fault_down != down) {
        l->fault_down = down;
        if (DEVICE(obj)->realized) {
            link_send_hold(l);
            qemu_bh_schedule(l->bh);
        }
    }
}

static bool link_get_perst(Object *obj, Error **errp)
{
    return PCI_EP_LINK(obj)->perst;
}

/* x-fault-perst: PERST# asserted (true) or released (false). */
static void link_set_perst(Object *obj, bool value, Error **errp)
{
    PciEpLink *l = PCI_EP_LINK(obj);

    trace_pci_ep_link_perst(value);
    if (l->perst != value) {
        l->perst = value;
        if (DEVICE(obj)->realized) {
            link_send_hold(l);
            qemu_bh_schedule(l->bh);
        }
    }
}

static PcieLink *link_link_of(Object *obj)
{
    return &PCI_EP_LINK(obj)->link;
}

static void link_fault_class_init(ObjectClass *oc)
{
    object_class_property_add_str(oc, "x-fault-link", link_get_fault_link,
                                  link_set_fault_link);
    object_class_property_set_description(oc, "x-fault-link",
        "Injected fault (experimental): 'down' holds the link down from "
        "the RC's side (surprise link down), 'up' releases it");
    object_class_property_add_bool(oc, "x-fault-perst", link_get_perst,
                                   link_set_perst);
    object_class_property_set_description(oc, "x-fault-perst",
        "Injected fault (experimental): PERST# to the endpoint asserted");
    pcie_link_fault_class_props(oc, link_link_of, false);
}

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
    link_fault_class_init(oc);
}

static const TypeInfo pci_ep_link_info = {
    .name = TYPE_PCI_EP_LINK,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(PciEpLink),
    .class_init = link_class_init,
};

static void pci_ep_link_register_types(void)
{
    type_register_static(&pci_ep_link_info);
}

type_init(pci_ep_link_register_types)

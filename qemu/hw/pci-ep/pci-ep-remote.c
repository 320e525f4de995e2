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
#include "hw/pci-ep/pcie-link.h"
#include "migration/blocker.h"
#include "trace.h"

#define TYPE_PCI_EP_LINK "pci-ep-link"
OBJECT_DECLARE_SIMPLE_TYPE(PciEpLink, PCI_EP_LINK)
#define TYPE_PCI_EP_REMOTE "pci-ep-remote"
OBJECT_DECLARE_SIMPLE_TYPE(PciEpRemote, PCI_EP_REMOTE)

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

    pci_default_write_config(pd, addr, val, len);
    pcie_link_cfg_write(remote_enter(fn), addr, len, val);
    remote_leave(fn);
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
    }
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

    if (l && l->fn == fn) {
        timer_del(l->intx_timer);
        l->fn = NULL;
        l->detached = true;
        trace_pci_ep_remote_detached();
    }
}

static void remote_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

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
    bool want = link_wanted(l);

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
                       l->timeout_ms, &link_ops, l, errp)) {
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
 */
static const Property link_properties[] = {
    DEFINE_PROP_CHR("chardev", PciEpLink, chr),
    DEFINE_PROP_STRING("port", PciEpLink, port_id),
    DEFINE_PROP_UINT32("timeout-ms", PciEpLink, timeout_ms, 5000),
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

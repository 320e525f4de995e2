/*
 * Synopsys DesignWare PCIe controller, endpoint mode: its PCIe port.
 *
 * The unrolled iATU registers; outbound, the EP CPU's "addr_space" window
 * and the eDMA's PCI side translated onto the link; inbound, the RC's
 * requests from the link (config space, BAR-match and address-match
 * inbound iATU regions) and the link's callbacks.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/pci/pci_regs.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"
#include "exec/address-spaces.h"
#include "qemu/bitops.h"
#include "qemu/range.h"
#include "qemu/units.h"

/* ---- iATU ---- */

/*
 * The region that atu offset @addr falls in, or NULL past the configured
 * regions; @reg gets the register's offset in the region's block.
 */
static DwIatuRegion *dw_pcie_ep_atu_region(DwPcieEpState *s, hwaddr addr,
                                           unsigned *reg)
{
    unsigned index = FIELD_EX64(addr, IATU_ADDR, INDEX);

    *reg = FIELD_EX64(addr, IATU_ADDR, OFFSET);
    if (addr >= (hwaddr)DW_PCIE_EP_MAX_REGIONS * DW_IATU_REGION_STRIDE) {
        return NULL;
    }
    if (FIELD_EX64(addr, IATU_ADDR, INBOUND)) {
        return index < s->num_ib ? &s->ib[index] : NULL;
    }
    return index < s->num_ob ? &s->ob[index] : NULL;
}

static uint64_t dw_pcie_ep_atu_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned reg;
    DwIatuRegion *r = dw_pcie_ep_atu_region(s, addr, &reg);
    uint32_t val = 0;

    /* Regions past the configured count read as zero: that is how the
     * driver counts them. */
    if (r && !dw_iatu_reg_read(r, reg, &val)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: iATU read of unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
    }
    return val;
}

static void dw_pcie_ep_atu_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    unsigned reg;
    DwIatuRegion *r = dw_pcie_ep_atu_region(s, addr, &reg);
    bool inbound = FIELD_EX64(addr, IATU_ADDR, INBOUND);
    DwIatuRegInfo info;

    trace_dw_pcie_ep_atu_write(FIELD_EX64(addr, IATU_ADDR, INDEX), inbound,
                               reg, val);
    if (!r) {
        return;
    }
    if (!dw_iatu_reg_info(reg, DW_PCIE_EP_IATU_LIMIT_BITS, &info)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: iATU write of unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
        return;
    }
    if (val & info.rsvd) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: iATU write 0x%08" PRIx64
                      " to %s at 0x%" HWADDR_PRIx " sets reserved bits 0x%08"
                      PRIx64 ", ignored\n", val, info.name, addr,
                      val & info.rsvd);
    }
    dw_iatu_reg_write(r, reg, val, DW_PCIE_EP_IATU_LIMIT_BITS);
    if (inbound) {
        dw_pcie_ep_map_changed(s, true);    /* inbound: before it completes */
    } else {
        dw_pcie_ep_outbound_sync(s);
    }
}

const MemoryRegionOps dw_pcie_ep_atu_ops = {
    .read = dw_pcie_ep_atu_read,
    .write = dw_pcie_ep_atu_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- addr_space: outbound window ---- */

hwaddr dw_pcie_ep_cpu_addr(MemoryRegion *mr)
{
    hwaddr base = 0;

    for (; mr; mr = mr->container) {
        base += mr->addr;
    }
    return base;
}

static bool dw_pcie_ep_outbound(DwPcieEpState *s, hwaddr addr, unsigned size,
                                uint64_t *pci)
{
    hwaddr cpu = dw_pcie_ep_cpu_addr(&s->addr_space) + addr;
    uint64_t room;
    int idx = dw_iatu_translate_outbound(s->ob, s->num_ob, cpu, pci, &room);

    if (idx < 0 || room < size) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: outbound access at 0x%"
                      HWADDR_PRIx " (%u bytes) matches no outbound iATU "
                      "region\n", cpu, size);
        return false;
    }
    /*
     * The PCI address is target + offset in the region: one that wrapped
     * past 2^64 (below the target), or whose last byte would, is no
     * address the link can carry nor one the region maps.
     */
    if (*pci < dw_iatu_target(&s->ob[idx]) || !pl_mem_range_ok(*pci, size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: outbound access at 0x%"
                      HWADDR_PRIx " (%u bytes): outbound iATU region %d "
                      "translates it past 2^64 (target 0x%" PRIx64 ")\n",
                      cpu, size, idx, dw_iatu_target(&s->ob[idx]));
        return false;
    }
    trace_dw_pcie_ep_outbound(cpu, idx, *pci, size);
    return true;
}

static uint64_t dw_pcie_ep_addr_space_read(void *opaque, hwaddr addr,
                                           unsigned size)
{
    DwPcieEpState *s = opaque;
    uint64_t pci;

    uint64_t val = ~0ull;

    if (dw_pcie_ep_outbound(s, addr, size, &pci)) {
        if (!dw_pcie_ep_link_usable(s)) {
            /* No link: an unanswered read completes with all ones. */
            trace_dw_pcie_ep_outbound_nolink(pci, size, false);
        } else if (dw_pcie_ep_may_master(s, "outbound", pci, size, false)) {
            pcie_link_mem_read(&s->link, PL_BAR_NONE, pci, &val, size);
            val = le64_to_cpu(val);
        }
    }
    return val;
}

static void dw_pcie_ep_addr_space_write(void *opaque, hwaddr addr,
                                        uint64_t val, unsigned size)
{
    DwPcieEpState *s = opaque;
    uint64_t pci;

    if (dw_pcie_ep_outbound(s, addr, size, &pci)) {
        if (!dw_pcie_ep_link_usable(s)) {
            trace_dw_pcie_ep_outbound_nolink(pci, size, true);
        } else if (dw_pcie_ep_may_master(s, "outbound", pci, size, true)) {
            uint64_t le = cpu_to_le64(val);
            unsigned n = dw_pcie_ep_msi_copies(s, pci, &le, size);

            while (n--) {
                pcie_link_mem_write(&s->link, PL_BAR_NONE, pci, &le, size);
            }
        }
    }
}

/*
 * The eDMA's way to PCI addresses: bus-master requests on the link, with no
 * outbound iATU in between (an eDMA channel carries the PCI address
 * itself).  Without a trained link or without Bus Master Enable every
 * access fails, and the channel aborts; so does one whose range wraps
 * past 2^64 (the link refuses it).
 */
typedef struct DwPcieEpEdmaRead {
    DwEdmaEmuReadDone *done;
    void *opaque;
} DwPcieEpEdmaRead;

static void dw_pcie_ep_edma_read_done(void *opaque, PlStatus st,
                                      const uint8_t *data, uint32_t size)
{
    g_autofree DwPcieEpEdmaRead *r = opaque;

    r->done(r->opaque, st == PL_STATUS_SC ? MEMTX_OK : MEMTX_ERROR, data,
            size);
}

bool dw_pcie_ep_edma_pci_read_async(DwEdmaPciPort *port, uint64_t addr,
                                    uint64_t len, DwEdmaEmuReadDone *done,
                                    void *done_opaque)
{
    DwPcieEpState *s = DW_PCIE_EP(port);
    DwPcieEpEdmaRead *r;
    void *ram;

    if (!dw_pcie_ep_link_usable(s) ||
        !dw_pcie_ep_may_master(s, "eDMA", addr, len, false) ||
        len > UINT32_MAX) {
        return false;
    }
    ram = dw_pcie_ep_rc_ram_ptr(s, addr, len);
    if (ram) {
        /* the RC's RAM, shared: done at once */
        done(done_opaque, MEMTX_OK, ram, len);
        return true;
    }
    r = g_new(DwPcieEpEdmaRead, 1);
    r->done = done;
    r->opaque = done_opaque;
    if (!pcie_link_mem_read_async(&s->link, PL_BAR_NONE, addr, len,
                                  dw_pcie_ep_edma_read_done, r)) {
        g_free(r);
        return false;
    }
    return true;
}

MemTxResult dw_pcie_ep_edma_pci_write(DwEdmaPciPort *port, uint64_t addr,
                                      const void *buf, uint64_t len)
{
    DwPcieEpState *s = DW_PCIE_EP(port);
    unsigned n;
    void *ram;

    if (!dw_pcie_ep_link_usable(s) ||
        !dw_pcie_ep_may_master(s, "eDMA", addr, len, true)) {
        return MEMTX_ERROR;
    }
    ram = dw_pcie_ep_rc_ram_ptr(s, addr, len);
    if (ram) {
        memcpy(ram, buf, len);      /* the RC's RAM, shared */
        return MEMTX_OK;
    }
    for (n = dw_pcie_ep_msi_copies(s, addr, buf, len); n; n--) {
        if (!pcie_link_mem_write(&s->link, PL_BAR_NONE, addr, buf, len)) {
            return MEMTX_ERROR;
        }
    }
    /* A peer that went away while we sent did not get all of it. */
    return pcie_link_connected(&s->link) ? MEMTX_OK : MEMTX_ERROR;
}

const MemoryRegionOps dw_pcie_ep_addr_space_ops = {
    .read = dw_pcie_ep_addr_space_read,
    .write = dw_pcie_ep_addr_space_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};


/*
 * A request of the RC at @offset in BAR @bar (@bar_size bytes), which the
 * face reserves for the hardware: the eDMA's register block from its
 * offset 0, with no iATU in the way (RK3588's BAR4).  Past the BAR: UR.
 */
static PlStatus dw_pcie_ep_inbound_reserved(DwPcieEpState *s,
                                            const PlMsg *m, unsigned bar,
                                            uint64_t offset,
                                            uint64_t bar_size, uint8_t *data)
{
    bool write = m->type == PL_MSG_MEM_WR;
    uint64_t size = MIN(bar_size, memory_region_size(&s->bar_rsvd));
    unsigned len = m->u.mem.size;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res;

    if (offset >= size || len > size - offset) {
        trace_dw_pcie_ep_inbound_ur(bar, m->u.mem.addr, len);
        if (!write) {
            memset(data, 0xff, len);
        }
        return PL_STATUS_UR;
    }
    if ((len != 4 && len != 8) || (offset & (len - 1))) {
        /* the eDMA's registers take aligned 32- and 64-bit accesses */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: RC %s of %u bytes at "
                      "offset 0x%" PRIx64 " of the reserved BAR%u (the "
                      "eDMA's registers): not an aligned 4- or 8-byte "
                      "access, CA\n", write ? "write" : "read", len, offset,
                      bar);
        if (!write) {
            memset(data, 0xff, len);
        }
        return PL_STATUS_CA;
    }
    trace_dw_pcie_ep_inbound_reserved(bar, m->u.mem.addr, offset, len, write);
    attrs.requester_id = s->its_device_id;
    if (write) {
        res = address_space_write(&s->bar_rsvd_as, offset, attrs,
                                  m->u.mem.data, len);
    } else {
        res = address_space_read(&s->bar_rsvd_as, offset, attrs, data, len);
    }
    return res == MEMTX_OK ? PL_STATUS_SC : PL_STATUS_CA;
}

static PlStatus dw_pcie_ep_inbound(DwPcieEpState *s, const PlMsg *m,
                                   uint8_t *data)
{
    bool write = m->type == PL_MSG_MEM_WR;
    unsigned bar = m->u.mem.bar;
    uint64_t bar_size, base, offset, ep, room;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemTxResult res;
    int idx = -1;

    if (!(dw_pcie_ep_cfg_get(s, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY)) {
        /* Memory Space Enable clear: the function claims no BAR access */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: RC %s of %u bytes at PCI "
                      "0x%" PRIx64 " (BAR%u) with Memory Space Enable clear: "
                      "UR\n", write ? "write" : "read", m->u.mem.size,
                      m->u.mem.addr, bar);
        trace_dw_pcie_ep_inbound_disabled(bar, m->u.mem.addr, m->u.mem.size,
                                          write);
        if (!write) {
            memset(data, 0xff, m->u.mem.size);
        }
        return PL_STATUS_UR;
    }
    bar_size = bar < DW_PCIE_EP_NUM_BARS ? dw_pcie_ep_bar_size(s, bar) : 0;
    if (bar_size) {
        base = dw_pcie_ep_bar_addr(s, bar);
        offset = m->u.mem.addr - base;
        if (m->u.mem.addr < base) {
            offset = bar_size;      /* outside the BAR: no BAR match */
        }
        if (dw_pcie_ep_bar_reserved(s, bar)) {
            return dw_pcie_ep_inbound_reserved(s, m, bar, offset, bar_size,
                                               data);
        }
        idx = dw_iatu_translate_inbound(s->ib, s->num_ib, bar, bar_size,
                                        offset, m->u.mem.addr, &ep, &room);
    }
    if (idx >= 0 && room >= m->u.mem.size &&
        (ep < dw_iatu_target(&s->ib[idx]) ||
         !pl_mem_range_ok(ep, m->u.mem.size))) {
        /* target + offset wrapped past 2^64: not in what the region maps */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: inbound request at PCI "
                      "0x%" PRIx64 " (%u bytes): inbound iATU region %d "
                      "translates it past 2^64 (target 0x%" PRIx64 ")\n",
                      m->u.mem.addr, m->u.mem.size, idx,
                      dw_iatu_target(&s->ib[idx]));
        idx = -1;
    }
    if (idx < 0 || room < m->u.mem.size) {
        trace_dw_pcie_ep_inbound_ur(bar, m->u.mem.addr, m->u.mem.size);
        if (!write) {
            memset(data, 0xff, m->u.mem.size);
        }
        return PL_STATUS_UR;
    }
    trace_dw_pcie_ep_inbound(bar, m->u.mem.addr, idx, ep, m->u.mem.size, write);
    /* The controller is the bus master: its requester ID goes along, which
     * is the device ID the GIC ITS sees for a doorbell write. */
    attrs.requester_id = s->its_device_id;
    if (write) {
        res = address_space_write(s->ep_as, ep, attrs,
                                  m->u.mem.data, m->u.mem.size);
    } else {
        res = address_space_read(s->ep_as, ep, attrs, data,
                                 m->u.mem.size);
    }
    return res == MEMTX_OK ? PL_STATUS_SC : PL_STATUS_CA;
}

static PlStatus dw_pcie_ep_link_request(void *opaque, const PlMsg *m,
                                        uint8_t *data)
{
    DwPcieEpState *s = opaque;
    uint32_t v;

    if (m->type == PL_MSG_MAP) {
        return dw_pcie_ep_map_rc_ram(s, m);     /* link up or not */
    }
    if (!s->link_up) {
        return PL_STATUS_UR;
    }
    switch (m->type) {
    case PL_MSG_CFG_RD:
        v = dw_pcie_ep_link_cfg_read(s, m->u.cfg.offset, m->u.cfg.size);
        stl_le_p(data, v);
        return PL_STATUS_SC;
    case PL_MSG_CFG_WR:
        dw_pcie_ep_link_cfg_write(s, m->u.cfg.offset, m->u.cfg.size,
                                  m->u.cfg.data);
        return PL_STATUS_SC;
    case PL_MSG_MEM_RD:
    case PL_MSG_MEM_WR:
        return dw_pcie_ep_inbound(s, m, data);
    default:
        /* a peer's fault (answered UR): warned of once, a peer can repeat */
        warn_report_once("dw-pcie-ep: peer sent %s, which an endpoint does "
                         "not take: answered UR", pl_msg_name(m->type));
        return PL_STATUS_UR;
    }
}

/*
 * A connection began or ended: a new RC starts with the link released
 * and PERST# deasserted, until it says otherwise.
 */
static void dw_pcie_ep_link_connected(void *opaque, bool connected)
{
    DwPcieEpState *s = opaque;

    dw_pcie_ep_map_connected(s);
    dw_pcie_ep_link_perst(s, false);
    s->rc_hold = false;
    dw_pcie_ep_train(s);
}

const PcieLinkOps dw_pcie_ep_link_ops = {
    .request = dw_pcie_ep_link_request,
    .link_state = dw_pcie_ep_link_rc_state,
    .connected = dw_pcie_ep_link_connected,
    .perst = dw_pcie_ep_link_perst,
};

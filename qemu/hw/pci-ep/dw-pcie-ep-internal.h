/*
 * Synopsys DesignWare PCIe controller, endpoint mode: what its files
 * share (dw-pcie-ep.c: QOM and realize; dw-pcie-ep-cfg.c: config space,
 * DBI and DBI2; dw-pcie-ep-ltssm.c: link training and the eDMA line;
 * dw-pcie-ep-port.c: iATU, outbound and inbound over the link;
 * dw-pcie-ep-fdt.c: the device tree node; dw-pcie-ep-map.c: the
 * shared-memory fast path).  Not for other devices: see dw-pcie-ep.h.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_PCIE_EP_INTERNAL_H
#define HW_PCI_EP_DW_PCIE_EP_INTERNAL_H

#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/platform-bus.h"

/* Address bits an iATU region's limit decodes: the largest is 64 GiB. */
#define DW_PCIE_EP_IATU_LIMIT_BITS 36

/* The face's rule for BAR @bar (0..5). */
static inline const DwPcieEpBarRule *dw_pcie_ep_bar_rule(DwPcieEpState *s,
                                                         unsigned bar)
{
    return &DW_PCIE_EP_GET_CLASS(s)->face->bar[bar];
}

/* Whether the face reserves BAR @bar (0..5) for the hardware. */
static inline bool dw_pcie_ep_bar_reserved(DwPcieEpState *s, unsigned bar)
{
    return dw_pcie_ep_bar_rule(s, bar)->type == DW_PCIE_EP_BAR_RESERVED;
}

/* ---- dw-pcie-ep.c ---- */

/*
 * The core's reset (config space, BAR masks, iATU; not the eDMA, not the
 * glue): a link that was up goes down and the peer hears of it.  For
 * device reset and for a face's core reset line.  BQL held.
 */
void dw_pcie_ep_core_reset(DwPcieEpState *s);

/* ---- dw-pcie-ep-cfg.c ---- */

/*
 * dw_pcie_ep_cfg_get, dw_pcie_ep_cfg_set: @len (1 to 4) bytes at config
 * offset @addr, little-endian; @addr + @len must be within the 4 KiB
 * config space (callers check: these do not).
 */
uint32_t dw_pcie_ep_cfg_get(DwPcieEpState *s, unsigned addr, unsigned len);
void dw_pcie_ep_cfg_set(uint8_t *arr, unsigned addr, uint32_t v, unsigned len);

/* The PCI address the RC gave BAR @bar (0..5; 64-bit BARs whole). */
uint64_t dw_pcie_ep_bar_addr(DwPcieEpState *s, unsigned bar);

/* Config space, DBI2 masks and Resizable BAR back to their reset values. */
void dw_pcie_ep_config_init(DwPcieEpState *s);

/*
 * Link reset (link down, which a new peer always follows): what the RC
 * wrote through config space goes back to what reset and the DBI left
 * there; what the EP set up through the DBI stays.
 */
void dw_pcie_ep_link_reset_config(DwPcieEpState *s);

/*
 * A config read or write of @size (1, 2 or 4) bytes at @off (aligned,
 * below 4 KiB; the link's decoder checks) from the RC: the link's view,
 * with the BAR masks of DBI2 and the link's write masks (port logic reads
 * 0 and ignores writes; a Resizable BAR size the capability does not
 * offer is refused and logged).
 */
uint32_t dw_pcie_ep_link_cfg_read(DwPcieEpState *s, unsigned off,
                                  unsigned size);
void dw_pcie_ep_link_cfg_write(DwPcieEpState *s, unsigned off,
                               unsigned size, uint32_t val);

/*
 * What DBI2 keeps of @val written as BAR @bar's (0..5) mask, by the
 * face's rule for the BAR (DwPcieEpBarRule): a fixed BAR keeps only its
 * enable bit (bit 0) over its fixed mask, a disabled one nothing (a
 * non-zero @val is logged as a guest error).
 */
uint32_t dw_pcie_ep_bar_mask_rule(DwPcieEpState *s, unsigned bar,
                                  uint32_t val);

/* BAR @bar's DBI2 mask at reset: off, but a BAR the hardware reserves. */
uint32_t dw_pcie_ep_bar_mask_reset(DwPcieEpState *s, unsigned bar);

/*
 * A directed speed change (GEN2_CTRL.SPEED_CHANGE) completes: the bit
 * clears.  Called with the link up.
 */
void dw_pcie_ep_speed_change_done(DwPcieEpState *s);

/* The DBI (config space and port logic) and DBI2 (BAR masks), 4 KiB each. */
extern const MemoryRegionOps dw_pcie_ep_dbi_ops;
extern const MemoryRegionOps dw_pcie_ep_dbi2_ops;

/* ---- dw-pcie-ep-ltssm.c ---- */

/* A peer QEMU is connected on the link (HELLO exchanged). */
bool dw_pcie_ep_has_peer(DwPcieEpState *s);

/* Requests can cross the link: it is trained and a peer is on it. */
bool dw_pcie_ep_link_usable(DwPcieEpState *s);

/*
 * Whether the function may issue a memory request of @size bytes at PCI
 * address @pci (@write or read) for @who (for the log): only with Bus
 * Master Enable set in its COMMAND register.  Without, the request is not
 * sent (logged as a guest error) and the caller fails it.
 */
bool dw_pcie_ep_may_master(DwPcieEpState *s, const char *who,
                           uint64_t pci, uint64_t size, bool write);

/*
 * Bring the link to what the glue's LTSSM enable (s->ltssm_en) and the
 * peer allow: up when training is enabled and (with a link configured)
 * the peer is connected.  The face's link_changed hears of a change.
 */
void dw_pcie_ep_train(DwPcieEpState *s);

/*
 * The eDMA's interrupt line (gpio "edma-irq" 0) to the device's irq 0,
 * through the glue's gate (DwPcieEpClass::dma_irq_enabled);
 * dw_pcie_ep_update_dma_irq: the gate changed.
 */
void dw_pcie_ep_dma_irq(void *opaque, int n, int level);
void dw_pcie_ep_update_dma_irq(DwPcieEpState *s);

/* ---- dw-pcie-ep-port.c ---- */

/* The iATU registers (DW_IATU_REGION_STRIDE bytes per region). */
extern const MemoryRegionOps dw_pcie_ep_atu_ops;

/* The outbound window (addr-space-size bytes) as the EP CPU reaches it. */
extern const MemoryRegionOps dw_pcie_ep_addr_space_ops;

/*
 * The eDMA's PCI side (TYPE_DW_EDMA_PCI_PORT, which the controller
 * implements): reads and writes carried over the link, see dw_edma_emu.h.
 */
bool dw_pcie_ep_edma_pci_read_async(DwEdmaPciPort *port, uint64_t addr,
                                    uint64_t len, DwEdmaEmuReadDone *done,
                                    void *done_opaque);
MemTxResult dw_pcie_ep_edma_pci_write(DwEdmaPciPort *port, uint64_t addr,
                                      const void *buf, uint64_t len);

/* The link's callbacks: the RC's requests, link state, connection. */
extern const PcieLinkOps dw_pcie_ep_link_ops;

/* ---- dw-pcie-ep-ltssm.c: a face's glue registers ---- */

/*
 * A face's glue register table on the register API (register_init_block32
 * with these ops): X(name, reset, read-only bits, write-1-to-clear bits,
 * reserved bits, post-write hook) as DW_PCIE_EP_APP_REGS and
 * DW_PCIE_EP_RCAR_APP_REGS give it; 32-bit accesses, each traced
 * (dw_pcie_ep_app_read/write).
 */
#define DW_PCIE_EP_GLUE_REG_INFO(n, rst, ro_, w1c_, rsvd_, hook)  \
    { .name = #n, .addr = A_##n, .reset = (rst), .ro = (ro_),      \
      .w1c = (w1c_), .rsvd = (uint32_t)(rsvd_), .post_write = (hook) },
extern const MemoryRegionOps dw_pcie_ep_glue_regs_ops;

/* ---- dw-pcie-ep-standin.c ---- */

/*
 * dw_pcie_ep_rst_init: the stand-in reset block, @nlines (1..32) reset
 * lines in bits 0.. of its one register (set = asserted, all asserted at
 * reset), those in @core resetting the core (dw_pcie_ep_core_reset and
 * the eDMA) on the edge that asserts them; every write calls the face's
 * glue_train first.  Registers the block as the next sysbus region
 * (DW_PCIE_EP_RST_SIZE bytes, 32-bit accesses; other offsets and bits
 * are logged guest errors).  dw_pcie_ep_fdt_rst_node: its
 * "snps,dw-high-reset" node (Linux's reset-simple) for sysbus region
 * @region, which must be the block; returns its phandle.
 */
void dw_pcie_ep_rst_init(DwPcieEpState *s, unsigned nlines, uint32_t core);
uint32_t dw_pcie_ep_fdt_rst_node(SysBusDevice *sbd, void *fdt,
                                 PlatformBusDevice *pbus, int region);

/*
 * A "fixed-clock" node of @hz Hz at the root, named after the controller
 * and @name; returns its phandle.
 */
uint32_t dw_pcie_ep_fdt_clock(SysBusDevice *sbd, void *fdt,
                              PlatformBusDevice *pbus, const char *name,
                              uint32_t hz);

/*
 * @mr: @size bytes that read 0 and ignore writes, each access logged as
 * unimplemented under @name (a string that outlives the device).
 */
void dw_pcie_ep_init_unimp(DwPcieEpState *s, MemoryRegion *mr,
                           const char *name, uint64_t size);

/* ---- dw-pcie-ep-fault.c ---- */

/* The x-fault-* properties of the core (every face has them). */
void dw_pcie_ep_fault_class_init(ObjectClass *oc);

/*
 * dw_pcie_ep_fault_parse_msi: x-fault-msi's value @str into *@f (its
 * count of MSIs seen left 0); false with @errp set on bad input.
 */
bool dw_pcie_ep_fault_parse_msi(const char *str, DwPcieEpMsiFault *f,
                                Error **errp);

/*
 * How many times the function's memory write of @size bytes of @buf at
 * PCI address @pci goes out: 1, or under x-fault-msi 0 (dropped) or 2
 * (doubled) when it is an MSI or MSI-X message the fault takes.  BQL.
 */
unsigned dw_pcie_ep_msi_copies(DwPcieEpState *s, uint64_t pci,
                               const void *buf, uint64_t size);

/*
 * The link's callbacks for LINK from the RC: PERST# (asserted or not),
 * then the RC's hold (@up false: the RC holds the link down).  Each
 * traces a change; the link follows (dw_pcie_ep_train).  BQL held.
 */
void dw_pcie_ep_link_perst(void *opaque, bool asserted);
void dw_pcie_ep_link_rc_state(void *opaque, bool up);

/* ---- dw-pcie-ep-fdt.c ---- */

/* The CPU address at which @pbus mapped @sbd's MMIO region @n. */
hwaddr dw_pcie_ep_fdt_mmio_addr(SysBusDevice *sbd, PlatformBusDevice *pbus,
                                int n);

/*
 * For a face's add_fdt_node: the controller's node at the root of @fdt,
 * "/pcie-ep@<dbi address>", with the @ncompat @compat strings, "reg" and
 * "reg-names" for the @nreg names, name i being sysbus region
 * @reg_index[i] (i with @reg_index NULL; a NULL name leaves it out), "interrupts" and "interrupt-names" for the @nirq names,
 * name i being sysbus IRQ @irq_index[i] (i with @irq_index NULL) (from
 * SPI @irq_start as @pbus placed them; "dma" regions and every
 * interrupt of sysbus IRQ 0, the eDMA's, left out with dt-edma=off), num-ib-windows, num-ob-windows,
 * num-lanes = @num_lanes, max-functions = 1, dma-coherent, and the ITS msi-map with
 * msi-doorbell=on.  Returns the node's path (the caller frees it), or
 * NULL after an error_report (msi-doorbell=on on a machine without ITS).
 */
char *dw_pcie_ep_fdt_node(SysBusDevice *sbd, void *fdt,
                          PlatformBusDevice *pbus, int irq_start,
                          const char *const *compat, unsigned ncompat,
                          const char *const *reg_names,
                          const unsigned *reg_index, unsigned nreg,
                          const char *const *irq_names,
                          const unsigned *irq_index, unsigned nirq,
                          uint32_t num_lanes);

#endif

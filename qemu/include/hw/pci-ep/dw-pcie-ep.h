/*
 * Synopsys DesignWare PCIe controller in endpoint mode (sysbus device).
 *
 * One DesignWare core (TYPE_DW_PCIE_EP, abstract) and the faces it wears:
 * the SoC glue around it, as a subclass whose class data says what
 * differs (DwPcieEpFace: BAR rules, MSI-X, inbound alignment) and whose
 * methods model its glue registers and write its device tree node:
 *   "dw-pcie-ep"          our own glue (dw-pcie-ep-qemu.c), bound by
 *                         kernel-patches/' pcie-qemu-ep.c
 *   "dw-pcie-ep-rcar-s4"  Renesas R-Car S4 (dw-pcie-ep-rcar.c), bound by
 *                         Linux 7.2's pcie-rcar-gen4.c
 *   "dw-pcie-ep-rk3588"   Rockchip RK3588 (dw-pcie-ep-rk3588.c), bound by
 *                         Linux 7.2's pcie-dw-rockchip.c
 *
 * Register regions (sysbus MMIO index, device-tree reg-names), in this
 * order for every face:
 *   0 dbi         4 KiB  type 0 config space + port logic (DBI)
 *   1 dbi2        4 KiB  shadow space: BAR masks (bit 0 enables the BAR)
 *   2 atu         iATU, unrolled: region i at (i << 9), inbound at +0x100
 *   3 dma         DW eDMA v0 unrolled register block (dw-edma-emu)
 *   then the face's glue regions (DwPcieEpClass::glue_realize), then
 *   addr_space, the outbound window ("addr-space-size" bytes), then any
 *   region of the face's stand-in providers (not in the node's reg).
 *   With edma_in_atu, "atu" is 1 MiB with the eDMA inside, and region 3
 *   is left unmapped by the platform bus.
 * Interrupts: 0 "dma", then the face's.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_PCIE_EP_H
#define HW_PCI_EP_DW_PCIE_EP_H

#include "hw/sysbus.h"
#include "hw/platform-bus.h"
#include "hw/pci-ep/dw-pcie-iatu.h"
#include "hw/misc/dw_edma_emu.h"
#include "hw/pci-ep/pcie-link.h"
#include "hw/pci-ep/dw-pcie-ep-regs.h"
#include "hw/register.h"
#include "chardev/char-fe.h"
#include "qom/object.h"

/* The core, abstract: a face is one of its subclasses. */
#define TYPE_DW_PCIE_EP "dw-pcie-ep-core"
OBJECT_DECLARE_TYPE(DwPcieEpState, DwPcieEpClass, DW_PCIE_EP)

/* The faces */
#define TYPE_DW_PCIE_EP_QEMU "dw-pcie-ep"
#define TYPE_DW_PCIE_EP_RCAR_S4 "dw-pcie-ep-rcar-s4"
#define TYPE_DW_PCIE_EP_RK3588 "dw-pcie-ep-rk3588"

/* The core's register regions: the first four of every face. */
enum {
    DW_PCIE_EP_MMIO_DBI,
    DW_PCIE_EP_MMIO_DBI2,
    DW_PCIE_EP_MMIO_ATU,
    DW_PCIE_EP_MMIO_DMA,
    DW_PCIE_EP_MMIO_CORE_NUM,
};

#define DW_PCIE_EP_IRQ_DMA       0

#define DW_PCIE_EP_DBI_SIZE      0x1000
#define DW_PCIE_EP_RST_SIZE      0x1000
#define DW_PCIE_EP_MAX_REGIONS   256
#define DW_PCIE_EP_NUM_BARS      6

/*
 * What a face's hardware does with each BAR (the kernel's epc_features
 * say the same to the function drivers, enum pci_epc_bar_type):
 *   PROGRAMMABLE  the DBI2 mask sets the size (the qemu face's BAR1, 3-5)
 *   RESIZABLE     a Resizable BAR capability entry sets it (BAR0, BAR2 on
 *                 qemu and rcar-s4); DBI2 bit 0 enables it
 *   FIXED         the size is @fixed_size (a power of two, 16 bytes to
 *                 2 GiB): DBI2 keeps only bit 0 (enable), the mask reads
 *                 as fixed_size - 1
 *   DISABLED      not implemented: DBI2 writes other than 0 are logged as
 *                 guest errors and ignored, so the BAR stays off (it may
 *                 be the upper half of a 64-bit BAR below it)
 *   RESERVED      the hardware's own: enabled from reset with @fixed_size
 *                 bytes (32-bit, at most the eDMA block's 8 KiB), DBI2
 *                 writes and the BAR's type bits ignored, never shared
 *                 memory on the fast path, and what the RC
 *                 reads and writes in it is the eDMA's register block from
 *                 its offset 0, whatever the iATU says (RK3588's BAR4,
 *                 PCI_EPC_BAR_RSVD_DMA_CTRL_MMIO in Linux)
 */
typedef enum DwPcieEpBarType {
    DW_PCIE_EP_BAR_PROGRAMMABLE,
    DW_PCIE_EP_BAR_RESIZABLE,
    DW_PCIE_EP_BAR_FIXED,
    DW_PCIE_EP_BAR_DISABLED,
    DW_PCIE_EP_BAR_RESERVED,
} DwPcieEpBarType;

typedef struct DwPcieEpBarRule {
    DwPcieEpBarType type;
    uint32_t fixed_size;     /* bytes, FIXED and RESERVED only */
} DwPcieEpBarRule;

/*
 * A face: the class data of a DwPcieEpClass subclass (what differs
 * between SoCs built around the same core).
 *   name      the face, as run-pair.sh --soc names it
 *   bar       each BAR's rule; the Resizable BAR capability has one entry
 *             per RESIZABLE BAR, in BAR order; a FIXED or RESERVED
 *             size is a power of two
 *   msix      the MSI-X capability is in the capability chain
 *   its       the SoC can send the EP's doorbells to a GICv3 ITS (the
 *             msi-doorbell property may be on)
 *   edma_in_atu  the "atu" region is 1 MiB with the eDMA's registers at
 *             its offset 0x80000 (the DWC default layout, which Linux
 *             falls back to when the node has no "dma" region); else
 *             "atu" holds the iATU alone.  Region 3 ("dma") is then not
 *             mapped by the platform bus (it is reached through "atu")
 *   edma_channels  0, or the number of eDMA interrupts the face's node
 *             names, one per channel: wr-channels + rd-channels must be it
 */
typedef struct DwPcieEpFace {
    const char *name;
    DwPcieEpBarRule bar[DW_PCIE_EP_NUM_BARS];
    bool msix;
    bool its;
    bool edma_in_atu;
    unsigned edma_channels;
} DwPcieEpFace;

/* With edma_in_atu: the atu region's size and the eDMA's offset in it. */
#define DW_PCIE_EP_ATU_EDMA_SIZE     0x100000
#define DW_PCIE_EP_ATU_EDMA_OFFSET   0x80000

/*
 * The app block's and the port logic's registers, and the config space's
 * layout and masks: dw-pcie-ep-regs.h.
 */

struct DwPcieEpClass {
    SysBusDeviceClass parent_class;

    /* The face (class data); NULL only in the abstract core. */
    const DwPcieEpFace *face;
    /*
     * glue_realize: the face's glue registers and interrupts, with
     * sysbus_init_mmio and sysbus_init_irq in the order its node names
     * them (after the core's four regions and its "dma" interrupt).
     * Cannot fail.  glue_reset: their reset values (the link is down).
     * link_changed: the link went up or down (the core's link_up says
     * which): status registers and interrupts follow.
     */
    void (*glue_realize)(DwPcieEpState *s);
    /*
     * glue_realize_late (may be NULL): regions after addr_space, of the
     * stand-in providers the face's node points at (a reset block).
     */
    void (*glue_realize_late)(DwPcieEpState *s);
    void (*glue_reset)(DwPcieEpState *s);
    /*
     * glue_train (with a reset block): recompute the LTSSM enable from the
     * glue's registers and the reset lines, and train.
     */
    void (*glue_train)(DwPcieEpState *s);
    void (*link_changed)(DwPcieEpState *s);
    /*
     * perst_changed (may be NULL): PERST# from the RC (the core's perst)
     * was asserted or released; the glue's status follows.  The link is
     * held down while it is asserted, whatever the glue does.
     */
    void (*perst_changed)(DwPcieEpState *s);
    /*
     * dma_irq_enabled: whether the glue lets the eDMA's interrupt reach
     * the "dma" line (NULL: always).
     */
    bool (*dma_irq_enabled)(DwPcieEpState *s);
    /*
     * add_fdt_node: write the controller's node below @parent in @fdt,
     * with addresses and interrupts as placed by @pbus (SPI numbers start
     * at @irq_start).  Called by hw/core/sysbus-fdt.c for dynamic sysbus
     * devices on "virt", which asserts success: realize refuses what
     * could make it fail.  Returns 0.
     *
     * face, glue_realize, glue_reset and add_fdt_node are mandatory.
     */
    int (*add_fdt_node)(SysBusDevice *sbd, void *fdt, const char *parent,
                        PlatformBusDevice *pbus, int irq_start);
    /* DeviceClass's reset children (the buses); the eDMA is added to them */
    void (*parent_reset_child_foreach)(Object *obj,
                                       ResettableChildCallback cb,
                                       void *opaque, ResetType type);
};

/* x-fault-msi (dw-pcie-ep-fault.c): every Nth MSI dropped or doubled. */
typedef enum DwPcieEpMsiFaultKind {
    DW_PCIE_EP_MSI_FAULT_NONE,
    DW_PCIE_EP_MSI_FAULT_DROP,
    DW_PCIE_EP_MSI_FAULT_DUP,
} DwPcieEpMsiFaultKind;

typedef struct DwPcieEpMsiFault {
    DwPcieEpMsiFaultKind kind;
    uint32_t every;          /* 1..UINT32_MAX */
    uint64_t seen;           /* MSIs since it was set */
} DwPcieEpMsiFault;

/* What the RC was told about one BAR (dw-pcie-ep-map.c). */
typedef struct DwPcieEpMap {
    bool on;                 /* shared RAM; else messages */
    uint64_t size;           /* the whole BAR, bytes */
    uint64_t fd_offset;      /* where in the RAM's file */
    void *ram;               /* the RAMBlock it is in */
} DwPcieEpMap;

struct DwPcieEpState {
    SysBusDevice parent_obj;

    MemoryRegion dbi;
    MemoryRegion dbi2;
    MemoryRegion atu;
    MemoryRegion atu_edma;   /* edma_in_atu: "atu", iATU + eDMA alias */
    MemoryRegion edma_alias;
    MemoryRegion addr_space;
    /* what a RESERVED BAR shows the RC: the eDMA's registers, from 0 */
    MemoryRegion bar_rsvd;
    AddressSpace bar_rsvd_as;
    DwEdmaEmuState edma;
    qemu_irq irq_dma;
    bool dma_level;          /* the eDMA's line, before the glue's gate */

    /* DBI config space and its write masks (see dw-pcie-ep.c) */
    uint8_t config[DW_PCIE_EP_DBI_SIZE];
    uint8_t wmask_link[DW_PCIE_EP_DBI_SIZE];   /* writable from the link */
    uint8_t wmask_dbi[DW_PCIE_EP_DBI_SIZE];    /* writable by the DBI */
    uint8_t romask_dbi[DW_PCIE_EP_DBI_SIZE];   /* + with DBI_RO_WR_EN */
    uint8_t w1cmask[DW_PCIE_EP_DBI_SIZE];      /* write 1 to clear */
    /*
     * config as reset and the DBI left it, without what the RC wrote:
     * the bits writable from the link return to it when the link goes
     * down (see dw_pcie_ep_link_reset_config).
     */
    uint8_t link_reset[DW_PCIE_EP_DBI_SIZE];
    uint32_t bar_mask[DW_PCIE_EP_NUM_BARS];    /* DBI2 */

    DwIatuRegion ob[DW_PCIE_EP_MAX_REGIONS];
    DwIatuRegion ib[DW_PCIE_EP_MAX_REGIONS];

    bool ltssm_en;           /* the glue enables link training */
    bool link_up;

    /* Injected faults and the RC's hold (dw-pcie-ep-fault.c) */
    bool fault_link_down;    /* x-fault-link=down */
    bool rc_hold;            /* the RC holds the link down (LINK up 0) */
    bool perst;              /* the RC asserts PERST# */
    DwPcieEpMsiFault msi_fault;

    CharBackend chr;
    PcieLink link;

    /* The shared-memory fast path (dw-pcie-ep-map.c) */
    DwPcieEpMap map[DW_PCIE_EP_NUM_BARS];          /* the RC maps these */
    DwPcieEpMap map_refused[DW_PCIE_EP_NUM_BARS];  /* the RC refused these */
    bool map_syncing;        /* a sync is running (BQL released in it) */
    bool map_again;          /* and must look once more */
    uint64_t map_conn;       /* connections seen, to spot a new one */
    QEMUBH *map_bh;
    /* the RC's RAM, when the RC handed it over (MAP from the RC) */
    PcieLinkRegion *rc_ram;
    uint64_t rc_ram_pci;     /* the PCI address it starts at */
    uint64_t rc_ram_size;
    PcieLinkRegion *ob_alias[DW_PCIE_EP_MAX_REGIONS];  /* in addr_space */

    /* EP memory: what inbound requests and the eDMA reach ("memory") */
    MemoryRegion *ep_mem;
    AddressSpace ep_mem_as;
    AddressSpace *ep_as;

    /* The stand-in reset block (dw-pcie-ep-standin.c), if the face has one */
    MemoryRegion rst;
    uint32_t rst_reg;        /* asserted lines */
    uint32_t rst_lines;      /* the lines that exist */
    uint32_t rst_core;       /* the lines that reset the core */

    /* Not migrated: the link's peer is another QEMU process. */
    Error *migration_blocker;

    /* Properties */
    uint32_t num_ib;
    uint32_t num_ob;
    uint64_t addr_space_size;
    uint16_t vendor_id;
    uint16_t device_id;
    bool edma_described;
    bool msi_doorbell;
    uint32_t its_device_id;
    uint32_t link_timeout_ms;
    bool fast_path;
};

/*
 * dw_pcie_ep_bar_size: size in bytes of BAR @bar (0..5) as the link sees
 * it: 0 when the BAR is disabled (DBI2 mask bit 0 clear) or @bar is out of
 * range; for BARs with a Resizable BAR entry, the selected size (2^n MiB)
 * if the entry's capability advertises it, else 0 (never a size it does
 * not advertise); else mask + 1 (64-bit BARs take the upper mask from the
 * next BAR's DBI2 register).
 */
uint64_t dw_pcie_ep_bar_size(DwPcieEpState *s, unsigned bar);

/*
 * The fast path (dw-pcie-ep-map.c).  dw_pcie_ep_map_changed: something
 * that decides which BARs are shared RAM may have changed; with @now
 * (an EP register write, BQL held, not in the link's I/O thread) the RC
 * is brought up to date before it returns, the BQL released while the RC
 * answers; else from a bottom half.  dw_pcie_ep_map_sync does it; a MAP
 * the RC refuses is not offered again until it changes; an unmap the RC
 * does not confirm in the link's timeout cuts the link.
 * dw_pcie_ep_map_connected: a connection began or ended (the RC holds no
 * mapping then).  All with the BQL held; nothing happens with the
 * fast-path property off or without a link.
 */
void dw_pcie_ep_map_init(DwPcieEpState *s);
void dw_pcie_ep_map_changed(DwPcieEpState *s, bool now);
void dw_pcie_ep_map_sync(DwPcieEpState *s);
void dw_pcie_ep_map_connected(DwPcieEpState *s);

/*
 * The RC's RAM (dw-pcie-ep-map.c).  dw_pcie_ep_map_rc_ram: serve a MAP
 * from the RC (in the link's I/O thread): keep or drop the RC's RAM and
 * rebuild the outbound windows; UR for a MAP this side cannot take (the
 * fast path off, no descriptor, not slot 0 and BAR 0, not in host pages,
 * over 64 GiB, a descriptor that cannot be mapped: logged).
 * dw_pcie_ep_outbound_sync: an outbound window that maps a host-page
 * aligned range of the RC's RAM, and overlaps no window of a lower index,
 * becomes RAM in addr_space (an alias of the RC's RAM); call after any
 * change of the outbound iATU or of the RC's RAM.  dw_pcie_ep_rc_ram_ptr:
 * the host address of the @len bytes at PCI address @pci when all are in
 * the RC's RAM, else NULL (for the eDMA).  dw_pcie_ep_cpu_addr: the CPU
 * address of @mr (the platform bus maps our regions in a container).
 * BQL held.
 */
PlStatus dw_pcie_ep_map_rc_ram(DwPcieEpState *s, const PlMsg *m);
void dw_pcie_ep_outbound_sync(DwPcieEpState *s);
void *dw_pcie_ep_rc_ram_ptr(DwPcieEpState *s, uint64_t pci, uint64_t len);
hwaddr dw_pcie_ep_cpu_addr(MemoryRegion *mr);

#endif

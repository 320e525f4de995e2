/*
 * The memory the link's shared-memory fast path maps (PcieLinkRegion, see
 * pcie-link.h): a QOM object of its own that owns its MemoryRegion, so
 * that flat views still holding the region keep it alive after it left
 * its container.  Kept apart from pcie-link.c, which needs no memory API
 * (the link harness of tests/fuzz builds it without QEMU's system code).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "exec/memory.h"
#include "hw/pci-ep/pcie-link.h"

struct PcieLinkRegion {
    Object parent_obj;

    MemoryRegion mr;
};

OBJECT_DECLARE_SIMPLE_TYPE(PcieLinkRegion, PCIE_LINK_REGION)

PcieLinkRegion *pcie_link_region_ram(const char *name, uint64_t size, int fd,
                                     uint64_t fd_offset, Error **errp)
{
    PcieLinkRegion *r = PCIE_LINK_REGION(object_new(TYPE_PCIE_LINK_REGION));

    if (!memory_region_init_ram_from_fd(&r->mr, OBJECT(r), name, size,
                                        RAM_SHARED, fd, fd_offset, errp)) {
        object_unref(OBJECT(r));
        return NULL;
    }
    return r;
}

PcieLinkRegion *pcie_link_region_alias(const char *name, PcieLinkRegion *of,
                                       uint64_t offset, uint64_t size)
{
    PcieLinkRegion *r = PCIE_LINK_REGION(object_new(TYPE_PCIE_LINK_REGION));

    memory_region_init_alias(&r->mr, OBJECT(r), name, &of->mr, offset, size);
    return r;
}

MemoryRegion *pcie_link_region_mr(PcieLinkRegion *r)
{
    return &r->mr;
}

static const TypeInfo pcie_link_types[] = {
    {
        .name = TYPE_PCIE_LINK_REGION,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(PcieLinkRegion),
    },
};

DEFINE_TYPES(pcie_link_types)

/*
 * The PCIe link (pcie-link.h): faults injected on purpose, as QOM
 * properties that both ends share (x-fault-cpl, x-fault-delay-us; see
 * docs/link-faults.md).  The link code applies them (pcie-link-request.c,
 * pcie-link-tx.c); this file parses, prints and sets them.  Kept apart
 * from pcie-link.c, which the link harness of tests/fuzz builds without
 * QOM's property code.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "hw/pci-ep/pcie-link.h"
#include "trace.h"

bool pcie_link_fault_parse_link(const char *str, bool *down, Error **errp)
{
    if (strcmp(str, "down") && strcmp(str, "up")) {
        error_setg(errp, "x-fault-link: '%s' is not 'up' or 'down'", str);
        return false;
    }
    *down = !strcmp(str, "down");
    return true;
}

bool pcie_link_fault_parse_u64(const char *str, uint64_t *val)
{
    unsigned base = 10;
    uint64_t v = 0;
    const char *p = str;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p) {
        return false;
    }
    for (; *p; p++) {
        int d = g_ascii_xdigit_value(*p);

        if (d < 0 || (unsigned)d >= base || v > (UINT64_MAX - d) / base) {
            return false;       /* not a digit here, or past 2^64 - 1 */
        }
        v = v * base + d;
    }
    *val = v;
    return true;
}

static const char *const cpl_kinds[] = {
    [PL_FAULT_CPL_NONE] = "none",
    [PL_FAULT_CPL_UR] = "ur",
    [PL_FAULT_CPL_CA] = "ca",
    [PL_FAULT_CPL_TIMEOUT] = "timeout",
};

/* "bar=N" (N 0..5) or "ADDR+LEN" after the kind's colon, into @f. */
static bool parse_cpl_target(const char *t, bool bars, PcieLinkCplFault *f,
                             Error **errp)
{
    g_autofree char *addr = NULL;
    const char *plus;
    uint64_t n;

    if (g_str_has_prefix(t, "bar=")) {
        if (!bars) {
            error_setg(errp, "x-fault-cpl: 'bar=' selects the RC's requests "
                       "to the endpoint's BARs, which this end does not "
                       "complete: give an address range ADDR+LEN");
            return false;
        }
        if (!pcie_link_fault_parse_u64(t + 4, &n) || n > 5) {
            error_setg(errp, "x-fault-cpl: BAR '%s' is not a number 0..5",
                       t + 4);
            return false;
        }
        f->by_bar = true;
        f->bar = n;
        return true;
    }
    plus = strchr(t, '+');
    if (!plus) {
        error_setg(errp, "x-fault-cpl: '%s' is neither bar=N nor ADDR+LEN",
                   t);
        return false;
    }
    addr = g_strndup(t, plus - t);
    if (!pcie_link_fault_parse_u64(addr, &f->addr) ||
        !pcie_link_fault_parse_u64(plus + 1, &f->len)) {
        error_setg(errp, "x-fault-cpl: '%s': ADDR and LEN must be unsigned "
                   "numbers below 2^64 (decimal or 0x hex)", t);
        return false;
    }
    if (!f->len || f->len - 1 > UINT64_MAX - f->addr) {
        error_setg(errp, "x-fault-cpl: '%s': LEN must be at least 1 and "
                   "the range must end at or below 2^64 - 1", t);
        return false;
    }
    return true;
}

bool pcie_link_fault_parse_cpl(const char *str, bool bars,
                               PcieLinkCplFault *f, Error **errp)
{
    PcieLinkCplFault nf = { .kind = PL_FAULT_CPL_NONE };
    const char *colon = strchr(str, ':');
    size_t klen = colon ? (size_t)(colon - str) : strlen(str);
    unsigned k;

    for (k = 0; k < ARRAY_SIZE(cpl_kinds); k++) {
        if (strlen(cpl_kinds[k]) == klen && !strncmp(str, cpl_kinds[k], klen)) {
            break;
        }
    }
    if (k == ARRAY_SIZE(cpl_kinds) || (k == PL_FAULT_CPL_NONE) != !colon) {
        error_setg(errp, "x-fault-cpl: '%s' is not 'none' or "
                   "'ur|ca|timeout:bar=N' or 'ur|ca|timeout:ADDR+LEN'", str);
        return false;
    }
    nf.kind = k;
    if (colon && !parse_cpl_target(colon + 1, bars, &nf, errp)) {
        return false;
    }
    *f = nf;
    return true;
}

char *pcie_link_fault_cpl_str(const PcieLinkCplFault *f)
{
    if (f->kind == PL_FAULT_CPL_NONE) {
        return g_strdup("none");
    }
    if (f->by_bar) {
        return g_strdup_printf("%s:bar=%u", cpl_kinds[f->kind], f->bar);
    }
    return g_strdup_printf("%s:0x%" PRIx64 "+0x%" PRIx64, cpl_kinds[f->kind],
                           f->addr, f->len);
}

/* What a class's properties need: how to find the link, BARs or not. */
typedef struct PcieLinkFaultProps {
    PcieLink *(*link_of)(Object *obj);
    bool bars;
} PcieLinkFaultProps;

static void fault_get_cpl(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const PcieLinkFaultProps *fp = opaque;
    g_autofree char *str =
        pcie_link_fault_cpl_str(&fp->link_of(obj)->faults.cpl);

    visit_type_str(v, name, &str, errp);
}

static void fault_set_cpl(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const PcieLinkFaultProps *fp = opaque;
    g_autofree char *str = NULL;
    g_autofree char *now = NULL;
    PcieLinkCplFault f;

    if (!visit_type_str(v, name, &str, errp) ||
        !pcie_link_fault_parse_cpl(str, fp->bars, &f, errp)) {
        return;
    }
    fp->link_of(obj)->faults.cpl = f;
    now = pcie_link_fault_cpl_str(&f);
    trace_pcie_link_fault_cpl(object_get_typename(obj), now);
}

static void fault_get_delay(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    const PcieLinkFaultProps *fp = opaque;
    uint32_t us = qatomic_read(&fp->link_of(obj)->faults.delay_us);

    visit_type_uint32(v, name, &us, errp);
}

static void fault_set_delay(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    const PcieLinkFaultProps *fp = opaque;
    uint32_t us;

    if (!visit_type_uint32(v, name, &us, errp)) {
        return;
    }
    if (us > PL_FAULT_DELAY_MAX_US) {
        error_setg(errp, "x-fault-delay-us: %" PRIu32 " is over the "
                   "largest delay, %u microseconds (1 s)", us,
                   PL_FAULT_DELAY_MAX_US);
        return;
    }
    qatomic_set(&fp->link_of(obj)->faults.delay_us, us);
    trace_pcie_link_fault_delay(object_get_typename(obj), us);
}

void pcie_link_fault_class_props(ObjectClass *oc,
                                 PcieLink *(*link_of)(Object *obj),
                                 bool bars)
{
    PcieLinkFaultProps *fp = g_new(PcieLinkFaultProps, 1);

    /* one per class, for the life of the program */
    fp->link_of = link_of;
    fp->bars = bars;
    object_class_property_add(oc, "x-fault-cpl", "str", fault_get_cpl,
                              fault_set_cpl, NULL, fp);
    object_class_property_set_description(oc, "x-fault-cpl",
        "Injected fault (experimental): the peer's memory requests to a BAR "
        "or an address range get UR, CA or no completion: none, "
        "ur|ca|timeout:bar=N or ur|ca|timeout:ADDR+LEN");
    object_class_property_add(oc, "x-fault-delay-us", "uint32",
                              fault_get_delay, fault_set_delay, NULL, fp);
    object_class_property_set_description(oc, "x-fault-delay-us",
        "Injected fault (experimental): every message this end sends waits "
        "this many microseconds, 0..1000000");
}

/*
 * Stand-in for QEMU's "qemu/osdep.h" so that the project's QEMU-free files
 * (iATU translation, link codec) build and are tested without a QEMU tree.
 * It provides only what those files may use: C99 integer/bool types,
 * string.h and GLib.
 */
#ifndef DWC_EP_UNIT_OSDEP_H
#define DWC_EP_UNIT_OSDEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#endif

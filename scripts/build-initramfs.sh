#!/bin/sh
# build-initramfs.sh - pack the guests' initramfs (busybox, selftest, scripts).
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/build-initramfs.sh [--help] [--stock] [--flavour normal|debug]
                                  [--tree NAME] [--print-path]

Packs one initramfs (newc cpio, uncompressed) used by both guests:
  * /bin/busybox from Debian's busybox-static:arm64 (downloaded into the
    cache and unpacked there; never installed on the host);
  * /usr/bin/pci_endpoint_test: the kernel's own selftest
    (tools/testing/selftests/pci_endpoint), built static for arm64 against
    the kernel's installed headers;
  * /usr/bin/<name>: bench/guest/<name>.c and tests/guest/<name>.c, static;
  * /lib/modules/<release>: the kernel's modules (NTB clients);
  * images/guest/: /init and the guest scripts under /usr/share/dwc-ep.
The kernel must be built first (scripts/build-kernel.sh).  Output:
\$DWC_EP_CACHE/initramfs/<hash of inputs>.cpio; rebuilt only when an input
changes.  The hash covers the kernel's release and modules, so the cpio of
the stock kernel and that of the patched one have names of their own and
are kept side by side (the eight newest cpios are kept).

  --stock        the same initramfs for the stock kernel (scripts/
                 build-kernel.sh --stock): its modules and release, and the
                 selftest built from its tree and headers; what run-pair.sh
                 --ep-kernel stock boots in the EP guest
  --flavour F    the initramfs of that flavour of the kernel (scripts/
                 build-kernel.sh --flavour F): 'normal' (default) or 'debug'
  --tree NAME    the initramfs of the kernel built in that tree (scripts/
                 build-kernel.sh --tree NAME)
  --print-path   print the path of the cpio for the current inputs (of the
                 stock kernel with --stock) and exit

Environment:
  BUSYBOX_PKG    Debian package for busybox (default busybox-static:arm64)
  SELFTEST_TIMEOUT  seconds the selftest harness gives each test (default
                 180; the kernel's harness says 30, for hardware)
USAGE
}

print_path=0
# The options that pick the kernel, passed on to build-kernel.sh.
kopts=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --print-path) print_path=1 ;;
    --stock) kopts="$kopts --stock" ;;
    --flavour|--tree)
        [ $# -ge 2 ] || { echo "build-initramfs.sh: $1 needs a value (see --help)" >&2; exit 2; }
        kopts="$kopts $1 $2"; shift ;;
    *) echo "build-initramfs.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

BUSYBOX_PKG=${BUSYBOX_PKG:-busybox-static:arm64}
SELFTEST_TIMEOUT=${SELFTEST_TIMEOUT:-180}
# shellcheck disable=SC2086
kbuild=$("$DWC_EP_TOP/scripts/build-kernel.sh" $kopts --print-dir) || exit 2
[ -f "$kbuild/include/config/kernel.release" ] ||
    die "no kernel build in $kbuild: run scripts/build-kernel.sh$kopts first"
krel=$(cat "$kbuild/include/config/kernel.release")
ksrc=$(readlink -f "$kbuild/source" 2>/dev/null || true)
[ -d "$ksrc/tools/testing/selftests/pci_endpoint" ] ||
    die "kernel source of $kbuild has no tools/testing/selftests/pci_endpoint"
selftest_src=$ksrc/tools/testing/selftests/pci_endpoint

key=$( { hash_inputs "$DWC_EP_TOP/images/guest" "$DWC_EP_TOP/bench/guest" \
         "$DWC_EP_TOP/tests/guest" "$selftest_src" \
         "$DWC_EP_TOP/scripts/build-initramfs.sh";
         echo "$krel $BUSYBOX_PKG $SELFTEST_TIMEOUT";
         find "$kbuild/modules-install" -type f -name '*.ko' -exec sha256sum {} + 2>/dev/null | sort; } |
       sha256sum | cut -c1-12)
out=$DWC_EP_CACHE/initramfs/$key.cpio
if [ "$print_path" = 1 ]; then
    echo "$out"
    exit 0
fi
if [ -f "$out" ]; then
    echo "==> [initramfs] up to date: $out"
    exit 0
fi

step initramfs "packing initramfs for $krel"
: >"$_step_log"
work=$DWC_EP_CACHE/initramfs/work-$key
rm -rf "$work"
mkdir -p "$work/root" "$work/bb"

# busybox-static:arm64, unpacked from its .deb.
bbname=${BUSYBOX_PKG%%:*}
deb=$(ls "$DWC_EP_DL/${bbname}"_*_arm64.deb 2>/dev/null | tail -1 || true)
if [ -z "$deb" ]; then
    apt_fetch "binary package $BUSYBOX_PKG (is arm64 enabled? run scripts/bootstrap.sh)" \
        apt-get download -q "$BUSYBOX_PKG"
    deb=$(ls "$DWC_EP_DL/${bbname}"_*_arm64.deb 2>/dev/null | tail -1 || true)
fi
[ -n "$deb" ] || die "download of $BUSYBOX_PKG produced no arm64 .deb in $DWC_EP_DL"
run_logged dpkg-deb -x "$deb" "$work/bb"
[ -x "$work/bb/bin/busybox" ] || die "$deb has no /bin/busybox"

# The kernel's pci_endpoint_test selftest, static for arm64.  Its harness
# gives each test 30 s, a budget for hardware: here every BAR access is a
# round trip between two TCG guests, and CONSECUTIVE_BAR_TEST (about a
# million of them) or MSIX_TEST (2048 vectors) can take longer than that
# on a loaded 2-core machine.  The selftest is built against a copy of the
# harness whose only change is a per-test limit of $SELFTEST_TIMEOUT s;
# the tests and their checks are the kernel's own.
mkdir -p "$work/harness"
sed "s/^#define TEST_TIMEOUT_DEFAULT [0-9]*$/#define TEST_TIMEOUT_DEFAULT $SELFTEST_TIMEOUT/" \
    "$ksrc/tools/testing/selftests/kselftest_harness.h" >"$work/harness/kselftest_harness.h"
grep -q "^#define TEST_TIMEOUT_DEFAULT $SELFTEST_TIMEOUT\$" "$work/harness/kselftest_harness.h" ||
    die "kselftest_harness.h of $ksrc has no TEST_TIMEOUT_DEFAULT to raise"
run_logged "${CROSS_COMPILE}gcc" -static -O2 -Wall \
    -isystem "$kbuild/headers-install/include" -I "$work/harness" \
    -I "$ksrc/tools/testing/selftests" -I "$ksrc/tools/include/uapi" \
    -o "$work/pci_endpoint_test" "$selftest_src/pci_endpoint_test.c"
run_logged "${CROSS_COMPILE}strip" "$work/pci_endpoint_test"

# The benchmarks' and tests' guest helpers (bench/guest/*.c,
# tests/guest/*.c), static for arm64.
for c in "$DWC_EP_TOP"/bench/guest/*.c "$DWC_EP_TOP"/tests/guest/*.c; do
    b=$(basename "$c" .c)
    run_logged "${CROSS_COMPILE}gcc" -static -O2 -Wall \
        -isystem "$kbuild/headers-install/include" -o "$work/$b" "$c"
    run_logged "${CROSS_COMPILE}strip" "$work/$b"
done

# File list for the kernel's gen_init_cpio (no root needed for /dev/console).
list=$work/list
{
    for d in /bin /sbin /usr /usr/bin /usr/sbin /usr/share /usr/share/dwc-ep \
             /dev /proc /sys /tmp /run /root /etc /lib /lib/modules /mnt; do
        echo "dir $d 0755 0 0"
    done
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "file /bin/busybox $work/bb/bin/busybox 0755 0 0"
    echo "slink /bin/sh busybox 0777 0 0"
    echo "file /usr/bin/pci_endpoint_test $work/pci_endpoint_test 0755 0 0"
    for c in "$DWC_EP_TOP"/bench/guest/*.c "$DWC_EP_TOP"/tests/guest/*.c; do
        b=$(basename "$c" .c)
        echo "file /usr/bin/$b $work/$b 0755 0 0"
    done
    echo "file /init $DWC_EP_TOP/images/guest/init 0755 0 0"
    for f in "$DWC_EP_TOP"/images/guest/*; do
        [ "$(basename "$f")" = init ] && continue
        echo "file /usr/share/dwc-ep/$(basename "$f") $f 0755 0 0"
    done
    if [ -d "$kbuild/modules-install/lib/modules/$krel" ]; then
        # The release directory itself too: the kernel's initramfs unpacker
        # creates no missing parents, so files under a directory that has no
        # entry of its own are dropped.
        (cd "$kbuild/modules-install" && find "lib/modules/$krel" | sort |
            while read -r p; do
                if [ -L "$p" ]; then :   # build/source links point at the host
                elif [ -d "$p" ]; then echo "dir /$p 0755 0 0"
                else echo "file /$p $kbuild/modules-install/$p 0644 0 0"; fi
            done)
    fi
} >"$list"
mkdir -p "$(dirname "$out")"
run_logged sh -c "'$kbuild/usr/gen_init_cpio' '$list' > '$out.tmp'"
mv "$out.tmp" "$out"
# Keep the eight newest images; older inputs are gone.
ls -t "$DWC_EP_CACHE"/initramfs/*.cpio | tail -n +9 | xargs -r rm -f
rm -rf "$work"
step_done "$out ($(du -h "$out" | cut -f1))"

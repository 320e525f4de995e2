#!/bin/sh
# build.sh - build the libFuzzer targets of tests/fuzz with clang.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)

TARGETS="link-proto iatu"
# With a QEMU build (QEMU_BUILD), also the link layer harness.
[ -z "${QEMU_BUILD:-}" ] || TARGETS="$TARGETS link"

# src_of NAME: the QEMU-free file a target fuzzes.
src_of() {
    case "$1" in
    link-proto) echo qemu/hw/pci-ep/pcie-link-proto.c ;;
    iatu) echo qemu/hw/pci-ep/dw-pcie-iatu.c ;;
    esac
}

usage() {
    cat <<USAGE
Usage: tests/fuzz/build.sh [--help] [--list] [--gen-corpus] OUTDIR

Builds the fuzz targets into OUTDIR with
  \$CLANG -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
against the include shim of the unit tests (tests/unit/shim, qemu/include):
  fuzz-link-proto  tests/fuzz/fuzz-link-proto.c + $(src_of link-proto)
  fuzz-iatu        tests/fuzz/fuzz-iatu.c + $(src_of iatu)
and, when QEMU_BUILD names a build tree of scripts/build-qemu.sh (with
its source next to it, in ../src), the link layer harness:
  fuzz-link        tests/fuzz/fuzz-link.c + qemu/hw/pci-ep/pcie-link.c,
                   pcie-link-tx.c, pcie-link-request.c and
                   pcie-link-proto.c (clang, instrumented), linked with
                   that build's objects of QEMU's util, QOM, I/O channel,
                   crypto, authz, chardev and I/O thread code (gcc, not
                   instrumented)
A target is rebuilt only when its sources or the flags changed.

  --list        print the target names and exit
  --gen-corpus  also rewrite the seed corpora tests/fuzz/corpus/<target>/
                with gen-corpus.c (built with cc); files of other names
                there (e.g. saved reproducers) are left alone

Run a target by hand (new inputs go to the first directory):
  OUTDIR/fuzz-iatu -max_total_time=60 NEWDIR tests/fuzz/corpus/iatu
Replay a reproducer: OUTDIR/fuzz-iatu CRASHFILE

Environment:
  QEMU_BUILD  a QEMU build directory (scripts/build-qemu.sh --print-dir)
              for the link target; without it the target is left out
  CLANG   the compiler (default clang; Debian package clang with
          libclang-rt-14-dev, installed by scripts/bootstrap.sh)
USAGE
}

gen=0
out=
for a in "$@"; do
    case "$a" in
    -h|--help) usage; exit 0 ;;
    --list) echo "$TARGETS"; exit 0 ;;
    --gen-corpus) gen=1 ;;
    -*) echo "build.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "build.sh: one OUTDIR only" >&2; exit 2; }
       out=$a ;;
    esac
done
[ -n "$out" ] || { echo "build.sh: no OUTDIR (see --help)" >&2; exit 2; }
mkdir -p "$out"

CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null 2>&1 ||
    { echo "build.sh: $CLANG not found (scripts/bootstrap.sh installs clang)" >&2; exit 1; }
glib_cflags=$(pkg-config --cflags glib-2.0)
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -I$top/tests/unit/shim -I$top/qemu/include $glib_cflags"

# build_link: the link layer harness, against the QEMU build $QEMU_BUILD.
build_link() {
    b=$(cd "$QEMU_BUILD" && pwd)
    s=$(cd "$b/../src" && pwd)
    [ -f "$b/libqemuutil.a" ] && [ -f "$b/libblockdev.a.p/iothread.c.o" ] ||
        { echo "build.sh: $b is not a complete QEMU build (run scripts/build-qemu.sh)" >&2; exit 1; }
    objs=$(ls "$b"/libevent-loop-base.a.p/*.o "$b"/libqom.a.p/*.o \
              "$b"/libio.a.p/*.o "$b"/libcrypto.a.p/*.o "$b"/libauthz.a.p/*.o \
              "$b"/libchardev.a.p/*.o "$b/libblockdev.a.p/iothread.c.o")
    qflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE
 -fno-strict-aliasing -fno-common -fwrapv -mcx16 -msse2
 -I$b -I$b/qapi -I$b/trace -iquote $top/qemu/include -iquote $s/include -iquote $s
 -iquote $s/host/include/x86_64 -iquote $s/host/include/generic
 -isystem $s/linux-headers -isystem $b/linux-headers
 -I$top/tests/fuzz $glib_cflags $(pkg-config --cflags gnutls)"
    # this checkout's link code, not the build's copy of it
    srcs="$top/tests/fuzz/fuzz-link.c"
    for f in pcie-link.c pcie-link-tx.c pcie-link-request.c pcie-link-proto.c; do
        srcs="$srcs $top/qemu/hw/pci-ep/$f"
    done
    hash=$( { echo "$CLANG $qflags"; "$CLANG" --version; cat $srcs \
              "$top/tests/fuzz/fuzz-common.h" "$top"/qemu/include/hw/pci-ep/*.h \
              "$top"/qemu/hw/pci-ep/pcie-link-internal.h;
              ls -l $objs "$b/libqemuutil.a"; } | sha256sum | cut -c1-16)
    if [ -x "$out/fuzz-link" ] && [ "$(cat "$out/fuzz-link.hash" 2>/dev/null)" = "$hash" ]; then
        echo "fuzz-link: up to date"
        return
    fi
    echo "fuzz-link: $CLANG tests/fuzz/fuzz-link.c pcie-link{,-tx,-request,-proto}.c + $b"
    rm -f "$out/fuzz-link.hash"
    # shellcheck disable=SC2086
    "$CLANG" $qflags -o "$out/fuzz-link" $srcs $objs \
        -Wl,--start-group "$b/libqemuutil.a" $(pkg-config --libs glib-2.0 gnutls) \
        -lrt -lutil -lm -pthread -Wl,--end-group
    echo "$hash" >"$out/fuzz-link.hash"
}

for t in $TARGETS; do
    if [ "$t" = link ]; then
        build_link
        continue
    fi
    fsrc=$top/tests/fuzz/fuzz-$t.c
    csrc=$top/$(src_of "$t")
    hash=$( { echo "$CLANG $CFLAGS"; "$CLANG" --version;
              cat "$fsrc" "$csrc" "$top/tests/fuzz/fuzz-common.h" \
                  "$top"/qemu/include/hw/pci-ep/pcie-link-proto.h \
                  "$top"/qemu/include/hw/pci-ep/dw-pcie-iatu.h \
                  "$top"/tests/unit/shim/qemu/*.h; } | sha256sum | cut -c1-16)
    if [ -x "$out/fuzz-$t" ] && [ "$(cat "$out/fuzz-$t.hash" 2>/dev/null)" = "$hash" ]; then
        echo "fuzz-$t: up to date"
        continue
    fi
    echo "fuzz-$t: $CLANG $(src_of "$t") tests/fuzz/fuzz-$t.c"
    rm -f "$out/fuzz-$t.hash"
    # shellcheck disable=SC2086
    "$CLANG" $CFLAGS -o "$out/fuzz-$t" "$fsrc" "$csrc"
    echo "$hash" >"$out/fuzz-$t.hash"
done

if [ "$gen" = 1 ]; then
    echo "gen-corpus: writing tests/fuzz/corpus/"
    # shellcheck disable=SC2086
    ${CC:-cc} -std=gnu11 -O1 -Wall -Wextra -I"$top/tests/unit/shim" \
        -I"$top/qemu/include" $glib_cflags -o "$out/gen-corpus" \
        "$top/tests/fuzz/gen-corpus.c" "$top/$(src_of link-proto)"
    mkdir -p "$top/tests/fuzz/corpus"
    "$out/gen-corpus" "$top/tests/fuzz/corpus"
fi

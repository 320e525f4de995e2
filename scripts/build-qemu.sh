#!/bin/sh
# build-qemu.sh - fetch QEMU 10.0 from Debian, overlay our files, build it.
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/build-qemu.sh [--help] [--sanitize] [--print-dir]

Builds qemu-system-aarch64 (TCG, plus the qtest accelerator) with this
repository's device models:
  1. downloads the Debian source package qemu=\$QEMU_DEB_VERSION
     (default $QEMU_DEB_VERSION, from trixie) into the cache;
  2. unpacks it (without roms/, whose edk2 and firmware sources we never
     use) and applies qemu/patches/*.patch in name order (when they change,
     the previous set is reverted first);
  3. copies the other files under qemu/ over the tree (only changed files, so
     ninja rebuilds only what changed);
  4. configures aarch64-softmmu with /usr/bin/python3 and the system meson,
     and builds with ninja.

The tree and build are cached in \$DWC_EP_CACHE/qemu/<version>-<hash of
configure options>/; a second run rebuilds only what changed.  The normal
and the sanitizer tree of the current version live side by side; trees of
other versions or options are removed when a tree is unpacked.

  --sanitize    build the sanitizer tree instead: the same configuration
                plus QEMU's --enable-asan --enable-ubsan (AddressSanitizer
                and UndefinedBehaviorSanitizer, gcc), for scripts/test.sh
                --suite asan (logs: qemu-asan-*.log)
  --print-dir   print the build directory and exit (building nothing)

Environment:
  QEMU_DEB_VERSION  Debian version of the qemu source package to fetch
  QEMU_SRC          use this QEMU source tree instead of fetching (it is
                    copied, patched and overlaid; your tree is not touched)
  DWC_EP_CACHE      cache root (default ~/.cache/dwc-pcie-ep)
USAGE
}

print_dir=0
sanitize=0
for a in "$@"; do
    case "$a" in
    -h|--help) usage; exit 0 ;;
    --print-dir) print_dir=1 ;;
    --sanitize) sanitize=1 ;;
    *) echo "build-qemu.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    esac
done

CONFIGURE_ARGS="--target-list=aarch64-softmmu --python=/usr/bin/python3
 --disable-download --without-default-features --enable-fdt=system --enable-gnutls
 --enable-tcg --disable-docs --disable-install-blobs --enable-trace-backends=log
 --disable-werror"
SANITIZE_ARGS="--enable-asan --enable-ubsan"

upstream=${QEMU_DEB_VERSION#*:}
upstream=${upstream%-*}
if [ -n "${QEMU_SRC:-}" ]; then
    [ -f "$QEMU_SRC/VERSION" ] || die "QEMU_SRC=$QEMU_SRC does not look like a QEMU tree (no VERSION file)"
    upstream=local-$(cat "$QEMU_SRC/VERSION")
fi
# key_for ARGS: the cache key of a tree configured with ARGS.
key_for() {
    echo "$upstream-$(echo "$1" "${QEMU_SRC:-}" | sha256sum | cut -c1-8)"
}
normal_key=$(key_for "$CONFIGURE_ARGS")
sanitize_key=$(key_for "$CONFIGURE_ARGS $SANITIZE_ARGS")
if [ "$sanitize" = 1 ]; then
    CONFIGURE_ARGS="$CONFIGURE_ARGS $SANITIZE_ARGS"
    key=$sanitize_key
    sfx=-asan       # step and log names: qemu-asan-build, ...
    what=" (ASan + UBSan)"
else
    key=$normal_key
    sfx=
    what=
fi
root=$DWC_EP_CACHE/qemu/$key
src=$root/src
build=$root/build
if [ "$print_dir" = 1 ]; then
    echo "$build"
    exit 0
fi

# 1: source tree.
if [ ! -f "$root/.src-ready" ]; then
    step "qemu$sfx-fetch" "QEMU source $upstream$what"
    : >"$_step_log"
    # Trees for other versions or options are stale: drop them, but keep
    # the other flavour (normal or sanitizer) of this version and options.
    for d in "$DWC_EP_CACHE"/qemu/*; do
        case "${d##*/}" in
        "$normal_key"|"$sanitize_key") ;;
        *) rm -rf "$d" ;;
        esac
    done
    rm -rf "$root"
    mkdir -p "$src"
    if [ -n "${QEMU_SRC:-}" ]; then
        run_logged cp -a "$QEMU_SRC/." "$src/"
    else
        tarball=$DWC_EP_DL/qemu_$upstream.orig.tar.xz
        if [ ! -f "$tarball" ]; then
            apt_fetch "source package qemu=$QEMU_DEB_VERSION" \
                apt-get source --download-only -q "qemu=$QEMU_DEB_VERSION"
        fi
        [ -f "$tarball" ] || die "download of qemu=$QEMU_DEB_VERSION did not produce $tarball"
        run_logged tar xJf "$tarball" -C "$src" --strip-components=1 \
            --exclude='*/roms/?*'
    fi
    touch "$root/.src-ready"
    step_done "$src"
fi

# 2: our edits to existing files.  The applied copies are kept in
# $root/applied; when qemu/patches changes they are reverted (last first)
# and the new set applied, so only the files they touch are rebuilt.
patch_hash=$(hash_inputs "$DWC_EP_TOP/qemu/patches")
if [ "$(cat "$root/.patches" 2>/dev/null)" != "$patch_hash" ]; then
    step "qemu$sfx-patches" "applying qemu/patches$what"
    : >"$_step_log"
    if [ -d "$root/applied" ]; then
        for p in $(cd "$root/applied" && ls -r -- *.patch 2>/dev/null); do
            echo "  reverting $p" >>"$_step_log"
            patch -d "$src" -p1 -R --batch -s -i "$root/applied/$p" >>"$_step_log" 2>&1 || {
                rm -f "$root/.src-ready"
                die "[$_step_name] could not revert $p; the tree will be unpacked afresh on the next run"
            }
        done
        rm -rf "$root/applied"
    fi
    rm -f "$root/.patches"
    mkdir -p "$root/applied"
    for p in "$DWC_EP_TOP"/qemu/patches/*.patch; do
        [ -e "$p" ] || continue
        echo "  $(basename "$p")"
        patch -d "$src" -p1 --forward --batch -s -i "$p" >>"$_step_log" 2>&1 || {
            tail -n 20 "$_step_log" >&2
            rm -f "$root/.src-ready"
            die "[$_step_name] $(basename "$p") does not apply to QEMU $upstream; log: $_step_log"
        }
        cp "$p" "$root/applied/"
    done
    echo "$patch_hash" >"$root/.patches"
    step_done
fi

# 3: overlay (copy changed files only; remove files we dropped since).
step "qemu$sfx-overlay" "overlaying qemu/ onto the tree$what"
: >"$_step_log"
manifest=$root/.overlay-files
new_manifest=$root/.overlay-files.new
(cd "$DWC_EP_TOP/qemu" && find . -type f ! -path './patches/*' ! -name '*~' | LC_ALL=C sort) >"$new_manifest"
if [ -f "$manifest" ]; then
    LC_ALL=C comm -23 "$manifest" "$new_manifest" | while read -r f; do
        echo "  removing $f" >>"$_step_log"; rm -f "$src/$f"; done
fi
n=0
while read -r f; do
    if ! cmp -s "$DWC_EP_TOP/qemu/$f" "$src/$f"; then
        mkdir -p "$(dirname "$src/$f")"
        cp "$DWC_EP_TOP/qemu/$f" "$src/$f"
        echo "  updated $f" >>"$_step_log"
        n=$((n + 1))
    fi
done <"$new_manifest"
mv "$new_manifest" "$manifest"
step_done "$n file(s) updated"

# 4: configure and build.
if [ ! -f "$build/build.ninja" ]; then
    step "qemu$sfx-configure" "configuring aarch64-softmmu$what"
    : >"$_step_log"
    mkdir -p "$build"
    # shellcheck disable=SC2086
    (cd "$build" && run_logged "$src/configure" $CONFIGURE_ARGS)
    step_done
fi
if [ "$sanitize" = 1 ]; then
    step qemu-asan-build "ninja in $build (ASan + UBSan; about 10 minutes from scratch on 2 cores)"
else
    step qemu-build "ninja in $build (about 8 minutes from scratch on 2 cores)"
fi
: >"$_step_log"
run_logged ninja -C "$build" qemu-system-aarch64
step_done "$build/qemu-system-aarch64"

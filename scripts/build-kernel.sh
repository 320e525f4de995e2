#!/bin/sh
# build-kernel.sh - unpack Linux 7.2 from Debian, apply our series, build Image
# (or, with --stock, build it as Debian ships it, for the SoC faces' EP guest).
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/build-kernel.sh [--help] [--stock] [--flavour normal|debug]
                               [--tree NAME] [--print-dir]

Builds an arm64 Image for both guests:
  1. downloads the Debian binary package \$LINUX_SOURCE_PKG (default
     $LINUX_SOURCE_PKG) and unpacks its tarball into the cache, once;
  2. whenever kernel-patches/ changes, reverts the series applied last and
     applies kernel-patches/series (patch -p1, in order); files no patch
     touches keep their timestamps, so rebuilds are incremental;
  3. configures with 'make allnoconfig' plus kernel-patches/config.fragment
     (and, for the debug flavour, kernel-patches/config-debug.fragment) and
     checks that every option of the fragments took;
  4. builds Image and modules, and installs headers (for the selftest) and
     modules (for the initramfs) into the build directory.
Fragment lines with a trailing comment '# series only ...' set options that
only kernel-patches/ adds (CONFIG_PCIE_QEMU_EP); the comment is stripped
before configuring.

Each configuration builds in a directory of its own, keyed by its flavour
and the hash of its effective fragment: \$DWC_EP_CACHE/kernel/<tree>/
build-<flavour>-<hash>.  Switching flavour, or back to a fragment built
before, rebuilds nothing; the two newest directories of each flavour are
kept.  The source tree (and so the series applied to it) is shared by the
flavours of one tree.

  --flavour normal   the guests' kernel (default)
  --flavour debug    the same plus kernel-patches/config-debug.fragment
                     (lockdep, atomic-sleep checks, generic KASAN, list and
                     work-object debugging, DEBUG_SHIRQ, kmemleak); its
                     release ends in -debug
  --stock       build Linux 7.2 as Debian ships it instead: the same
                tarball, unpacked into a tree of its own (\$DWC_EP_CACHE/
                kernel/\$LINUX_SOURCE_PKG-stock) where no patch is ever
                applied, with the fragment minus its '# series only' lines,
                and a release ending in -stock.  run-pair.sh --ep-kernel
                stock boots it in the EP guest of a SoC face, whose stock
                driver needs none of our series
  --tree NAME   use a source tree of its own, \$DWC_EP_CACHE/kernel/
                \$LINUX_SOURCE_PKG-NAME (NAME: letters, digits, '-'), which
                KERNEL_SERIES_DIR patches without touching the main tree;
                tests/regressions/run.sh builds its variants there
  --print-dir   print the build directory of the other options and exit,
                building nothing

Environment:
  LINUX_SOURCE_PKG   Debian package carrying the kernel tarball
  KERNEL_SRC         use this kernel tree instead (yours: it is built
                     out of tree with O=, and the series is NOT applied;
                     apply your series there yourself); not with --stock
                     or --tree
  KERNEL_SERIES_DIR  directory with a 'series' file and patches
                     (default kernel-patches/); applied to the Debian tree
  DWC_EP_CACHE       cache root (default ~/.cache/dwc-pcie-ep)
  JOBS               make -j (default: number of CPUs)
USAGE
}

print_dir=0
stock=0
flavour=normal
tree=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --print-dir) print_dir=1 ;;
    --stock) stock=1 ;;
    --flavour)
        case "${2:-}" in normal|debug) flavour=$2 ;;
        *) echo "build-kernel.sh: --flavour takes 'normal' or 'debug', not '${2:-}'" >&2; exit 2 ;; esac
        shift ;;
    --tree)
        case "${2:-}" in ''|-*|*[!A-Za-z0-9-]*)
            echo "build-kernel.sh: --tree takes a name of letters, digits and '-', not '${2:-}'" >&2; exit 2 ;; esac
        tree=$2; shift ;;
    *) echo "build-kernel.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$stock" = 0 ] || [ -z "$tree" ] ||
    { echo "build-kernel.sh: --stock has its own tree; it does not take --tree" >&2; exit 2; }

series_dir=${KERNEL_SERIES_DIR:-$DWC_EP_TOP/kernel-patches}
fragment=$DWC_EP_TOP/kernel-patches/config.fragment
jobs=${JOBS:-$(nproc)}
# series_touches DIR: the files the patches of DIR/series change (-p1).
series_touches() {
    for _p in $(series_list "$1"); do
        sed -n -e 's#^+++ b/\([^[:space:]]*\).*#\1#p' -e 's#^--- a/\([^[:space:]]*\).*#\1#p' "$1/$_p"
    done
}
# The release gets "-stock" for the stock tree and "-debug" for the debug
# flavour (after CONFIG_LOCALVERSION): their modules' directories, and so
# their initramfs, differ from the normal patched build's, whose release
# is unchanged.
sfx=
[ "$stock" = 1 ] && sfx=-stock
localversion=$sfx
[ "$flavour" = debug ] && localversion=$localversion-debug
kmake() {
    make -C "$ksrc" O="$kbuild" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" \
        ${localversion:+LOCALVERSION=$localversion} "$@"
}

if [ "$stock" = 1 ] && [ -n "${KERNEL_SRC:-}" ]; then
    die "--stock builds Debian's $LINUX_SOURCE_PKG as shipped; it does not take KERNEL_SRC (your tree: build it without --stock)"
fi
if [ -n "$tree" ] && [ -n "${KERNEL_SRC:-}" ]; then
    die "--tree makes a Debian tree of its own; it does not take KERNEL_SRC (your tree: build it without --tree)"
fi
[ -n "$tree" ] && sfx=-$tree
if [ -n "${KERNEL_SRC:-}" ]; then
    [ -f "$KERNEL_SRC/Makefile" ] && [ -d "$KERNEL_SRC/arch/arm64" ] ||
        die "KERNEL_SRC=$KERNEL_SRC does not look like a Linux tree"
    ksrc=$(cd "$KERNEL_SRC" && pwd)
    kroot=$DWC_EP_CACHE/kernel/local-$(echo "$ksrc" | sha256sum | cut -c1-8)
else
    kroot=$DWC_EP_CACHE/kernel/$LINUX_SOURCE_PKG$sfx
    ksrc=$kroot/src
fi

# The effective fragment: config.fragment with the '# series only'
# comments stripped (patched trees) or those lines dropped (stock), plus
# config-debug.fragment for the debug flavour.  Its hash names the build
# directory.
effective_fragment() {
    if [ "$stock" = 1 ]; then
        sed -e '/^CONFIG_[^#]*#[[:space:]]*series only/d' "$fragment"
    else
        sed -e 's/^\(CONFIG_[^#]*[^#[:space:]]\)[[:space:]]*#[[:space:]]*series only.*$/\1/' "$fragment"
    fi
    [ "$flavour" = normal ] || cat "$DWC_EP_TOP/kernel-patches/config-$flavour.fragment"
}
# Hashed as hash_inputs hashes a file named config.fragment (the hash the
# normal build had before directories were keyed), from the text itself:
# --print-dir writes nothing, as tests run it side by side.
frag_hash=$({ echo config.fragment; effective_fragment; } | sha256sum | cut -c1-12)
kbuild=$kroot/build-$flavour-$frag_hash
if [ "$print_dir" = 1 ]; then
    echo "$kbuild"
    exit 0
fi
# The file configure reads is kept beside the tree, not in it (an unpack
# starts the tree afresh); written to a name of this run's own first.
fragdir=$kroot.fragment-$flavour
mkdir -p "$fragdir"
effective_fragment >"$fragdir/new.$$"
mv -f "$fragdir/new.$$" "$fragdir/config.fragment"

# 1: pristine tree.
if [ -z "${KERNEL_SRC:-}" ] && [ ! -f "$kroot/.src-ready" ]; then
    step kernel$sfx-fetch "unpacking $LINUX_SOURCE_PKG (about a minute)"
    : >"$_step_log"
    deb=$(ls "$DWC_EP_DL/${LINUX_SOURCE_PKG}"_*_all.deb 2>/dev/null | tail -1 || true)
    if [ -z "$deb" ]; then
        apt_fetch "binary package $LINUX_SOURCE_PKG" apt-get download -q "$LINUX_SOURCE_PKG"
        deb=$(ls "$DWC_EP_DL/${LINUX_SOURCE_PKG}"_*_all.deb 2>/dev/null | tail -1 || true)
    fi
    [ -n "$deb" ] || die "download of $LINUX_SOURCE_PKG produced no .deb in $DWC_EP_DL"
    rm -rf "$kroot"
    mkdir -p "$ksrc"
    tarball=usr/src/$LINUX_SOURCE_PKG.tar.xz
    run_logged sh -c "dpkg-deb --fsys-tarfile '$deb' | tar xO './$tarball' | \
        tar xJ -C '$ksrc' --strip-components=1"
    [ -f "$ksrc/Makefile" ] || die "$deb did not contain $tarball"
    touch "$kroot/.src-ready"
    step_done "$ksrc ($(make -s -C "$ksrc" kernelversion))"
fi

# 2: the series.  The applied copy is kept in $kroot/applied, so a changed
# series is first reversed (newest patch first), then the new one applied;
# files that no patch touches keep their timestamps.  Not for --stock: its
# tree stays as unpacked, and one that was ever patched is refused.
if [ "$stock" = 1 ] && { [ -e "$kroot/applied" ] || [ -e "$kroot/.series" ]; }; then
    die "$kroot was patched (it has applied/ or .series): it is no stock tree; remove $kroot and run again"
fi
if [ -z "${KERNEL_SRC:-}" ] && [ "$stock" = 0 ]; then
    [ -f "$series_dir/series" ] || die "no series file in $series_dir"
    # Keyed by the series and its patches only: the config fragment and
    # other files beside them do not make the tree be patched again.
    series_hash=$(cd "$series_dir" && hash_inputs series $(series_list .) \
        $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' series | while read -r e; do
            [ ! -d "$e" ] || echo "$e/series"; done))
    if [ "$(cat "$kroot/.series" 2>/dev/null)" != "$series_hash" ]; then
        step kernel-series "applying $series_dir/series"
        : >"$_step_log"
        # The files either series touches, with their content hash and
        # time before: one that ends with the same content gets its time
        # back, so kbuild rebuilds only what the change of series changed
        # (reverting and applying a patch that stays touches its files).
        stamps=$kroot/.series-stamps
        { [ ! -d "$kroot/applied" ] || series_touches "$kroot/applied"
          series_touches "$series_dir"; } | sort -u | while IFS= read -r f; do
            [ -f "$ksrc/$f" ] || continue
            printf '%s %s %s\n' "$(sha256sum <"$ksrc/$f" | cut -c1-64)" \
                "$(stat -c %Y "$ksrc/$f")" "$f"
        done >"$stamps"
        if [ -d "$kroot/applied" ]; then
            for p in $(series_list "$kroot/applied" | sed '1!G;h;$!d'); do
                echo "  reverting $p" >>"$_step_log"
                patch -d "$ksrc" -p1 -R --batch -s -i "$kroot/applied/$p" >>"$_step_log" 2>&1 || {
                    rm -f "$kroot/.src-ready"
                    die "[kernel-series] could not revert $p; the tree will be unpacked afresh on the next run"
                }
            done
            rm -rf "$kroot/applied"
        fi
        rm -f "$kroot/.series"
        mkdir -p "$kroot/applied"
        # The applied copy's series file is flat: each patch by its path.
        series_list "$series_dir" >"$kroot/applied/series"
        for p in $(series_list "$series_dir"); do
            echo "  $p"
            mkdir -p "$(dirname "$kroot/applied/$p")"
            cp "$series_dir/$p" "$kroot/applied/$p"
            patch -d "$ksrc" -p1 --forward --batch -s -i "$series_dir/$p" >>"$_step_log" 2>&1 || {
                tail -n 20 "$_step_log" >&2
                rm -f "$kroot/.src-ready"
                die "[kernel-series] $p does not apply to $LINUX_SOURCE_PKG; log: $_step_log"
            }
        done
        kept=0
        while read -r sum mtime f; do
            [ -f "$ksrc/$f" ] || continue
            [ "$(sha256sum <"$ksrc/$f" | cut -c1-64)" = "$sum" ] || continue
            touch -d "@$mtime" "$ksrc/$f"
            kept=$((kept + 1))
        done <"$stamps"
        echo "$series_hash" >"$kroot/.series"
        step_done "$kept unchanged file(s) kept their times"
    fi
fi

# 3: configuration, in the directory of this fragment (kbuild then builds
# it from scratch once).  A build directory from before directories were
# keyed ($kroot/build) is taken over when its fragment matches.
fragment=$fragdir/config.fragment
if [ ! -d "$kbuild" ] && [ "$flavour" = normal ] && [ -d "$kroot/build" ] &&
    [ "$(cat "$kroot/build/.config-fragment" 2>/dev/null)" = "$frag_hash" ]; then
    mv "$kroot/build" "$kbuild"
fi
mkdir -p "$kbuild"
touch "$kbuild"
if [ "$(cat "$kbuild/.config-fragment" 2>/dev/null)" != "$frag_hash" ]; then
    step kernel$sfx-$flavour-config "allnoconfig + $(basename "$fragment")"
    : >"$_step_log"
    rm -f "$kbuild/.config-fragment"
    run_logged kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig
    missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while IFS= read -r l; do
        grep -qxF "$l" "$kbuild/.config" || echo "$l"; done)
    if [ -n "$missing" ]; then
        echo "$missing" >&2
        die "[$_step_name] these fragment options did not take (a dependency is missing or the name is wrong); see $kbuild/.config"
    fi
    echo "$frag_hash" >"$kbuild/.config-fragment"
    step_done
fi
# Keep the two newest build directories of this flavour.
# shellcheck disable=SC2012
ls -dt "$kroot"/build-"$flavour"-* 2>/dev/null | tail -n +3 | while IFS= read -r old; do
    rm -rf "$old"
done

# 4: build.
step kernel$sfx-$flavour-build "make Image modules (about 10 minutes from scratch on 2 cores, more for debug)"
: >"$_step_log"
run_logged kmake -j"$jobs" Image modules
rm -rf "$kbuild/modules-install" "$kbuild/headers-install"
run_logged kmake INSTALL_MOD_PATH="$kbuild/modules-install" INSTALL_MOD_STRIP=1 modules_install
run_logged kmake INSTALL_HDR_PATH="$kbuild/headers-install" headers_install
step_done "$kbuild/arch/arm64/boot/Image ($(cat "$kbuild/include/config/kernel.release"))"

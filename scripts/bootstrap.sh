#!/bin/sh
# bootstrap.sh - install what the project needs on a Debian 12 (bookworm) host.
#
# Adds apt sources for the few packages that come from newer suites, pins
# them so that nothing else is taken from there, enables arm64 as a foreign
# architecture (for busybox-static:arm64) and installs the build and test
# dependencies.  Idempotent: a second run only checks.
set -eu

# dt-schema for scripts/check-dts.sh.  Linux 7.2's bindings need dtschema
# 2023.9 or newer (DT_SCHEMA_MIN_VERSION in its
# Documentation/devicetree/bindings/Makefile); bookworm has 2022.08, which
# rejects 44 of 7.2's schema files.  sid's is pinned here; its libraries
# come by suite: jsonschema >= 4.18 and referencing (pure Python) from
# trixie, the rest from bookworm, built for its Python 3.11.  rpds-py,
# which referencing needs, is in Debian only compiled for Python 3.13 and
# 3.14: check-dts.sh brings a pure-Python stand-in for it.
DT_SCHEMA_DEB_VERSION=${DT_SCHEMA_DEB_VERSION:-2026.06-1}
DT_SCHEMA_PKGS="dt-schema=$DT_SCHEMA_DEB_VERSION python3-jsonschema/trixie
 python3-referencing/trixie python3-jsonschema-specifications/trixie
 python3-attr/bookworm python3-typing-extensions/bookworm
 python3-ruamel.yaml/bookworm python3-ruamel.yaml.clib/bookworm
 python3-rfc3987/bookworm python3-libfdt/bookworm"

usage() {
    cat <<USAGE
Usage: scripts/bootstrap.sh [--help] [--check]

Prepares a Debian 12 (bookworm) machine for this project (needs root):
  * /etc/apt/sources.list.d/dwc-ep.sources: trixie (deb + deb-src, for the
    QEMU 10.0 source and python3-pycotap), sid (linux-source-7.2, avocado,
    python3-qemu-qmp),
    bookworm-backports (meson >= 1.5), all amd64 only;
  * /etc/apt/preferences.d/dwc-ep: bookworm 900, backports 100, trixie and
    sid 50, so only the packages we name come from them; libc and python
    stay bookworm's;
  * dpkg --add-architecture arm64, so that scripts/build-initramfs.sh can
    download busybox-static:arm64 (it is unpacked into the cache, never
    installed on the host);
  * build packages (compilers, QEMU and kernel build dependencies, clang
    with libFuzzer for tests/fuzz, iproute2 for the network namespaces of
    tests/avocado/test_two_hosts.py);
  * dt-schema \$DT_SCHEMA_DEB_VERSION (default $DT_SCHEMA_DEB_VERSION, from sid) for
    scripts/check-dts.sh, with the Python libraries it needs (jsonschema,
    referencing, jsonschema-specifications from trixie; attr,
    typing-extensions, ruamel.yaml, rfc3987, libfdt from bookworm):
    downloaded with apt-get download and unpacked, never installed, into
    \$DWC_EP_CACHE/tools/dt-schema (this part needs no root).

  --check   only report whether the machine is ready (exit 1 if not)

Environment:
  DWC_EP_NO_APT=1   skip everything (you manage the packages yourself)
  DT_SCHEMA_DEB_VERSION  the dt-schema version to fetch (when sid has
                    moved on; check-dts.sh's expected findings are for
                    the default)
  DWC_EP_CACHE      cache root (default ~/.cache/dwc-pcie-ep)
USAGE
}

check_only=0
for a in "$@"; do
    case "$a" in
    -h|--help) usage; exit 0 ;;
    --check) check_only=1 ;;
    *) echo "bootstrap.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    esac
done

[ "${DWC_EP_NO_APT:-0}" = 1 ] && exit 0

DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

# Host packages from bookworm (and bookworm-backports for meson).  clang
# and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes, only a
# recommendation of clang) build the fuzz targets of tests/fuzz; gcc's own
# ASan/UBSan runtimes (for build-qemu.sh --sanitize) come with gcc.
# gnuplot-nox draws bench/link.sh's plot (bench/plot.sh; PNG, no X11).
# iproute2: test_two_hosts.py's two hosts are network namespaces (ip netns).
HOST_PKGS="build-essential git ninja-build pkg-config flex bison bc cpio xz-utils
 zstd dpkg-dev python3 python3-venv python3-setuptools libglib2.0-dev
 libpixman-1-dev zlib1g-dev libfdt-dev libslirp-dev gcc-aarch64-linux-gnu
 libc6-dev-arm64-cross libssl-dev libgnutls28-dev kmod rsync socat file
 device-tree-compiler clang libclang-rt-14-dev gnuplot-nox iproute2"

ready() {
    # one dpkg-query for all (a warm run must be quick): every name wanted
    # must be listed as installed
    # shellcheck disable=SC2086
    _want=$(printf '%s\n' $HOST_PKGS python3-pycotap avocado python3-qemu-qmp | sort -u)
    # shellcheck disable=SC2086
    _have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $_want 2>/dev/null |
            awk '$1 == "ii" { print $2 }' | sort -u)
    [ "$_want" = "$_have" ] || return 1
    dpkg --print-foreign-architectures | grep -qx arm64 || return 1
    [ -f /etc/apt/sources.list.d/dwc-ep.sources ] || return 1
    v=$(meson --version 2>/dev/null || echo 0)
    /usr/bin/python3 - "$v" <<'PY' || return 1
import sys
v = tuple(int(x) for x in sys.argv[1].split('.')[:2] if x.isdigit())
sys.exit(0 if v >= (1, 5) else 1)
PY
    return 0
}

# The unpacked dt-schema tree: its .ready stamp holds the package list it
# was made from, so a changed pin or list fetches it again.
dt_schema_dir=$DWC_EP_CACHE/tools/dt-schema
# shellcheck disable=SC2086,SC2116
dt_schema_stamp=$(echo $DT_SCHEMA_PKGS)
dt_schema_ready() {
    [ "$(cat "$dt_schema_dir/.ready" 2>/dev/null)" = "$dt_schema_stamp" ] &&
        [ -f "$dt_schema_dir/root/usr/bin/dt-validate" ]
}
fetch_dt_schema() {
    echo "bootstrap: dt-schema $DT_SCHEMA_DEB_VERSION and its libraries, unpacked into $dt_schema_dir"
    _dl=$DWC_EP_DL/dt-schema
    _log=$DWC_EP_LOGS/bootstrap-dt-schema.log
    rm -rf "$_dl" "$dt_schema_dir.new"
    mkdir -p "$_dl" "$dt_schema_dir.new/root"
    chmod 755 "$_dl" 2>/dev/null || true
    # as root, a failed download is tried again once after apt-get update
    # (the lists may predate the pinned version)
    # shellcheck disable=SC2086
    if ! (cd "$_dl" && apt-get download -q $DT_SCHEMA_PKGS) >"$_log" 2>&1 &&
        ! { [ "$(id -u)" = 0 ] && apt-get update -q >>"$_log" 2>&1 &&
            (cd "$_dl" && apt-get download -q $DT_SCHEMA_PKGS) >>"$_log" 2>&1; }; then
        tail -n 5 "$_log" >&2
        echo "bootstrap: cannot download dt-schema $DT_SCHEMA_DEB_VERSION or its libraries (log: $_log)." >&2
        echo "  If sid has moved on, set DT_SCHEMA_DEB_VERSION to its version ('apt-cache madison dt-schema')" >&2
        echo "  and review the expected findings in scripts/check-dts.sh." >&2
        exit 1
    fi
    for _deb in "$_dl"/*.deb; do
        dpkg-deb -x "$_deb" "$dt_schema_dir.new/root"
        printf '%s %s\n' "$(dpkg-deb -f "$_deb" Package)" "$(dpkg-deb -f "$_deb" Version)" \
            >>"$dt_schema_dir.new/versions"
    done
    rm -rf "$dt_schema_dir"
    mv "$dt_schema_dir.new" "$dt_schema_dir"
    echo "$dt_schema_stamp" >"$dt_schema_dir/.ready"
}

if ready && dt_schema_ready; then
    echo "bootstrap: host already prepared"
    exit 0
fi
if [ "$check_only" = 1 ]; then
    ready || echo "bootstrap: host not prepared; run scripts/bootstrap.sh as root" >&2
    dt_schema_ready || echo "bootstrap: no dt-schema $DT_SCHEMA_DEB_VERSION in $dt_schema_dir; run scripts/bootstrap.sh" >&2
    exit 1
fi
if ready; then
    # only dt-schema is missing: no root needed for it
    fetch_dt_schema
    dt_schema_ready || { echo "bootstrap: dt-schema still missing after the download" >&2; exit 1; }
    echo "bootstrap: done"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: packages are missing and this is not root." >&2
    echo "  run 'sudo scripts/bootstrap.sh', or set DWC_EP_NO_APT=1 and install them yourself" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/dwc-ep.sources
pref=/etc/apt/preferences.d/dwc-ep
changed=0

want_src=$(cat <<SRC
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
)
# Stanzas must be separated by blank lines or apt ignores them silently.
want_pref=$(cat <<PREF
Package: *
Pin: release n=bookworm
Pin-Priority: 900

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release n=sid
Pin-Priority: 50
PREF
)
if [ "$(cat "$src" 2>/dev/null)" != "$want_src" ]; then
    printf '%s\n' "$want_src" > "$src"; changed=1
fi
if [ "$(cat "$pref" 2>/dev/null)" != "$want_pref" ]; then
    printf '%s\n' "$want_pref" > "$pref"; changed=1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64; changed=1
fi

stamp=/var/lib/apt/periodic/dwc-ep-update-stamp
if [ "$changed" = 1 ] || [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
    echo "bootstrap: apt-get update"
    apt-get update -q >/dev/null
    mkdir -p "$(dirname "$stamp")"; touch "$stamp"
fi

echo "bootstrap: installing build packages"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $HOST_PKGS >/dev/null
echo "bootstrap: meson from bookworm-backports"
apt-get install -y -q --no-install-recommends -t bookworm-backports meson >/dev/null

# Arch-all packages from newer suites, installed alone so that apt does not
# pull newer dependencies (they depend only on python3).  python3-qemu-qmp
# is the QMP client of the end-to-end tests (tests/avocado/pair.py).
tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
for spec in python3-pycotap/trixie avocado/sid python3-qemu-qmp/sid; do
    name=${spec%/*}
    if ! dpkg-query -W -f='${Status}\n' "$name" 2>/dev/null | grep -q 'install ok installed'; then
        echo "bootstrap: $spec"
        (cd "$tmp" && apt-get download -q "$spec" >/dev/null) || {
            echo "bootstrap: cannot download $spec from Debian; is the suite reachable?" >&2
            exit 1
        }
    fi
done
if ls "$tmp"/*.deb >/dev/null 2>&1; then
    dpkg -i "$tmp"/*.deb >/dev/null || apt-get install -y -q -f --no-install-recommends >/dev/null
fi
ready || { echo "bootstrap: packages still missing after install" >&2; exit 1; }
dt_schema_ready || fetch_dt_schema
dt_schema_ready || { echo "bootstrap: dt-schema still missing after the download" >&2; exit 1; }
echo "bootstrap: done"

#!/bin/sh
# check-dts.sh - validate the device tree nodes our QEMU writes for each SoC
# face against Linux 7.2's binding schemas, with dt-schema's dt-validate.
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"
LC_ALL=C
export LC_ALL

FACES="qemu rcar-s4 rk3588"

usage() {
    cat <<USAGE
Usage: scripts/check-dts.sh [--help] [--dtb FILE] [FACE...]

For each FACE (default: all of $FACES) dumps the device tree
that 'qemu-system-aarch64 -machine virt,gic-version=3 -device DEVICE' builds
(DEVICE: dw-pcie-ep, dw-pcie-ep-rcar-s4, dw-pcie-ep-rk3588), validates it
with dt-schema's dt-validate against Linux 7.2's binding schemas, and
prints the findings that concern our nodes: the controller's node and the
stand-ins the face adds (rcar-s4: reset controller, two fixed clocks;
rk3588: PCIe3 PHY, PHP and PHY GRF syscons, reset controller, fixed
clock).

Which findings are ours: the DTB of '-machine virt,gic-version=3' without
the device is dumped and validated too.  A finding it has as well (word
for word, with the DTB's file name left out) is about QEMU's virt machine
itself, not ours (node names such as pl011@9000000, intc@8000000 and
its@8080000, gpio-keys' 'poweroff'), and is filtered out: only its count
is printed.  Every other finding is ours, whether on a node the device
added or on a virt node the device changed.  A compatible that no schema
documents is a finding too (dt-validate -m).  A face's DTB must have its
controller's node (compatible qemu,dw-pcie-ep, renesas,r8a779f0-pcie-ep or
rockchip,rk3588-pcie-ep); the root-level nodes it adds are listed.

Exit status: 0 only when every finding of ours is one this script lists
as expected for that face (expected_findings() here; each is printed
with its reason) and every expected finding was seen; 1 when a finding
is not expected, an expected one is no longer reported, or the
controller's node is missing (fix QEMU's node, or the list); 2 for a
usage error; 3 when the check cannot run (no dt-schema, no kernel tree,
no QEMU, a dump or dt-validate failed).

Schemas: Documentation/devicetree/bindings of Linux 7.2 as Debian ships it
(the tree of scripts/build-kernel.sh --stock, else the patched one of
scripts/build-kernel.sh), plus dts/qemu,dw-pcie-ep.yaml, the qemu face's
binding (ours, not in 7.2; it takes precedence over the patched tree's
copy).  dt-mk-schema's processed schema is cached in
\$DWC_EP_CACHE/dt-schema/, keyed by a hash of the bindings, our binding
and the dt-schema packages: the first run builds it (about a minute),
later runs take seconds.

dt-schema: the version scripts/bootstrap.sh pins (Debian sid's; Linux 7.2
needs 2023.9 or newer, bookworm has 2022.08), unpacked with its Python
libraries into \$DWC_EP_CACHE/tools/dt-schema and run by /usr/bin/python3
with PYTHONPATH: nothing is installed on the host.  rpds-py, which the
'referencing' library needs, exists in Debian only built for Python 3.13
and 3.14; this script gives it a small pure-Python stand-in (immutable
map, set and list) in a temporary directory.

  --dtb FILE   validate FILE as the DTB of the one FACE given instead of
               dumping it (a modified tree; the bare virt DTB for the
               filter is still dumped)

Environment:
  DWC_EP_QEMU    qemu-system-aarch64 to dump with (default: the one of
                 scripts/build-qemu.sh --print-dir)
  DT_BINDINGS    a Documentation/devicetree/bindings directory to use
  DWC_EP_CACHE   cache root (default ~/.cache/dwc-pcie-ep)
Log (QEMU, dt-mk-schema and dt-validate output): $DWC_EP_LOGS/check-dts.log
USAGE
}

bad() {
    echo "check-dts.sh: $* (see --help)" >&2
    exit 2
}
# fatal MESSAGE: the check cannot run (exit 3, apart from findings' 1)
fatal() {
    echo "check-dts: cannot check: $*" >&2
    exit 3
}

dtb_in=
faces=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --dtb) [ $# -ge 2 ] || bad "--dtb needs a FILE"; dtb_in=$2; shift ;;
    --dtb=*) dtb_in=${1#--dtb=} ;;
    -*) bad "unknown option '$1'" ;;
    qemu|rcar-s4|rk3588)
        case " $faces " in *" $1 "*) ;; *) faces="$faces $1" ;; esac ;;
    *) bad "unknown face '$1' (faces: $FACES)" ;;
    esac
    shift
done
if [ -n "$dtb_in" ]; then
    # shellcheck disable=SC2086
    [ "$(echo $faces | wc -w)" = 1 ] || bad "--dtb takes exactly one FACE"
    [ -f "$dtb_in" ] || bad "--dtb $dtb_in: no such file"
fi
[ -n "$faces" ] || faces=$FACES

face_device() {
    case "$1" in
    qemu) echo dw-pcie-ep ;;
    rcar-s4) echo dw-pcie-ep-rcar-s4 ;;
    rk3588) echo dw-pcie-ep-rk3588 ;;
    esac
}
face_compatible() {
    case "$1" in
    qemu) echo qemu,dw-pcie-ep ;;
    rcar-s4) echo renesas,r8a779f0-pcie-ep ;;
    rk3588) echo rockchip,rk3588-pcie-ep ;;
    esac
}

# The findings allowed, each with its reason: expect FACE FINDING REASON.
# FINDING is dt-validate's message as this script prints it: the DTB's
# name left out, continuation lines joined, the schema's \$id after
# http://devicetree.org/schemas/ in brackets.
expected_findings() {
    expect rcar-s4 \
        "pcie-ep@c000000 (renesas,r8a779f0-pcie-ep): 'power-domains' is a required property [pci/rcar-gen4-pci-ep.yaml]" \
        "no power domain: the S4's PCIe sits in its always-on area, and Linux's only provider of it (rcar-gen4-sysc) attaches devices through the CPG/MSSR clock driver, which would need the CPG modelled; pcie-rcar-gen4 works without a domain (docs/faces.md)"
    expect rk3588 \
        "pcie-ep@c000000 (rockchip,rk3588-pcie-ep): 'power-domains' is a required property [pci/rockchip-dw-pcie-ep.yaml]" \
        "no power domain: virt has no provider for RK3588's power domains, and pcie-dw-rockchip never asks for one (docs/faces.md)"
}

# A pure-Python stand-in for what referencing and jsonschema use of
# rpds-py: HashTrieMap, HashTrieSet and List, immutable; every "change"
# returns a new object.  Copies instead of shared structure: fine for the
# few thousand schemas of a registry.
RPDS_STANDIN=$(cat <<'PY'
"""Stand-in for rpds-py (check-dts.sh): immutable map, set and list."""

__all__ = ['HashTrieMap', 'HashTrieSet', 'List']


def _pairs(value):
    return value.items() if hasattr(value, 'items') else value


class HashTrieMap:
    __slots__ = ('_d',)

    def __init__(self, value=(), **kwargs):
        d = dict(_pairs(value))
        d.update(kwargs)
        object.__setattr__(self, '_d', d)

    @classmethod
    def convert(cls, value):
        return value if isinstance(value, cls) else cls(value)

    @classmethod
    def fromkeys(cls, keys, value=None):
        return cls((k, value) for k in keys)

    def _with(self, d):
        m = HashTrieMap.__new__(HashTrieMap)
        object.__setattr__(m, '_d', d)
        return m

    def insert(self, key, value):
        d = dict(self._d)
        d[key] = value
        return self._with(d)

    def remove(self, key):
        d = dict(self._d)
        del d[key]
        return self._with(d)

    def discard(self, key):
        return self.remove(key) if key in self._d else self

    def update(self, *maps, **kwargs):
        d = dict(self._d)
        for m in maps:
            d.update(_pairs(m))
        d.update(kwargs)
        return self._with(d)

    def get(self, key, default=None):
        return self._d.get(key, default)

    def keys(self):
        return self._d.keys()

    def values(self):
        return self._d.values()

    def items(self):
        return self._d.items()

    def __getitem__(self, key):
        return self._d[key]

    def __contains__(self, key):
        return key in self._d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __eq__(self, other):
        if isinstance(other, HashTrieMap):
            return self._d == other._d
        if hasattr(other, 'items'):
            return self._d == dict(other.items())
        return NotImplemented

    def __hash__(self):
        return hash(frozenset(self._d.items()))

    def __setattr__(self, name, value):
        raise AttributeError('HashTrieMap is immutable')

    def __repr__(self):
        return 'HashTrieMap(%r)' % (self._d,)


class HashTrieSet:
    __slots__ = ('_s',)

    def __init__(self, value=()):
        object.__setattr__(self, '_s', frozenset(value))

    @classmethod
    def convert(cls, value):
        return value if isinstance(value, cls) else cls(value)

    def insert(self, value):
        return HashTrieSet(self._s | {value})

    def remove(self, value):
        if value not in self._s:
            raise KeyError(value)
        return HashTrieSet(self._s - {value})

    def discard(self, value):
        return HashTrieSet(self._s - {value}) if value in self._s else self

    def update(self, *iterables):
        s = set(self._s)
        for it in iterables:
            s.update(it)
        return HashTrieSet(s)

    def union(self, other):
        return HashTrieSet(self._s | frozenset(other))

    def intersection(self, other):
        return HashTrieSet(self._s & frozenset(other))

    def difference(self, other):
        return HashTrieSet(self._s - frozenset(other))

    def __contains__(self, value):
        return value in self._s

    def __iter__(self):
        return iter(self._s)

    def __len__(self):
        return len(self._s)

    def __eq__(self, other):
        if isinstance(other, HashTrieSet):
            return self._s == other._s
        if isinstance(other, (set, frozenset)):
            return self._s == other
        return NotImplemented

    def __hash__(self):
        return hash(self._s)

    def __setattr__(self, name, value):
        raise AttributeError('HashTrieSet is immutable')

    def __repr__(self):
        return 'HashTrieSet(%r)' % (set(self._s),)


class List:
    """Linked list of (value, rest) pairs: push_front shares the rest."""
    __slots__ = ('_node', '_len')

    def __init__(self, *values):
        if len(values) == 1:
            values = tuple(values[0])
        node = None
        for v in reversed(values):
            node = (v, node)
        self._set(node, len(values))

    def _set(self, node, length):
        object.__setattr__(self, '_node', node)
        object.__setattr__(self, '_len', length)

    def push_front(self, value):
        lst = List.__new__(List)
        lst._set((value, self._node), self._len + 1)
        return lst

    @property
    def first(self):
        if self._node is None:
            raise IndexError('empty list')
        return self._node[0]

    @property
    def rest(self):
        if self._node is None:
            raise IndexError('empty list')
        lst = List.__new__(List)
        lst._set(self._node[1], self._len - 1)
        return lst

    def drop_first(self):
        return self.rest

    def __iter__(self):
        node = self._node
        while node is not None:
            yield node[0]
            node = node[1]

    def __reversed__(self):
        return reversed(tuple(self))

    def __len__(self):
        return self._len

    def __eq__(self, other):
        if isinstance(other, List):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self):
        return hash(tuple(self))

    def __setattr__(self, name, value):
        raise AttributeError('List is immutable')

    def __repr__(self):
        return 'List(%r)' % (list(self),)
PY
)

# The log is written in the temporary directory and moved into place at
# exit, whole, so that runs at the same time (the avocado suite runs two
# tests at once) do not mix theirs.
log=$DWC_EP_LOGS/check-dts.log
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-dts.XXXXXX")
tlog=$tmp/check-dts.log
: >"$tlog"
trap 'mv -f "$tlog" "$log.$$" 2>/dev/null && mv -f "$log.$$" "$log"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

expect() {
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$tmp/expected"
}
: >"$tmp/expected"
expected_findings

# dt-schema, as scripts/bootstrap.sh unpacked it
tool=$DWC_EP_CACHE/tools/dt-schema
{ [ -f "$tool/root/usr/bin/dt-validate" ] && [ -f "$tool/versions" ]; } ||
    fatal "no dt-schema in $tool: run scripts/bootstrap.sh (it downloads and unpacks it; that part needs no root)"
mkdir -p "$tmp/py/rpds"
printf '%s\n' "$RPDS_STANDIN" >"$tmp/py/rpds/__init__.py"
dtpy() {
    _prog=$1; shift
    PYTHONPATH="$tmp/py:$tool/root/usr/lib/python3/dist-packages" PYTHONNOUSERSITE=1 \
        /usr/bin/python3 "$tool/root/usr/bin/$_prog" "$@"
}
dts_version=$(dtpy dt-validate --version 2>>"$tlog") ||
    fatal "dt-validate of $tool does not start (log: $log)"

# the bindings
our_yaml=$DWC_EP_TOP/dts/qemu,dw-pcie-ep.yaml
bindings=
if [ -n "${DT_BINDINGS:-}" ]; then
    bindings=$DT_BINDINGS
else
    for t in "$LINUX_SOURCE_PKG-stock" "$LINUX_SOURCE_PKG"; do
        d=$DWC_EP_CACHE/kernel/$t/src/Documentation/devicetree/bindings
        if [ -d "$d" ]; then bindings=$d; break; fi
    done
fi
{ [ -n "$bindings" ] && [ -d "$bindings/pci" ]; } ||
    fatal "no Linux 7.2 bindings (${bindings:-none found in $DWC_EP_CACHE/kernel}): run scripts/build-kernel.sh --stock (or scripts/build-kernel.sh), or set DT_BINDINGS"
[ -f "$our_yaml" ] || fatal "no $our_yaml"

bind_hash=$(cd "$bindings" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
key=$({ echo "$bind_hash"; cat "$our_yaml" "$tool/versions"; printf '%s\n' "$RPDS_STANDIN"; } |
      sha256sum | cut -c1-16)
schema_dir=$DWC_EP_CACHE/dt-schema
processed=$schema_dir/processed-$key.json
mkdir -p "$schema_dir"
# one build at a time: a second run waits for the first's (bounded)
exec 9>"$schema_dir/.lock"
if ! flock -n 9; then
    echo "check-dts: waiting for another run's schema build (up to 900 s)"
    flock -w 900 9 || fatal "waited 900 s for another run's schema build ($schema_dir/.lock)"
fi
if [ ! -s "$processed" ]; then
    echo "check-dts: processing the schemas of $bindings and $our_yaml (once for these bindings, about a minute; log: $log)"
    t0=$(date +%s)
    # our binding first: a file given is taken before the directories, so
    # a copy in a patched tree is ignored as a duplicate
    if ! dtpy dt-mk-schema -j "$our_yaml" "$bindings" >"$processed.$$" 2>"$tmp/mk.err"; then
        cat "$tmp/mk.err" >>"$tlog"
        rm -f "$processed.$$"
        tail -n 5 "$tmp/mk.err" >&2
        fatal "dt-mk-schema failed (log: $log)"
    fi
    cat "$tmp/mk.err" >>"$tlog"
    n=$(grep -v "ignoring duplicate '\$id' value 'http://devicetree.org/schemas/pci/qemu,dw-pcie-ep.yaml'" \
            "$tmp/mk.err" | grep -c ': ignoring' || true)
    [ "$n" = 0 ] || echo "check-dts: note: dt-mk-schema ignored $n schema files (listed in $log); a node whose only schema was among them is reported as matching none"
    mv "$processed.$$" "$processed"
    # keep this one and the one used before it (the other kernel tree's)
    # shellcheck disable=SC2012
    ls -t "$schema_dir"/processed-*.json | tail -n +3 | while IFS= read -r f; do rm -f "$f"; done
    echo "check-dts: schemas processed in $(( $(date +%s) - t0 ))s"
fi
flock -u 9

# the DTBs: bare virt (for the filter), then each face's
qemu=${DWC_EP_QEMU:-}
if [ -z "$qemu" ]; then
    qemu=$("$DWC_EP_TOP/scripts/build-qemu.sh" --print-dir)/qemu-system-aarch64 ||
        fatal "scripts/build-qemu.sh --print-dir failed"
fi
[ -x "$qemu" ] || fatal "no QEMU at $qemu: run scripts/build-qemu.sh (or set DWC_EP_QEMU)"
dump() {  # dump NAME [DEVICE]
    if [ $# -ge 2 ]; then
        set -- "$1" -device "$2"
    fi
    _name=$1; shift
    echo "---- $qemu -machine virt,gic-version=3,dumpdtb=$tmp/$_name.dtb -nic none -display none $*" >>"$tlog"
    { "$qemu" -machine "virt,gic-version=3,dumpdtb=$tmp/$_name.dtb" -nic none -display none "$@" \
        >>"$tlog" 2>&1 && [ -s "$tmp/$_name.dtb" ]; } ||
        fatal "QEMU could not dump the DTB of '-machine virt,gic-version=3 $*' (log: $log)"
}
dump virt
dtbs=$tmp/virt.dtb
for face in $faces; do
    if [ -n "$dtb_in" ]; then
        cp "$dtb_in" "$tmp/$face.dtb"
    else
        dump "$face" "$(face_device "$face")"
    fi
    dtbs="$dtbs $tmp/$face.dtb"
done

echo "---- dt-validate -m -s $processed $dtbs" >>"$tlog"
# shellcheck disable=SC2086
dtpy dt-validate -m -s "$processed" $dtbs >"$tmp/validate.out" 2>&1 || {
    cat "$tmp/validate.out" >>"$tlog"
    fatal "dt-validate failed (log: $log)"
}
cat "$tmp/validate.out" >>"$tlog"

# One finding a line: NAME<TAB>TEXT, NAME the DTB's (virt or the face),
# TEXT the message without the file name, continuation lines joined, the
# schema's $id shortened in brackets.  Any other output is not understood.
awk -v pfx="$tmp/" '
function flush() { if (have) print name "\t" text; have = 0 }
index($0, pfx) == 1 && substr($0, length(pfx) + 1) ~ /^[a-z0-9-]+\.dtb: / {
    flush()
    rest = substr($0, length(pfx) + 1)
    n = index(rest, ".dtb: ")
    name = substr(rest, 1, n - 1); text = substr(rest, n + 6); have = 1
    next
}
/^\t/ && have {
    line = $0; sub(/^\t+/, "", line)
    if (line ~ /^from schema \$id: /) {
        sub(/^from schema \$id: /, "", line)
        sub(/^http:\/\/devicetree\.org\/schemas\//, "", line)
        text = text " [" line "]"
    } else {
        text = text (text ~ /:$/ ? " " : "; ") line
    }
    next
}
/^[ \t]*$/ { next }
{ flush(); print "?\t" $0 }
END { flush() }
' "$tmp/validate.out" >"$tmp/findings"
if grep -q '^?' "$tmp/findings"; then
    grep '^?' "$tmp/findings" | cut -f2- | head -n 10 >&2
    fatal "dt-validate printed what is not a finding (above; log: $log)"
fi

sel() {  # sel NAME FILE: the TEXT column of NAME's lines, sorted, unique
    awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$2" | sort -u
}
sel virt "$tmp/findings" >"$tmp/base"
fdtget -l "$tmp/virt.dtb" / | sort >"$tmp/base.nodes"

echo "check-dts: dt-schema $dts_version ($(awk '$1 == "dt-schema" { print "Debian " $2 }' "$tool/versions")), schemas of $bindings + dts/qemu,dw-pcie-ep.yaml"
echo "check-dts: virt's own findings (filtered): $(wc -l <"$tmp/base")"
failed=
for face in $faces; do
    sel "$face" "$tmp/findings" >"$tmp/all"
    comm -12 "$tmp/all" "$tmp/base" >"$tmp/virt-own"
    comm -23 "$tmp/all" "$tmp/base" >"$tmp/ours"
    sel "$face" "$tmp/expected" >"$tmp/exp"
    comm -12 "$tmp/ours" "$tmp/exp" >"$tmp/ok"
    comm -23 "$tmp/ours" "$tmp/exp" >"$tmp/unexpected"
    comm -13 "$tmp/ours" "$tmp/exp" >"$tmp/missing"
    new_nodes=$(fdtget -l "$tmp/$face.dtb" / | sort | comm -23 - "$tmp/base.nodes" | paste -sd' ' -)
    compat=$(face_compatible "$face")
    src="-device $(face_device "$face")"
    [ -z "$dtb_in" ] || src="--dtb $dtb_in"
    echo "== $face ($src): nodes added: ${new_nodes:-none}; $(wc -l <"$tmp/virt-own") of virt's findings filtered"
    bad_face=
    # dtc prints a string list as "a\0b" or "a", "b" by version
    if ! dtc -q -I dtb -O dts "$tmp/$face.dtb" 2>/dev/null |
            grep -q -F -e "compatible = \"$compat\"" -e "compatible = \"$compat\\0"; then
        echo "   NO NODE: the DTB has no node with compatible \"$compat\""
        bad_face=1
    fi
    while IFS= read -r f; do
        echo "   expected: $f"
        # (through the environment: awk -v would read backslashes)
        echo "     reason: $(F="$f" awk -F'\t' -v n="$face" '$1 == n && $2 == ENVIRON["F"] { print $3; exit }' "$tmp/expected")"
    done <"$tmp/ok"
    while IFS= read -r f; do
        echo "   UNEXPECTED: $f"
        bad_face=1
    done <"$tmp/unexpected"
    while IFS= read -r f; do
        echo "   GONE: expected, but no longer reported (update the list in scripts/check-dts.sh): $f"
        bad_face=1
    done <"$tmp/missing"
    if [ -n "$bad_face" ]; then
        echo "   $face: FAILED"
        failed="$failed $face"
    else
        echo "   $face: ok ($(wc -l <"$tmp/ok") expected findings, none other)"
    fi
done
if [ -n "$failed" ]; then
    echo "check-dts: FAILED:$failed (dt-validate output: $log)"
    exit 1
fi
echo "check-dts: all passed:$(echo " $faces" | tr -s ' ')"

#!/bin/sh
# check-patches.sh - checkpatch --strict and an in-order apply check of a
# kernel series against the pristine Linux 7.2 tree.
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/check-patches.sh [--help] [--tap] [SERIES_DIR]

Checks the kernel series in SERIES_DIR (default: \$KERNEL_SERIES_DIR, else
kernel-patches/), the way a maintainer's tooling would:
  apply      the patches of SERIES_DIR/series apply, in order, with no
             fuzz (git apply), to the pristine $LINUX_SOURCE_PKG tree; a
             line of that file may name a directory with its own series
             file (kernel-patches/ has one per tree), and each such series
             must also apply alone to the pristine tree, as posted;
  git        (kernel-patches/ only) the series is what git format-patch
             makes of it: scripts/kernel-series.sh check, in a git tree
             of its own ($DWC_EP_CACHE/kernel/git-check, ~1.4 GB);
  checkpatch each patch passes the tree's scripts/checkpatch.pl --strict
             with no error, warning or check, except those listed in
             SERIES_DIR/checkpatch-accepted (lines 'PATCH TYPE reason...',
             TYPE being checkpatch's message type, e.g. VOLATILE); an
             accepted line that no longer matches is reported too, so the
             list cannot go stale.
The pristine files are rebuilt from the cached tree (scripts/build-kernel.sh
unpacks it) by reverting the series applied there, in a scratch copy of the
touched files only: the cached tree is not changed.

  --tap   print TAP (one test per patch and check), for meson and test.sh
Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage or a
missing tree (run scripts/build-kernel.sh first).
USAGE
}

tap=0
series_dir=
for a in "$@"; do
    case "$a" in
    -h|--help) usage; exit 0 ;;
    --tap) tap=1 ;;
    -*) echo "check-patches.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
    *) [ -z "$series_dir" ] || { echo "check-patches.sh: one SERIES_DIR only" >&2; exit 2; }
       series_dir=$a ;;
    esac
done
series_dir=${series_dir:-${KERNEL_SERIES_DIR:-$DWC_EP_TOP/kernel-patches}}
[ -f "$series_dir/series" ] || { echo "check-patches.sh: no series file in $series_dir" >&2; exit 2; }
series_dir=$(cd "$series_dir" && pwd)

kroot=$DWC_EP_CACHE/kernel/$LINUX_SOURCE_PKG
ksrc=$kroot/src
if [ ! -f "$kroot/.src-ready" ] || [ ! -x "$ksrc/scripts/checkpatch.pl" ]; then
    echo "check-patches.sh: no unpacked $LINUX_SOURCE_PKG tree in $ksrc; run scripts/build-kernel.sh first" >&2
    exit 2
fi

# touched PATCH...: the files a patch names (a/ and b/ sides), one a line.
touched() {
    sed -n -e 's|^--- a/\([^[:space:]]*\).*|\1|p' -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@"
}

n=0 bad=0
result() {  # result OK|FAIL NAME [DETAIL]
    n=$((n + 1))
    if [ "$1" = OK ]; then
        [ "$tap" = 1 ] && echo "ok $n - $2" || echo "  ok    $2"
    else
        bad=$((bad + 1))
        [ "$tap" = 1 ] && echo "not ok $n - $2" || echo "  FAIL  $2"
        [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/    # /'
    fi
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

# The pristine copy of every file either series touches: the cached tree
# minus the series applied there (reverted newest first).
applied=
[ -f "$kroot/applied/series" ] && applied=$(series_list "$kroot/applied")
mine=$(series_list "$series_dir")
{
    for p in $applied; do touched "$kroot/applied/$p"; done
    for p in $mine; do touched "$series_dir/$p"; done
} | LC_ALL=C sort -u | while IFS= read -r f; do
    case "$f" in /dev/null|'') continue ;; esac
    if [ -e "$ksrc/$f" ]; then
        mkdir -p "$scratch/tree/$(dirname "$f")"
        cp -p "$ksrc/$f" "$scratch/tree/$f"
    fi
done
mkdir -p "$scratch/tree"
# git apply works relative to the top of the work tree it runs in: make the
# scratch tree its own, so that a TMPDIR inside another checkout cannot
# make it apply (or skip) paths outside it.
git init -q "$scratch/tree"
for p in $(printf '%s\n' $applied | sed '1!G;h;$!d'); do
    if ! patch -d "$scratch/tree" -p1 -R --batch -s -i "$kroot/applied/$p" >"$scratch/revert.log" 2>&1; then
        echo "check-patches.sh: cannot revert $p from the cached tree ($(cat "$scratch/revert.log")); rm $kroot/.src-ready to unpack it afresh" >&2
        exit 2
    fi
done

# The series directories of SERIES_DIR/series (one per tree); each must
# also apply alone, as it would be posted.
groups=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series_dir/series" | while read -r e; do
    [ ! -d "$series_dir/$e" ] || echo "$e"; done)
cp -a "$scratch/tree" "$scratch/pristine"

# The project's own series is made by git format-patch from branches
# (scripts/kernel-series.sh): check that it still is, in a git tree of the
# check's own.  A series of yours elsewhere is not checked for that.
own=0
[ "$series_dir" != "$(cd "$DWC_EP_TOP/kernel-patches" && pwd)" ] || own=1

[ "$tap" = 1 ] && echo "1..$(( $(printf '%s\n' $mine | wc -l) * 2 + $(printf '%s\n' $groups | grep -c .) + own ))"
[ "$tap" = 1 ] || echo "check-patches: $series_dir against pristine $LINUX_SOURCE_PKG"

# apply, in order, no fuzz
broken=
for p in $mine; do
    if [ -n "$broken" ]; then
        result FAIL "apply $p" "not tried: $broken did not apply"
    elif out=$(cd "$scratch/tree" && git apply --whitespace=nowarn "$series_dir/$p" 2>&1); then
        result OK "apply $p"
    else
        broken=$p
        result FAIL "apply $p" "$out"
    fi
done

# each series alone on pristine 7.2, in its own order
for gname in $groups; do
    rm -rf "$scratch/alone"
    cp -a "$scratch/pristine" "$scratch/alone"
    bad_p= out=
    for p in $(series_list "$series_dir/$gname"); do
        out=$(cd "$scratch/alone" && git apply --whitespace=nowarn "$series_dir/$gname/$p" 2>&1) ||
            { bad_p=$p; break; }
    done
    if [ -z "$bad_p" ]; then
        result OK "apply series $gname alone"
    else
        result FAIL "apply series $gname alone" "$gname/$bad_p: $out"
    fi
done

if [ "$own" = 1 ]; then
    if out=$("$DWC_EP_TOP/scripts/kernel-series.sh" --git "$DWC_EP_CACHE/kernel/git-check" check 2>&1); then
        result OK "series made by git format-patch"
    else
        result FAIL "series made by git format-patch" "$(printf '%s\n' "$out" | tail -n 15)"
    fi
fi

# checkpatch --strict, with the accepted list
accepted=$series_dir/checkpatch-accepted
for p in $mine; do
    # UNKNOWN_COMMIT_ID is ignored: Debian's tree is a tarball with no git
    # history, so checkpatch cannot look a Fixes: commit up in it.
    cp_rc=0
    out=$(cd "$ksrc" && perl scripts/checkpatch.pl --strict --terse \
        --show-types --no-color --ignore UNKNOWN_COMMIT_ID "$series_dir/$p" 2>&1) || cp_rc=$?
    # lines like FILE:LINE: WARNING:TYPE: message; with findings (exit 1)
    # checkpatch ends with a 'total:' line.  Any other exit, or exit 1
    # without that line, is checkpatch failing to run, not a clean patch.
    if [ "$cp_rc" -ne 0 ] && { [ "$cp_rc" -ne 1 ] ||
        ! printf '%s\n' "$out" | grep -q '^total: '; }; then
        result FAIL "checkpatch $p" "checkpatch.pl did not run to its end (exit $cp_rc): $(printf '%s\n' "$out" | tail -n 5)"
        continue
    fi
    found=$(printf '%s\n' "$out" | sed -n -E 's/.*: (ERROR|WARNING|CHECK):([A-Z0-9_]+):.*/\2/p' | LC_ALL=C sort -u)
    ok=$(awk -v p="$p" '$1 == p { print $2 }' "$accepted" 2>/dev/null | LC_ALL=C sort -u)
    unexpected=
    for t in $found; do
        printf '%s\n' $ok | grep -qx "$t" || unexpected="$unexpected $t"
    done
    stale=
    for t in $ok; do
        printf '%s\n' $found | grep -qx "$t" || stale="$stale $t"
    done
    if [ -z "$unexpected" ] && [ -z "$stale" ]; then
        result OK "checkpatch $p${ok:+ (accepted: $(echo $ok))}"
    elif [ -n "$unexpected" ]; then
        result FAIL "checkpatch $p" "$(printf '%s\n' "$out" | grep -E '(ERROR|WARNING|CHECK):' | head -n 20)
not accepted in $accepted:$unexpected"
    else
        result FAIL "checkpatch $p" "accepted in $accepted but not reported any more:$stale (remove the line)"
    fi
done

[ "$tap" = 1 ] || echo "check-patches: $((n - bad)) of $n checks passed"
[ "$bad" -eq 0 ]

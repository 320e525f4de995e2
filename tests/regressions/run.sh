#!/bin/sh
# run.sh - the regression corpus: put each bug back, check that its test
# catches it.  See --help.
set -eu

DWC_EP_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

CORPUS=$DWC_EP_TOP/tests/regressions
TREE=regress
PY=/usr/bin/python3
AVOCADO=/usr/bin/avocado
LOGS=$DWC_EP_LOGS/regressions
CACHE=$DWC_EP_CACHE/regressions

usage() {
    cat <<USAGE
Usage: tests/regressions/run.sh [--help] [--list] [--only NN[,NN...]]
                                [--no-baseline] [--build-only] [--allow-known]

The regression corpus: each directory NN-name/ of tests/regressions/ puts
one bug back into Linux 7.2 with the project's series (kernel-patches/)
and names the test that must catch it.  For each entry this script

  1. makes the variant's series: kernel-patches/series and its patches,
     less the patch the entry's 'revert:' line names, plus the entry's
     bug.patch (applied last, -p1) if it has one;
  2. builds it in a kernel tree of its own (scripts/build-kernel.sh --tree
     $TREE, then scripts/build-initramfs.sh --tree $TREE, with
     KERNEL_SERIES_DIR, in the entry's flavour): the tree is patched in
     place, and files the change of series leaves as they were keep their
     times, so consecutive variants rebuild only what changed;  the Image
     and the cpio are kept in \$DWC_EP_CACHE/regressions/<hash>/, keyed by
     the hash of the series, the config fragments, the flavour, the guest
     files and the two build scripts: a second run builds nothing;
  3. runs the entry's test(s) with avocado on both guests booting that
     kernel (DWC_EP_KERNEL, DWC_EP_INITRD, DWC_EP_KERNEL_FLAVOUR,
     DWC_EP_SMP; see tests/avocado/pair.py): the entry is caught when a
     test does not pass (FAIL, ERROR or INTERRUPTED);
  4. runs each distinct test once on the project's own kernel of that
     flavour (no DWC_EP_KERNEL): an entry whose test does not pass there
     either is not counted as caught.
Then it prints one line per entry, 'caught N of M', and each entry not
caught with why.  Entries that say 'not-catchable:' (the reason) or need a
link fault that no test drives yet ('fault:' other than none) are
listed, not run, and count as not caught.

Entry file (NN-name/entry), 'key: value' lines, '#' comments:
  revert:     a patch of kernel-patches/ to drop (our own fixes), as
              tree/patch (e.g. ntb/0001-....patch)
  fixed-by:   the upstream commit or our kernel-patch that fixed the bug
  mirrors:    the code of 7.2 (with the series) the bug undoes
  test:       avocado test id(s), space-separated, or 'none'
  flavour:    normal or debug (kernel-patches/config-debug.fragment)
  smp:        vCPUs per guest (run-pair.sh --smp)
  fault:      none, or the link fault the test needs
  not-catchable: why no test of the pair can catch it
  expect:     an extended regex the test's failure reason must match: a
              test that fails for another reason with the bug in (a
              flaky boot, say) does not count as catching it
  why:        what the test sees with the bug in
and bug.patch beside it (git-style, -p1, on the series-applied tree).

Options:
  --list         list the entries (test, flavour, fix) and exit
  --only LIST    only these entries (numbers, comma-separated: 03,11)
  --no-baseline  skip step 4 (an entry then counts as caught on its
                 test's failure alone; the summary says so)
  --build-only   build the variants (steps 1-2) and stop
  --allow-known  exit 0 also when the only entries not caught are those
                 marked not-catchable or needing a fault

Exit status: 0 if every entry (of --only) was caught (or, with
--allow-known, every miss is a known one), 1 otherwise, 2 on bad usage.
Logs: $LOGS/ (<NN>-build.log, <NN>-test.log, baseline-*.log, avocado/).
USAGE
}

list=0 only='' baseline=1 build_only=0 allow_known=0
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --list) list=1 ;;
    --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a list of entry numbers" >&2; exit 2; }
        only=$(echo "$2" | tr ',' ' '); shift ;;
    --no-baseline) baseline=0 ;;
    --build-only) build_only=1 ;;
    --allow-known) allow_known=1 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

# field FILE KEY: the value of the first 'KEY:' line of FILE ('' if none).
field() {
    sed -n "s/^$2:[[:space:]]*//p" "$1" | head -n 1
}

entries=
for d in "$CORPUS"/[0-9][0-9]-*/; do
    [ -f "$d/entry" ] || continue
    n=$(basename "$d"); n=${n%%-*}
    if [ -n "$only" ]; then
        case " $only " in *" $n "*) ;; *) continue ;; esac
    fi
    entries="$entries $(basename "$d")"
done
[ -n "$entries" ] || { echo "run.sh: no entries${only:+ among '$only'}" >&2; exit 2; }
for n in $only; do
    case "$entries" in *" $n-"*) ;; *) echo "run.sh: no entry $n" >&2; exit 2 ;; esac
done

if [ "$list" = 1 ]; then
    for e in $entries; do
        f=$CORPUS/$e/entry
        echo "$e"
        echo "    fixed-by: $(field "$f" fixed-by)"
        nc=$(field "$f" not-catchable); fault=$(field "$f" fault)
        if [ -n "$nc" ]; then
            echo "    not catchable: $nc"
        else
            echo "    test: $(field "$f" test)  [flavour $(field "$f" flavour), smp $(field "$f" smp)${fault:+, fault: $fault}]"
        fi
    done
    exit 0
fi

mkdir -p "$LOGS" "$CACHE"
# One runner at a time: the tree is patched in place.
lock=$CACHE/.lock
if ! mkdir "$lock" 2>/dev/null; then
    die "another tests/regressions/run.sh runs (lock $lock, pid $(cat "$lock/pid" 2>/dev/null || echo '?')); remove the directory if it does not"
fi
echo $$ >"$lock/pid"
trap 'rm -rf "$lock"' EXIT
trap 'exit 130' INT TERM

# make_series ENTRY DIR: the variant's series directory, flat: its series
# file names each patch by its path under kernel-patches/ (tree/patch).
make_series() {
    _f=$CORPUS/$1/entry
    _rev=$(field "$_f" revert)
    rm -rf "$2"; mkdir -p "$2"
    _all=$(series_list "$DWC_EP_TOP/kernel-patches")
    if [ -n "$_rev" ]; then
        printf '%s\n' "$_all" | grep -qxF "$_rev" ||
            die "$1: 'revert: $_rev' is not a patch of kernel-patches/series (tree/patch)"
    fi
    {
        echo "# kernel-patches/series for regression entry $1 (tests/regressions/run.sh)"
        printf '%s\n' "$_all" | grep -vxF "${_rev:-/nothing/}"
        if [ -f "$CORPUS/$1/bug.patch" ]; then echo "9999-regress-$1.patch"; fi
    } >"$2/series"
    for _p in $(series_list "$2"); do
        case "$_p" in
        9999-regress-*) cp "$CORPUS/$1/bug.patch" "$2/$_p" ;;
        *) mkdir -p "$2/$(dirname "$_p")"
           cp "$DWC_EP_TOP/kernel-patches/$_p" "$2/$_p" ;;
        esac
    done
}

# variant_hash DIR FLAVOUR
variant_hash() {
    _frag="$DWC_EP_TOP/kernel-patches/config.fragment"
    [ "$2" = normal ] || _frag="$_frag $DWC_EP_TOP/kernel-patches/config-$2.fragment"
    # shellcheck disable=SC2086
    { echo "flavour $2"; hash_inputs "$1" $_frag "$DWC_EP_TOP/images/guest" \
        "$DWC_EP_TOP/tests/guest" "$DWC_EP_TOP/bench/guest" \
        "$DWC_EP_TOP/scripts/build-kernel.sh" "$DWC_EP_TOP/scripts/build-initramfs.sh"; } |
        sha256sum | cut -c1-16
}

# build ENTRY FLAVOUR: build (or find) the variant; sets img, cpio.
build() {
    _sd=$CACHE/series-$1
    make_series "$1" "$_sd"
    _h=$(variant_hash "$_sd" "$2")
    _out=$CACHE/$_h
    img=$_out/Image cpio=$_out/initramfs.cpio
    _log=$LOGS/${1%%-*}-build.log
    if [ -f "$img" ] && [ -f "$cpio" ]; then
        echo "   $1: cached build $_out" >"$_log"
        return 0
    fi
    _fl="--flavour $2"
    _t0=$(date +%s)
    echo "   building $1 ($2; log: $_log)"
    # shellcheck disable=SC2086
    if ! { KERNEL_SERIES_DIR=$_sd "$DWC_EP_TOP/scripts/build-kernel.sh" --tree "$TREE" $_fl &&
           KERNEL_SERIES_DIR=$_sd "$DWC_EP_TOP/scripts/build-initramfs.sh" --tree "$TREE" $_fl; } \
           >"$_log" 2>&1; then
        return 1
    fi
    # shellcheck disable=SC2086
    _kb=$(KERNEL_SERIES_DIR=$_sd "$DWC_EP_TOP/scripts/build-kernel.sh" --tree "$TREE" $_fl --print-dir)
    # shellcheck disable=SC2086
    _cp=$(KERNEL_SERIES_DIR=$_sd "$DWC_EP_TOP/scripts/build-initramfs.sh" --tree "$TREE" $_fl --print-path)
    [ -f "$_kb/arch/arm64/boot/Image" ] && [ -f "$_cp" ] || {
        echo "no Image in $_kb or no cpio at $_cp" >>"$_log"; return 1; }
    mkdir -p "$_out.new"
    cp "$_kb/arch/arm64/boot/Image" "$_out.new/Image"
    cp "$_cp" "$_out.new/initramfs.cpio"
    cp "$_sd/series" "$_out.new/series"
    rm -rf "$_out"; mv "$_out.new" "$_out"
    echo "   built $1 in $(( $(date +%s) - _t0 )) s: $_out"
}

# run_tests LOG FLAVOUR SMP KERNEL INITRD TEST...: run avocado; prints the
# tests' statuses ('id STATUS' lines) to LOG.status; returns 0 if all passed.
run_tests() {
    _log=$1 _fl=$2 _smp=$3 _k=$4 _i=$5; shift 5
    _jobs=$LOGS/avocado
    mkdir -p "$_jobs"
    _st=0
    (
        cd "$DWC_EP_TOP"
        export DWC_EP_NO_BUILD=1
        [ "$_fl" = normal ] || export DWC_EP_KERNEL_FLAVOUR="$_fl"
        [ "${_smp:-1}" = 1 ] || export DWC_EP_SMP="$_smp"
        [ -z "$_k" ] || export DWC_EP_KERNEL="$_k" DWC_EP_INITRD="$_i"
        "$PY" "$AVOCADO" run --max-parallel-tasks 1 --job-results-dir "$_jobs" "$@"
    ) >"$_log" 2>&1 || _st=$?
    "$PY" - "$_jobs/latest/results.json" "$@" >"$_log.status" <<'EOF' || true
import json, sys
try:
    tests = json.load(open(sys.argv[1]))['tests']
except (OSError, ValueError, KeyError) as e:
    print('? NO-RESULTS (%s)' % e)
    sys.exit(0)
for t in tests:
    print('%s %s %s' % (t.get('id', '?'), t.get('status', '?'),
                        (t.get('fail_reason') or '').replace('\n', ' ')[:4000]))
EOF
    return $_st
}

caught=0 total=0 misses='' known_only=1
# entry order: normal flavour first, then debug (each flavour's build
# directory follows the shared tree's series lazily)
ordered=
for fl in normal debug; do
    for e in $entries; do
        f=$(field "$CORPUS/$e/entry" flavour); [ -n "$f" ] || f=normal
        [ "$f" = "$fl" ] && ordered="$ordered $e"
    done
done
for e in $entries; do
    case " $ordered " in *" $e "*) ;; *) die "$e: flavour '$(field "$CORPUS/$e/entry" flavour)' is neither normal nor debug" ;; esac
done

# results: one file per entry in $LOGS/result-<entry> ('caught' or a reason)
rm -f "$LOGS"/result-* "$LOGS"/baseline-*
for e in $ordered; do
    f=$CORPUS/$e/entry
    n=${e%%-*}
    nc=$(field "$f" not-catchable)
    fault=$(field "$f" fault)
    tests=$(field "$f" test)
    fl=$(field "$f" flavour); [ -n "$fl" ] || fl=normal
    smp=$(field "$f" smp); [ -n "$smp" ] || smp=1
    r=$LOGS/result-$e
    if [ -n "$nc" ]; then
        echo "known: not catchable: $nc" >"$r"; continue
    fi
    if [ -n "$fault" ] && [ "$fault" != none ]; then
        echo "known: not run yet: needs a link fault ($fault), and no test of the corpus drives that fault yet" >"$r"; continue
    fi
    if [ -z "$tests" ] || [ "$tests" = none ] || [ "$tests" = "none yet" ]; then
        echo "no test named in $f" >"$r"; continue
    fi
    echo "==> $e"
    if ! build "$e" "$fl"; then
        echo "not run: the variant did not build (log: $LOGS/$n-build.log)" >"$r"
        tail -n 15 "$LOGS/$n-build.log" | sed 's/^/   | /'
        continue
    fi
    [ "$build_only" = 0 ] || { echo "built (--build-only): $img" >"$r"; continue; }
    echo "   testing with the bug in: $tests (log: $LOGS/$n-test.log)"
    # shellcheck disable=SC2086
    expect=$(field "$f" expect)
    if run_tests "$LOGS/$n-test.log" "$fl" "$smp" "$img" "$cpio" $tests; then
        echo "missed: $tests passed with the bug in ($LOGS/$n-test.log)" >"$r"
    elif [ -n "$expect" ] && ! grep -qE -- "$expect" "$LOGS/$n-test.log.status"; then
        echo "missed: $tests failed, but not as the entry expects (no '$expect' in the failure; $LOGS/$n-test.log.status)" >"$r"
    else
        echo "caught: $(awk '$2 != "PASS" {printf "%s%s %s", s, $1, $2; s = "; "}' "$LOGS/$n-test.log.status")" >"$r"
    fi
    cut -c1-300 "$LOGS/$n-test.log.status" | sed 's/^/   | /'
done

# Step 4: each distinct (tests, flavour, smp) once on the project's kernel.
if [ "$baseline" = 1 ] && [ "$build_only" = 0 ]; then
    for e in $ordered; do
        r=$LOGS/result-$e
        grep -q '^caught' "$r" 2>/dev/null || continue
        f=$CORPUS/$e/entry
        tests=$(field "$f" test)
        fl=$(field "$f" flavour); [ -n "$fl" ] || fl=normal
        smp=$(field "$f" smp); [ -n "$smp" ] || smp=1
        key=$(echo "$tests $fl $smp" | sha256sum | cut -c1-12)
        b=$LOGS/baseline-$key
        if [ ! -f "$b.result" ]; then
            echo "==> baseline: $tests on the project's $fl kernel (smp $smp; log: $b.log)"
            # shellcheck disable=SC2086
            if run_tests "$b.log" "$fl" "$smp" "" "" $tests; then
                echo pass >"$b.result"
            else
                echo "fail: $(awk '$2 != "PASS" {printf "%s%s %s", s, $1, $2; s = "; "}' "$b.log.status")" >"$b.result"
            fi
            cut -c1-300 "$b.log.status" | sed 's/^/   | /'
        fi
        if ! grep -q '^pass' "$b.result"; then
            echo "not counted: the test does not pass on the project's $fl kernel either ($(cat "$b.result"); log: $b.log)" >"$r"
        fi
    done
fi

echo
echo "Regression corpus ($(echo $entries | wc -w) entries):"
for e in $entries; do
    r=$LOGS/result-$e
    res=$(cat "$r" 2>/dev/null || echo "not run")
    total=$((total + 1))
    case "$res" in
    caught*) caught=$((caught + 1))
        [ "$baseline" = 1 ] || res="$res (baseline not run)" ;;
    known:*) misses="$misses
  $e: ${res#known: }" ;;
    *) known_only=0; misses="$misses
  $e: $res" ;;
    esac
    printf '%-40s %s\n' "$e" "$res"
done
echo
echo "caught $caught of $total"
if [ -n "$misses" ]; then
    echo "not caught:$misses"
fi
[ "$caught" = "$total" ] && exit 0
[ "$allow_known" = 1 ] && [ "$known_only" = 1 ] && exit 0
exit 1

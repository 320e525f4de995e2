#!/bin/sh
# test.sh - set up everything from scratch if needed and run every suite.
set -u
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/test.sh [--help] [--suite unit|qtest|asan|fuzz|patches|avocado|regressions]...
                       [--avocado-filter TAGS] [--fast-path on|off]

The project's one test command.  On a fresh Debian 12 machine it installs
the packages (scripts/bootstrap.sh, needs root), builds QEMU, the kernel and
the initramfs into the cache, then runs:
  unit     the top-level meson project (iATU translation, link codec), no QEMU
  qtest    register-level tests of our QEMU devices (qemu/tests/qtest)
  asan     the same qtests in a second QEMU build with AddressSanitizer and
           UndefinedBehaviorSanitizer (scripts/build-qemu.sh --sanitize);
           any sanitizer report fails its test
  fuzz     libFuzzer targets of the link codec, the iATU translation and
           the link layer (two PcieLinks over a socketpair, against the
           QEMU build; tests/fuzz), side by side for \$FUZZ_SECONDS (default 30) seconds; each
           target is one test, failed by a crash, a broken invariant or
           fewer inputs than its floor (tests/expected/fuzz.txt)
  patches  the kernel series (kernel-patches/, or \$KERNEL_SERIES_DIR):
           checkpatch.pl --strict on each patch and an in-order apply
           check against pristine Linux 7.2 (scripts/check-patches.sh)
  avocado  end-to-end tests on booted pairs (tests/avocado/test_*.py),
           the debug-kernel SMP run among them (tag 'debug')
and, only when named with --suite (it builds a kernel per entry; about an
hour the first time):
  regressions  tests/regressions/run.sh: each entry of the corpus puts one
           known bug back and must be caught by its test; one test per
           entry, passed when caught
and ends with one line: 'N passed, N failed' (', N skipped' when some were).
Exit status 0 only if nothing failed.  Logs: \$DWC_EP_CACHE/logs/.

Each suite's tests are checked by name against tests/expected/SUITE.txt
(asan's avocado part: asan-avocado.txt; format in tests/expected/README.md).
One failure each, printed with its name: a test that ran but is not listed
(appeared), a listed test that did not run (vanished; not counted for
avocado with --avocado-filter), a skip the manifest does not allow for
that reason, a TAP test with plan 1..0, a fuzz target below its floor
(inputs a second from the manifest, times FUZZ_SECONDS).  The names a
run produced, as a manifest, are in \$DWC_EP_CACHE/logs/SUITE-names.txt:
to take a change, review that file and copy it over the manifest.

  --suite NAME          run only this suite (repeatable); builds only what
                        it needs
  --avocado-filter TAGS passed to 'avocado run --filter-by-tags'
  --fast-path on|off    the avocado tests' pairs run with run-pair.sh
                        --fast-path on or off (default: run-pair.sh's, on),
                        except a test that names the path it checks; off
                        runs every test on the link's messages

Environment:
  FUZZ_SECONDS  run time of each fuzz target (default 30)
  DWC_EP_AVOCADO_TASKS
                avocado tests (each boots its own pair) run at once, in
                the avocado and asan suites (default: the number of CPUs,
                at most 4; 1 runs them one after another)
USAGE
}

suites=
tags=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --suite) [ $# -ge 2 ] || { echo "test.sh: --suite needs a name" >&2; exit 2; }
        case "$2" in unit|qtest|asan|fuzz|patches|avocado|regressions) suites="$suites $2" ;;
        *) echo "test.sh: unknown suite '$2' (unit, qtest, asan, fuzz, patches, avocado, regressions)" >&2; exit 2 ;; esac
        shift ;;
    --avocado-filter) [ $# -ge 2 ] || { echo "test.sh: --avocado-filter needs tags" >&2; exit 2; }
        tags=$2; shift ;;
    --fast-path) case "${2:-}" in on|off) DWC_EP_FAST_PATH=$2; export DWC_EP_FAST_PATH ;;
        *) echo "test.sh: --fast-path takes 'on' or 'off'" >&2; exit 2 ;; esac
        shift ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$suites" ] || suites="unit qtest asan fuzz patches avocado"
want() { case " $suites " in *" $1 "*) return 0 ;; esac; return 1; }
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
case "$FUZZ_SECONDS" in
''|*[!0-9]*|0) echo "test.sh: FUZZ_SECONDS must be a number of seconds, not '$FUZZ_SECONDS'" >&2; exit 2 ;;
esac
# Each avocado test boots its own pair (own run directory, sockets, free
# TCP port), so tests run side by side; most of a test's time is waiting
# on its guests, which leaves a CPU free for another.
ncpu=$(nproc 2>/dev/null || echo 1)
[ "$ncpu" -le 4 ] || ncpu=4
AV_TASKS=${DWC_EP_AVOCADO_TASKS:-$ncpu}
case "$AV_TASKS" in
''|*[!0-9]*|0) echo "test.sh: DWC_EP_AVOCADO_TASKS must be a number of tests at once (1 or more), not '$AV_TASKS'" >&2; exit 2 ;;
esac

# Avocado and QEMU's scripts must use Debian's python, not another on PATH.
PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH
export PATH
t_all=$(date +%s)
passed=0 failed=0 skipped=0 warned=0
count() {  # count SUITE PASSED FAILED SKIPPED
    passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
    echo "==> [$1] $2 passed, $3 failed, $4 skipped"
}
setup_failed() {
    echo "==> set-up failed: $*" >&2
    failed=$((failed + 1))
    echo "0 passed, $failed failed"
    exit 1
}

"$DWC_EP_TOP/scripts/bootstrap.sh" || setup_failed "scripts/bootstrap.sh"
if want qtest || want avocado || want fuzz || want regressions; then
    "$DWC_EP_TOP/scripts/build-qemu.sh" || setup_failed "scripts/build-qemu.sh"
fi
if want asan; then
    "$DWC_EP_TOP/scripts/build-qemu.sh" --sanitize || setup_failed "scripts/build-qemu.sh --sanitize"
fi
if want avocado || want patches || want regressions; then
    # the patches suite reads the unpacked tree and its checkpatch.pl
    "$DWC_EP_TOP/scripts/build-kernel.sh" || setup_failed "scripts/build-kernel.sh"
fi
if want avocado || want regressions; then
    "$DWC_EP_TOP/scripts/build-initramfs.sh" || setup_failed "scripts/build-initramfs.sh"
    # the SoC faces' tests boot the EP on stock Linux 7.2 (--ep-kernel stock)
    "$DWC_EP_TOP/scripts/build-kernel.sh" --stock || setup_failed "scripts/build-kernel.sh --stock"
    "$DWC_EP_TOP/scripts/build-initramfs.sh" --stock || setup_failed "scripts/build-initramfs.sh --stock"
    # the debug tests boot both guests on the debug flavour (tag 'debug')
    "$DWC_EP_TOP/scripts/build-kernel.sh" --flavour debug || setup_failed "scripts/build-kernel.sh --flavour debug"
    "$DWC_EP_TOP/scripts/build-initramfs.sh" --flavour debug || setup_failed "scripts/build-initramfs.sh --flavour debug"
fi

# count_results MODE MANIFEST ARGS...: scripts/count_results.py MODE ARGS,
# checking the run against tests/expected/MANIFEST.txt (the tests expected
# by name, the skips allowed, the fuzz floors) and writing the names it
# produced to $DWC_EP_LOGS/MANIFEST-names.txt (tests/expected/README.md).
count_results() {
    _mode=$1 _m=$2; shift 2
    /usr/bin/python3 "$DWC_EP_TOP/scripts/count_results.py" "$_mode" "$@" \
        --expect "$DWC_EP_TOP/tests/expected/$_m.txt" --names "$DWC_EP_LOGS/$_m-names.txt"
}

# meson_suite SUITE BUILDDIR [meson test args]: run, count, list the tests.
# A non-zero exit of meson with no failure counted is one failure more.
meson_suite() {
    _suite=$1; _dir=$2; shift 2
    rm -f "$_dir/meson-logs/testlog.json"
    _rc=0
    meson test -C "$_dir" --print-errorlogs "$@" >>"$_step_log" 2>&1 || _rc=$?
    if [ -f "$_dir/meson-logs/testlog.json" ]; then
        # shellcheck disable=SC2046
        set -- $(count_results meson "$_suite" "$_dir/meson-logs/testlog.json")
        [ $# -eq 3 ] || set -- 0 1 0
        if [ "$_rc" -ne 0 ] && [ "$2" -eq 0 ]; then
            echo "==> [$_suite] meson test exited $_rc with no failed test; counted as a failure (log: $_step_log)" >&2
            set -- "$1" 1 "$3"
        fi
        count "$_suite" "$@"
    else
        tail -n 20 "$_step_log"; count "$_suite" 0 1 0
    fi
    grep -E '^ *[0-9]+/[0-9]+ ' "$_step_log" | sed 's/^/    /'
}

# avocado_count SUITE MANIFEST JSON EXIT FILTERED [REPORTS_DIR]: count an
# avocado job from its JSON results, against tests/expected/MANIFEST.txt
# (FILTERED non-empty: some tests were left out, none vanishes).  A
# non-zero EXIT of avocado with no failed test, or (with REPORTS_DIR) a
# sanitizer report in a file under REPORTS_DIR, is one failure more; WARN
# is counted apart (scripts/count_results.py).
avocado_count() {
    _suite=$1; _manifest=$2; _json=$3; _rc=$4; _filtered=${5:+--filtered}; _reports=${6:-}
    if [ ! -f "$_json" ]; then
        echo "==> [$_suite] avocado produced no results (exit $_rc); log: $_step_log" >&2
        count "$_suite" 0 1 0
        return
    fi
    # shellcheck disable=SC2046,SC2086
    set -- $(count_results avocado "$_manifest" "$_json" $_filtered)
    [ $# -eq 4 ] || set -- 0 1 0 0
    if [ "$_rc" != 0 ] && [ "$2" -eq 0 ]; then
        echo "==> [$_suite] avocado exited '$_rc' with no failed test; counted as a failure (log: $_step_log)" >&2
        set -- "$1" 1 "$3" "$4"
    fi
    if [ -n "$_reports" ] &&
        grep -rlE 'ERROR: AddressSanitizer|runtime error:' "$_reports" >/dev/null 2>&1; then
        echo "==> [$_suite] a sanitizer report in a QEMU's stderr under $_reports; counted as a failure" >&2
        set -- "$1" $(($2 + 1)) "$3" "$4"
    fi
    count "$_suite" "$1" "$2" "$3"
    warned=$((warned + $4))
    [ "$4" -eq 0 ] || echo "==> [$_suite] $4 warned (not counted as passed)"
}

if want unit; then
    step unit "meson unit tests"
    : >"$_step_log"
    # one build per checkout: a meson build dir is bound to its source tree
    ub=$DWC_EP_CACHE/unit-build-$(echo "$DWC_EP_TOP" | sha256sum | cut -c1-8)
    if [ ! -f "$ub/build.ninja" ]; then
        rm -rf "$ub"
        meson setup "$ub" "$DWC_EP_TOP" >>"$_step_log" 2>&1 || setup_failed "meson setup (log: $_step_log)"
    fi
    meson_suite unit "$ub"
fi

if want qtest; then
    if ls "$DWC_EP_TOP"/qemu/tests/qtest/*.c >/dev/null 2>&1; then
        step qtest "qtests of our QEMU devices"
        : >"$_step_log"
        qb=$("$DWC_EP_TOP/scripts/build-qemu.sh" --print-dir)
        names=$(cd "$DWC_EP_TOP/qemu/tests/qtest" && ls -- *.c | sed 's/\.c$//')
        # shellcheck disable=SC2086
        (cd "$qb" && ninja $(for n in $names; do echo "tests/qtest/$n"; done)) >>"$_step_log" 2>&1 ||
            setup_failed "building the qtests (log: $_step_log)"
        # shellcheck disable=SC2046
        # Twice meson's timeouts: dw-edma-test's link tests wait out real
        # link timeouts and come within seconds of 60 s on a busy 2-core
        # machine.
        meson_suite qtest "$qb" --no-rebuild --timeout-multiplier 2 \
            $(for n in $names; do echo "qtest-aarch64/$n"; done)
    fi
fi

if want asan; then
    if ls "$DWC_EP_TOP"/qemu/tests/qtest/*.c >/dev/null 2>&1; then
        step asan "qtests of our QEMU devices under ASan and UBSan"
        : >"$_step_log"
        sb=$("$DWC_EP_TOP/scripts/build-qemu.sh" --sanitize --print-dir)
        names=$(cd "$DWC_EP_TOP/qemu/tests/qtest" && ls -- *.c | sed 's/\.c$//')
        # shellcheck disable=SC2046
        (cd "$sb" && ninja $(for n in $names; do echo "tests/qtest/$n"; done)) >>"$_step_log" 2>&1 ||
            setup_failed "building the qtests in the sanitizer tree (log: $_step_log)"
        # Any report ends the process that made it (QEMU or the qtest
        # itself) with an abort, which fails the test; leaks at exit too
        # (LeakSanitizer finds none in QEMU itself on these tests).
        ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=1
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:print_summary=1
        export ASAN_OPTIONS UBSAN_OPTIONS
        # Sanitized code runs slower: three times meson's timeouts.
        failed_before=$failed
        # shellcheck disable=SC2046
        meson_suite asan "$sb" --no-rebuild --timeout-multiplier 3 \
            $(for n in $names; do echo "qtest-aarch64/$n"; done)
        unset ASAN_OPTIONS UBSAN_OPTIONS
        # A report that did not fail its test (none should) fails the suite.
        if [ "$failed" -eq "$failed_before" ] &&
            grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' \
                "$sb/meson-logs/testlog.txt" 2>/dev/null; then
            echo "==> [asan] a sanitizer report in a passing test; counted as a failure (log: $sb/meson-logs/testlog.txt)" >&2
            count asan 0 1 0
        fi
        # The link robustness tests (tag 'robust': hostile peers on both
        # sides, a stopped peer, malformed messages) on a pair of
        # sanitizer QEMUs, when the guest images are built (with the
        # avocado suite).  A report aborts that QEMU, which fails its test;
        # the QEMUs' stderr (<run-dir>/<guest>-qemu.err, copied into each
        # test's results) is searched too.
        if want avocado; then
            res_asan=$DWC_EP_CACHE/avocado-asan
            mkdir -p "$res_asan"
            json_asan=$res_asan/latest-results.json
            rm -f "$json_asan"
            echo "==> [asan] link robustness tests on sanitizer QEMUs (log: $_step_log)"
            _rc=0
            ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:detect_leaks=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:print_summary=1 \
            DWC_EP_QEMU=$sb/qemu-system-aarch64 DWC_EP_NO_BUILD=1 \
                /usr/bin/python3 /usr/bin/avocado run --job-results-dir "$res_asan" \
                --json "$json_asan" --max-parallel-tasks "$AV_TASKS" --filter-by-tags=robust \
                "$DWC_EP_TOP"/tests/avocado/test_*.py >>"$_step_log" 2>&1 || _rc=$?
            avocado_count asan asan-avocado "$json_asan" "$_rc" "" \
                "$(readlink -f "$res_asan/latest")"
        fi
    fi
fi

if want patches; then
    step patches "checkpatch --strict and the apply check of the kernel series"
    : >"$_step_log"
    # check-patches.sh prints TAP; it is counted as one meson TAP test
    # named check-patches, so the manifest, the 1..0 rule and the names
    # file work as for the other suites.
    _rc=0
    "$DWC_EP_TOP/scripts/check-patches.sh" --tap >"$_step_log.tap" 2>>"$_step_log" || _rc=$?
    cat "$_step_log.tap" >>"$_step_log"
    /usr/bin/python3 -c 'import json, sys
print(json.dumps({"name": "check-patches",
                  "result": "OK" if sys.argv[2] == "0" else "FAIL",
                  "stdout": open(sys.argv[1]).read()}))' \
        "$_step_log.tap" "$_rc" >"$_step_log.json"
    # shellcheck disable=SC2046
    set -- $(count_results meson patches "$_step_log.json")
    [ $# -eq 3 ] || set -- 0 1 0
    count patches "$@"
    grep -E '^not ok' "$_step_log.tap" | sed 's/^/    /'
    [ "$_rc" -eq 0 ] || echo "    (log: $_step_log)"
fi

if want fuzz; then
    step fuzz "libFuzzer targets of tests/fuzz, side by side for ${FUZZ_SECONDS}s"
    : >"$_step_log"
    # one build per checkout, like the unit tests
    fb=$DWC_EP_CACHE/fuzz-build-$(echo "$DWC_EP_TOP" | sha256sum | cut -c1-8)
    # the link layer harness links against the QEMU build
    QEMU_BUILD=$("$DWC_EP_TOP/scripts/build-qemu.sh" --print-dir)
    export QEMU_BUILD
    "$DWC_EP_TOP/tests/fuzz/build.sh" "$fb" >>"$_step_log" 2>&1 ||
        setup_failed "building the fuzz targets (log: $_step_log)"
    targets=$("$DWC_EP_TOP/tests/fuzz/build.sh" --list)
    # The targets run side by side (each is one process of its own), for
    # $FUZZ_SECONDS together rather than one after another.
    for t in $targets; do
        # New inputs go to a fresh directory; the checked-in seeds are
        # only read.  Crash reproducers are kept in $fb/artifacts/.
        work=$fb/corpus-run/$t
        rm -rf "$work"
        mkdir -p "$work" "$fb/artifacts"
        flog=$DWC_EP_LOGS/fuzz-$t.log
        echo "  fuzz-$t: log $flog" >>"$_step_log"
        rm -f "$flog.rc"
        { rc=0
          ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:print_summary=1 \
              "$fb/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
              -print_final_stats=1 -artifact_prefix="$fb/artifacts/$t-" \
              "$work" "$DWC_EP_TOP/tests/fuzz/corpus/$t" >"$flog" 2>&1 || rc=$?
          echo "$rc" >"$flog.rc"; } &
    done
    wait
    # A target fails on a crash (non-zero exit) or when it ran fewer
    # inputs than its floor in tests/expected/fuzz.txt (scaled with
    # FUZZ_SECONDS): one that barely ran.  A target that was expected but
    # not built, or built but not expected, fails too.
    set --
    for t in $targets; do set -- "$@" "$t=$DWC_EP_LOGS/fuzz-$t.log"; done
    # shellcheck disable=SC2046
    set -- $(count_results fuzz fuzz --seconds "$FUZZ_SECONDS" "$@")
    [ $# -eq 3 ] || set -- 0 1 0
    [ $(($1 + $2)) -gt 0 ] || { echo "==> [fuzz] no fuzz target ran" >&2; set -- 0 1 0; }
    count fuzz "$@"
fi

if want avocado; then
    step avocado "end-to-end tests on booted pairs, $AV_TASKS at a time${DWC_EP_FAST_PATH:+, fast path $DWC_EP_FAST_PATH}"
    : >"$_step_log"
    res=$DWC_EP_CACHE/avocado
    mkdir -p "$res"
    json=$res/latest-results.json
    rm -f "$json"
    filter=
    [ -n "$tags" ] && filter="--filter-by-tags=$tags"
    rcfile=$res/latest-exit
    rm -f "$rcfile"
    # shellcheck disable=SC2086
    { DWC_EP_NO_BUILD=1 /usr/bin/python3 /usr/bin/avocado run \
        --job-results-dir "$res" --json "$json" --max-parallel-tasks "$AV_TASKS" $filter \
        "$DWC_EP_TOP"/tests/avocado/test_*.py 2>&1; echo $? >"$rcfile"; } |
        tee -a "$_step_log" |
        grep --line-buffered -E '^ *\(.*(PASS|FAIL|ERROR|SKIP|CANCEL|INTERRUPT|WARN)|^JOB (LOG|HTML)|^RESULTS'
    av_rc=$(cat "$rcfile" 2>/dev/null || echo missing)
    avocado_count avocado avocado "$json" "$av_rc" "$tags"
fi

if want regressions; then
    step regressions "the regression corpus (tests/regressions/run.sh)"
    : >"$_step_log"
    _rc=0
    "$DWC_EP_TOP/tests/regressions/run.sh" 2>&1 | tee -a "$_step_log" |
        grep --line-buffered -E '^ *[0-9][0-9]-|^caught ' || true
    n=$(sed -n 's/^caught \([0-9]*\) of \([0-9]*\).*/\1 \2/p' "$_step_log" | tail -1)
    if [ -n "$n" ]; then
        # shellcheck disable=SC2086
        set -- $n
        count regressions "$1" $(($2 - $1)) 0
    else
        echo "==> [regressions] run.sh printed no 'caught N of M' line (log: $_step_log)" >&2
        count regressions 0 1 0
    fi
fi

echo "==> all suites done in $(( $(date +%s) - t_all ))s"
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
[ "$warned" -eq 0 ] || summary="$summary, $warned warned"
echo "$summary"
[ "$failed" -eq 0 ]

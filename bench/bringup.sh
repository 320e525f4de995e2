#!/bin/sh
# bringup.sh - how often, and how fast, the default pair comes up.
usage() {
    cat <<'EOF2'
Usage: bench/bringup.sh [--count N] [--doorbell B]... [--soc FACE] [--keep DIR]
                         [--no-build] [--kernel FILE] [--initrd FILE]

Boots the default pair (run-pair.sh --detach: pci_epf_vntb <-> ntb_hw_epf,
ntb_netdev up on both sides) N times per EP doorbell backend, the backends
taking turns (embedded, its, none, embedded, ...), and after each bring-up
pings the EP from the RC over ntb_netdev (3 echo requests, every reply
required).  A run succeeds when run-pair.sh returns 0 and the ping gets
all its replies; its time is from the start of run-pair.sh to the first
full ping.  Prints, per backend: successes out of N, and the median and
maximum time of the successful runs; ends with the line
  bringup: embedded=S/N its=S/N none=S/N
Each failing run's directory (consoles, QEMU logs, run-pair.sh output) is
kept under DIR (default: a new /tmp/dwcep-bringup-* directory); the
successful ones are removed.  Exit 0 only if every run succeeded.

Options:
  --count N       bring-ups per backend (default 10)
  --doorbell B    only this backend (embedded, its or none; repeatable)
  --keep DIR      where failing runs are kept
  --soc FACE      run-pair.sh's --soc: qemu (default), rcar-s4 or rk3588
                  (rcar-s4 has no its backend: skipped there)
  --no-build      pass --no-build to run-pair.sh
  --kernel FILE   boot this Image (run-pair.sh --kernel), e.g. a build of
                  another series, to compare bring-ups
  --initrd FILE   boot this initramfs (run-pair.sh --initrd), its modules
                  those of --kernel
  -h, --help      this text
EOF2
}

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
count=10
backends=
keep=
build=
soc=qemu
image=
while [ $# -gt 0 ]; do
    case $1 in
    --count) [ $# -ge 2 ] || { echo "bringup.sh: --count needs a number" >&2; exit 2; }
        count=$2; shift 2 ;;
    --doorbell) [ $# -ge 2 ] || { echo "bringup.sh: --doorbell needs a backend" >&2; exit 2; }
        case $2 in embedded|its|none) backends="$backends $2" ;;
        *) echo "bringup.sh: --doorbell takes embedded, its or none, not '$2'" >&2; exit 2 ;; esac
        shift 2 ;;
    --keep) [ $# -ge 2 ] || { echo "bringup.sh: --keep needs a directory" >&2; exit 2; }
        keep=$2; shift 2 ;;
    --soc) case ${2:-} in qemu|rcar-s4|rk3588) soc=$2 ;;
        *) echo "bringup.sh: --soc takes 'qemu', 'rcar-s4' or 'rk3588'" >&2; exit 2 ;; esac
        shift 2 ;;
    --no-build) build=--no-build; shift ;;
    --kernel|--initrd) [ $# -ge 2 ] && [ -f "$2" ] ||
            { echo "bringup.sh: $1 needs an existing file" >&2; exit 2; }
        image="$image $1 $2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bringup.sh: unknown option '$1'; see bench/bringup.sh --help" >&2; exit 2 ;;
    esac
done
case $count in ''|*[!0-9]*|0) echo "bringup.sh: --count takes a number of runs, at least 1" >&2; exit 2 ;; esac
[ -n "$backends" ] || backends="embedded its none"
if [ "$soc" = rcar-s4 ]; then
    # R-Car S4 has no ITS for the doorbells (run-pair.sh refuses it)
    backends=$(echo $backends | tr ' ' '\n' | grep -vx its | tr '\n' ' ')
    [ -n "$backends" ] || { echo "bringup.sh: --soc rcar-s4 has no its backend" >&2; exit 2; }
fi
[ -n "$keep" ] || keep=$(mktemp -d /tmp/dwcep-bringup-XXXXXX)
mkdir -p "$keep"
results=$keep/results.txt
: >"$results"

if [ -z "$build" ]; then
    # Build once up front, so that no run's time includes a build.
    "$top/scripts/build-qemu.sh" && "$top/scripts/build-kernel.sh" &&
        "$top/scripts/build-initramfs.sh" || exit 1
fi

run_dir=
cleanup() {
    [ -z "$run_dir" ] || "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

i=0
while [ "$i" -lt "$count" ]; do
    i=$((i + 1))
    for b in $backends; do
        # Short: unix socket paths are limited to about 100 bytes.
        run_dir=$(mktemp -d /tmp/dwcep-bu-XXXXXX)
        t0=$(date +%s.%N)
        ok=1 why=
        if ! "$top/run-pair.sh" --detach --no-build --soc "$soc" --doorbell "$b" \
                $image --run-dir "$run_dir" >"$run_dir/run-pair.out" 2>&1; then
            ok=0 why="run-pair.sh: $(grep -m1 '^error:' "$run_dir/run-pair.out" || tail -n 1 "$run_dir/run-pair.out")"
        elif ! "$top/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 60 rc \
                'ping -c 3 -W 5 192.168.77.1' >"$run_dir/ping.out" 2>&1; then
            ok=0 why="ping: $(grep -m1 'packets' "$run_dir/ping.out" || tail -n 1 "$run_dir/ping.out")"
        fi
        t1=$(date +%s.%N)
        secs=$(awk "BEGIN { print $t1 - $t0 }")
        "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
        if [ "$ok" = 1 ]; then
            echo "$b ok $secs" >>"$results"
            printf '==> [bringup] %-8s run %d/%d: up and pinging in %.1fs\n' "$b" "$i" "$count" "$secs"
            rm -rf "$run_dir"
        else
            dest=$keep/$b-$i
            rm -rf "$dest"; mv "$run_dir" "$dest"
            echo "$b fail $secs" >>"$results"
            printf '==> [bringup] %-8s run %d/%d: FAILED after %.1fs: %s (kept: %s)\n' \
                "$b" "$i" "$count" "$secs" "$why" "$dest"
        fi
        run_dir=
    done
done

/usr/bin/python3 - "$results" "$count" $backends <<'PY'
import statistics, sys
path, count, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = [l.split() for l in open(path) if l.strip()]
print('%-9s %9s %10s %8s' % ('backend', 'success', 'median_s', 'max_s'))
line = []
for b in backends:
    times = [float(t) for n, r, t in runs if n == b and r == 'ok']
    med = '%.1f' % statistics.median(times) if times else '-'
    mx = '%.1f' % max(times) if times else '-'
    print('%-9s %6d/%-2d %10s %8s' % (b, len(times), count, med, mx))
    line.append('%s=%d/%d' % (b, len(times), count))
print('bringup: ' + ' '.join(line))
sys.exit(0 if all(r == 'ok' for _, r, _ in runs) else 1)
PY

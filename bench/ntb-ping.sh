#!/bin/sh
# ntb-ping.sh - ping latency over ntb_netdev, per EP doorbell backend.
usage() {
    cat <<'EOF'
Usage: bench/ntb-ping.sh [--count N] [--interval SECS] [--backends LIST]
                         [--fast-path on|off] [--no-build]

For each EP doorbell backend (default: its, embedded, none), boots the
pair the default way (run-pair.sh --detach --function vntb --doorbell X:
pci_epf_vntb <-> ntb_hw_epf, ntb_netdev up on both sides), pings the EP
from the RC N times (default 200, every 0.05 s) and records each round
trip. Prints one table: median and 99th percentile of the replies per
backend, the packets lost (a run that loses more than a tenth fails), and
the ratio of the polling (none) latency to each interrupt-driven one. The
backends run one after the other in this one run; compare ratios, not
milliseconds, between runs, as the machine is shared.

Options:
  --count N         pings per backend (at least 100; default 200)
  --interval SECS   between pings (default 0.05)
  --backends LIST   comma-separated subset of its,embedded,none
  --fast-path on|off  run-pair.sh's shared-memory fast path (default on)
  --no-build        pass --no-build to run-pair.sh
  -h, --help        this text
EOF
}

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
count=200
interval=0.05
backends=its,embedded,none
build=
fast_path=on
while [ $# -gt 0 ]; do
    case $1 in
    --count) count=${2:?--count needs a number}; shift 2 ;;
    --interval) interval=${2:?--interval needs seconds}; shift 2 ;;
    --backends) backends=${2:?--backends needs a list}; shift 2 ;;
    --no-build) build=--no-build; shift ;;
    --fast-path) case ${2:-} in on|off) fast_path=$2 ;;
        *) echo "ntb-ping.sh: --fast-path takes 'on' or 'off'" >&2; exit 2 ;; esac
        shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ntb-ping.sh: unknown option '$1'; see bench/ntb-ping.sh --help" >&2; exit 2 ;;
    esac
done
case $count in ''|*[!0-9]*) echo "ntb-ping.sh: --count takes a number" >&2; exit 2 ;; esac
[ "$count" -ge 100 ] || { echo "ntb-ping.sh: --count must be at least 100 (a 99th percentile needs them)" >&2; exit 2; }
for b in $(echo "$backends" | tr ',' ' '); do
    case $b in its|embedded|none) ;; *) echo "ntb-ping.sh: unknown backend '$b' (its, embedded, none)" >&2; exit 2 ;; esac
done

work=$(mktemp -d /tmp/dwcep-ntbping-XXXXXX)
run_dir=
cleanup() {
    [ -z "$run_dir" ] || "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

for b in $(echo "$backends" | tr ',' ' '); do
    run_dir=$work/$b
    echo "==> [bench] $b: booting the pair (log: $run_dir/run-pair.out)"
    mkdir -p "$run_dir"
    "$top/run-pair.sh" --detach $build --function vntb --doorbell "$b" \
        --fast-path "$fast_path" --run-dir "$run_dir" >"$run_dir/run-pair.out" 2>&1 || {
        echo "ntb-ping.sh: run-pair.sh failed for $b; see $run_dir/run-pair.out" >&2
        exit 1
    }
    echo "==> [bench] $b: $count pings RC -> EP"
    "$top/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 600 rc \
        "ping -c $count -i $interval 192.168.77.1" >"$run_dir/ping.out" 2>&1 || {
        echo "ntb-ping.sh: ping failed for $b; see $run_dir/ping.out" >&2
        exit 1
    }
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$run_dir/ping.out" | sort -n >"$work/$b.times"
    n=$(wc -l <"$work/$b.times")
    # Lost packets are counted, not timed; a run that lost a tenth is no run.
    [ $((n * 10)) -ge $((count * 9)) ] || {
        echo "ntb-ping.sh: $b: only $n of $count replies; see $run_dir/ping.out" >&2
        exit 1
    }
    "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
    run_dir=
done

echo
echo "ping over ntb_netdev, RC -> EP, $count packets each, $(date -u +%Y-%m-%d), $(nproc) CPUs"
printf '| %-31s | %9s | %9s | %6s | %18s |\n' "doorbell backend" "median ms" "p99 ms" "lost" "polling/this (med)"
printf '|%s|%s|%s|%s|%s|\n' "---------------------------------" "-----------" "-----------" "--------" "--------------------"
poll_med=
if [ -f "$work/none.times" ]; then
    poll_med=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$work/none.times")
fi
for b in $(echo "$backends" | tr ',' ' '); do
    case $b in
    its) what="its (GIC ITS MSI)" ;;
    embedded) what="embedded (eDMA interrupt emul.)" ;;
    none) what="none (vNTB polls)" ;;
    esac
    awk -v what="$what" -v poll="$poll_med" -v count="$count" '{ a[NR] = $1 } END {
        med = a[int((NR + 1) / 2)]
        p99 = a[int(NR * 0.99 + 0.999999)]
        r = (poll != "" && med > 0) ? sprintf("%.2f", poll / med) : "-"
        printf "| %-31s | %9.3f | %9.3f | %6d | %18s |\n", what, med, p99, count - NR, r
    }' "$work/$b.times"
done
rm -rf "$work"

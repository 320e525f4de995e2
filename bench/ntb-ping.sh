#!/bin/sh
# ntb-ping.sh - ping latency over ntb_netdev, per EP doorbell backend.
usage() {
    cat <<'EOF'
Usage: bench/ntb-ping.sh [--count N] [--interval SECS] [--backends LIST]
                         [--udp-size BYTES] [--out DIR] [--fast-path on|off]
                         [--soc FACE] [--no-build]

For each EP doorbell backend (default: its, embedded, none), boots the
pair the default way (run-pair.sh --detach --function vntb --doorbell X:
pci_epf_vntb <-> ntb_hw_epf, ntb_netdev up on both sides), then over
ntb_netdev, RC -> EP (192.168.77.1):
  ping          N pings (default 200, every 0.05 s), each round trip;
  UDP ping-pong udp-pingpong (bench/guest/udp-pingpong.c): a server on the
                EP echoes each datagram, a client on the RC sends N
                datagrams of --udp-size bytes one at a time, the next as
                soon as the echo of the last is back (1 s timeout, counted
                as lost), each round trip timed with CLOCK_MONOTONIC.
Prints one table: per backend and for each of the two, the median and
99th percentile of the round trips, the packets lost (a run that loses
more than a tenth fails), and the ratio of the polling (none) median to
this backend's. The backends run one after the other in this one run;
compare ratios, not milliseconds, between runs, as the machine is shared.

The samples stay in DIR, sorted ascending, one per line (for bench/plot.sh):
  ping-<backend>.ms   ping round trips in milliseconds
  udp-<backend>.us    UDP round trips in microseconds

Options:
  --count N         pings and datagrams per backend (at least 100; default 200)
  --interval SECS   between pings (default 0.05)
  --backends LIST   comma-separated subset of its,embedded,none
  --udp-size BYTES  UDP payload per datagram (8..1400; default 64)
  --out DIR         where the samples go (created; default a new directory
                    under /tmp, printed)
  --fast-path on|off  run-pair.sh's shared-memory fast path (default on)
  --soc FACE        run-pair.sh's --soc: qemu (default), rcar-s4 (no its
                    backend: the default list is embedded,none there) or rk3588
  --no-build        pass --no-build to run-pair.sh
  -h, --help        this text
EOF
}

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
count=200
interval=0.05
backends=
udp_size=64
out=
build=
fast_path=on
soc=qemu
while [ $# -gt 0 ]; do
    case $1 in
    --count) count=${2:?--count needs a number}; shift 2 ;;
    --interval) interval=${2:?--interval needs seconds}; shift 2 ;;
    --backends) backends=${2:?--backends needs a list}; shift 2 ;;
    --udp-size) udp_size=${2:?--udp-size needs bytes}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --soc) case ${2:-} in qemu|rcar-s4|rk3588) soc=$2 ;;
        *) echo "ntb-ping.sh: --soc takes 'qemu', 'rcar-s4' or 'rk3588'" >&2; exit 2 ;; esac
        shift 2 ;;
    --no-build) build=--no-build; shift ;;
    --fast-path) case ${2:-} in on|off) fast_path=$2 ;;
        *) echo "ntb-ping.sh: --fast-path takes 'on' or 'off'" >&2; exit 2 ;; esac
        shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ntb-ping.sh: unknown option '$1'; see bench/ntb-ping.sh --help" >&2; exit 2 ;;
    esac
done
if [ -z "$backends" ]; then
    # R-Car S4 has no ITS for the doorbells (run-pair.sh refuses it)
    if [ "$soc" = rcar-s4 ]; then backends=embedded,none; else backends=its,embedded,none; fi
fi
case $count in ''|*[!0-9]*) echo "ntb-ping.sh: --count takes a number" >&2; exit 2 ;; esac
case $udp_size in ''|*[!0-9]*) echo "ntb-ping.sh: --udp-size takes a number" >&2; exit 2 ;; esac
if [ "$udp_size" -lt 8 ] || [ "$udp_size" -gt 1400 ]; then
    echo "ntb-ping.sh: --udp-size must be 8..1400" >&2; exit 2
fi
[ "$count" -ge 100 ] || { echo "ntb-ping.sh: --count must be at least 100 (a 99th percentile needs them)" >&2; exit 2; }
for b in $(echo "$backends" | tr ',' ' '); do
    case $b in its|embedded|none) ;; *) echo "ntb-ping.sh: unknown backend '$b' (its, embedded, none)" >&2; exit 2 ;; esac
done

work=$(mktemp -d /tmp/dwcep-ntbping-XXXXXX)
if [ -z "$out" ]; then
    out=$(mktemp -d /tmp/dwcep-ntbping-samples-XXXXXX)
else
    mkdir -p "$out" || { echo "ntb-ping.sh: cannot create $out" >&2; exit 1; }
fi
echo "==> [bench] samples go to $out"
run_dir=
gx() { "$top/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 600 "$@"; }
port=7777
cleanup() {
    [ -z "$run_dir" ] || "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

for b in $(echo "$backends" | tr ',' ' '); do
    run_dir=$work/$b
    echo "==> [bench] $b: booting the pair (log: $run_dir/run-pair.out)"
    mkdir -p "$run_dir"
    "$top/run-pair.sh" --detach $build --soc "$soc" --function vntb --doorbell "$b" \
        --fast-path "$fast_path" --run-dir "$run_dir" >"$run_dir/run-pair.out" 2>&1 || {
        echo "ntb-ping.sh: run-pair.sh failed for $b; see $run_dir/run-pair.out" >&2
        exit 1
    }
    echo "==> [bench] $b: $count pings RC -> EP"
    gx rc "ping -c $count -i $interval 192.168.77.1" >"$run_dir/ping.out" 2>&1 || {
        echo "ntb-ping.sh: ping failed for $b; see $run_dir/ping.out" >&2
        exit 1
    }
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$run_dir/ping.out" | sort -n >"$out/ping-$b.ms"
    n=$(wc -l <"$out/ping-$b.ms")
    # Lost packets are counted, not timed; a run that lost a tenth is no run.
    [ $((n * 10)) -ge $((count * 9)) ] || {
        echo "ntb-ping.sh: $b: only $n of $count replies; see $run_dir/ping.out" >&2
        exit 1
    }
    echo $((count - n)) >"$work/ping-$b.lost"

    echo "==> [bench] $b: UDP ping-pong RC -> EP, $count datagrams of $udp_size bytes"
    # The server runs in the background of the EP's console shell; it is
    # up when kill -0 finds it a moment later (a failed bind has ended it,
    # and what it said is shown).
    gx ep "udp-pingpong server $port >/dev/null 2>/tmp/udp-pingpong.err & p=\$!; usleep 200000; if kill -0 \$p; then echo pid=\$p; else cat /tmp/udp-pingpong.err; false; fi" \
        >"$run_dir/udp-server.out" 2>&1 || {
        echo "ntb-ping.sh: udp-pingpong server did not start on the EP for $b; see $run_dir/udp-server.out" >&2
        exit 1
    }
    srv=$(sed -n 's/^pid=\([0-9]*\)$/\1/p' "$run_dir/udp-server.out")
    gx rc "udp-pingpong client -v 192.168.77.1 $port $count $udp_size" >"$run_dir/udp.out" 2>&1 || {
        echo "ntb-ping.sh: udp-pingpong client failed for $b (over a tenth lost is a failure); see $run_dir/udp.out" >&2
        exit 1
    }
    [ -z "$srv" ] || gx ep "kill $srv" >/dev/null 2>&1 || true
    udp_lost=$(sed -n 's/^udp-pingpong: n=[0-9]* lost=\([0-9]*\) .*/\1/p' "$run_dir/udp.out")
    [ -n "$udp_lost" ] || {
        echo "ntb-ping.sh: udp-pingpong printed no summary for $b; see $run_dir/udp.out" >&2
        exit 1
    }
    echo "$udp_lost" >"$work/udp-$b.lost"
    grep -E '^[0-9]+(\.[0-9]+)?$' "$run_dir/udp.out" | sort -n >"$out/udp-$b.us"
    n=$(wc -l <"$out/udp-$b.us")
    [ $((n + udp_lost)) -eq "$count" ] || {
        echo "ntb-ping.sh: $b: $n UDP round trips and $udp_lost lost of $count; see $run_dir/udp.out" >&2
        exit 1
    }
    "$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true
    run_dir=
done

# med FILE: the median (lower middle) of the sorted samples in FILE.
med() { awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$1"; }
# stats FILE POLL LOST FMT: the median and 99th percentile (nearest rank) of
# the sorted samples in FILE, LOST, and POLL over the median, printed with
# FMT (four conversions).
stats() {
    awk -v poll="$2" -v lost="$3" -v fmt="$4" '{ a[NR] = $1 } END {
        med = a[int((NR + 1) / 2)]
        p99 = a[int(NR * 0.99 + 0.999999)]
        r = (poll != "" && med > 0) ? sprintf("%.2f", poll / med) : "-"
        printf fmt, med, p99, lost, r
    }' "$1"
}

echo
echo "ping and UDP ping-pong over ntb_netdev, RC -> EP, $count packets each ($udp_size-byte UDP payload), $(date -u +%Y-%m-%d), $(nproc) CPUs"
printf '| %-31s | %9s | %9s | %6s | %18s | %10s | %10s | %8s | %18s |\n' "doorbell backend" \
    "median ms" "p99 ms" "lost" "polling/this (med)" \
    "UDP med us" "UDP p99 us" "UDP lost" "UDP polling/this"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "---------------------------------" "-----------" \
    "-----------" "--------" "--------------------" "------------" "------------" \
    "----------" "--------------------"
poll_med=
poll_udp=
if [ -f "$out/ping-none.ms" ]; then
    poll_med=$(med "$out/ping-none.ms")
    poll_udp=$(med "$out/udp-none.us")
fi
for b in $(echo "$backends" | tr ',' ' '); do
    case $b in
    its) what="its (GIC ITS MSI)" ;;
    embedded) what="embedded (eDMA interrupt emul.)" ;;
    none) what="none (vNTB polls)" ;;
    esac
    printf '| %-31s | %s | %s |\n' "$what" \
        "$(stats "$out/ping-$b.ms" "$poll_med" "$(cat "$work/ping-$b.lost")" '%9.3f | %9.3f | %6d | %18s')" \
        "$(stats "$out/udp-$b.us" "$poll_udp" "$(cat "$work/udp-$b.lost")" '%10.1f | %10.1f | %8d | %18s')"
done
echo "samples: $out"
rm -rf "$work"

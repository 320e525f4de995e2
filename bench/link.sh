#!/bin/sh
# link.sh - what the link costs, side by side, in one run.
usage() {
    cat <<'EOF'
Usage: bench/link.sh [--fast-path on|off] [--cpu-latency on|off] [--pings N]
                     [--edma-size BYTES] [--reads N] [--png FILE] [--soc FACE]
                     [--no-build]

Measures, in this one run (ratios are what to compare between runs: the
machine is shared):
  BAR round trip   bar-rtt: 32-bit reads of the vNTB function's BAR4
                   (its doorbell BAR, onto the EP's GIC ITS: on the link's
                   messages either way) from RC user space, in 5 batches
                   of N half a second apart: the median of the batches'
                   medians and of their p99s, in microseconds; and the
                   same for BAR0 (vNTB's control region in EP RAM: shared
                   memory with the fast path on);
  memory window    bar-copy: 64 KiB copies from RC user space into and out
                   of the vNTB memory window (BAR2, mapped by the EP's
                   inbound iATU onto a buffer ntb_tool allocated; through
                   resource2_wc, write-combining, as NTB clients map it,
                   when the BAR is prefetchable), each over a memcpy of
                   the same size in the same process;
  ntb_perf         ntb_perf (CPU copy, 2 MiB) from the RC to the EP, the
                   best of 5 runs, over memcpy-bench of the same size in
                   the RC guest (the best of 5 rounds, as it times them);
  eDMA             bench/edma.sh: eDMA read and write over memcpy in the
                   EP guest (--edma-size bytes each way);
  doorbell         bench/ntb-ping.sh: ping and a UDP ping-pong (one
                   datagram in flight, echoed by the EP) over ntb_netdev
                   per doorbell backend (its, embedded, none; one after
                   the other): polling median over interrupt-driven median.
Prints the tables of each part, writes one PNG (bench/plot.sh, gnuplot:
the ping and UDP round-trip CDFs per backend, bars of the ratios) and
prints its path, and ends with one line:
  ratios: mw_write=R mw_read=R ntb_perf=R edma_read=R edma_write=R
  ping_polling_over_doorbell=R udp_polling_over_doorbell=R bar_rtt_us=N
(each doorbell figure is the worse of the two interrupt backends).
Needs gnuplot (Debian's gnuplot-nox; scripts/bootstrap.sh installs it).

Options:
  --fast-path on|off run-pair.sh's shared-memory fast path (default on: the
                     memory window is EP RAM mapped into the RC's BAR2; off:
                     every access is a link message)
  --cpu-latency on|off
                     on (default): for the whole run, hold a CPU latency QoS
                     request of 0 us on the host (/dev/cpu_dma_latency, as
                     cyclictest does; needs root), so that the host's CPUs
                     poll when idle instead of halting, and a thread woken
                     on an idle CPU does not pay the idle-state exit (on a
                     virtual machine, a trip through the hypervisor); the
                     request ends when this script exits.  Where the device
                     cannot be opened, says so and goes on without.
                     off: measure with the host's idle states as they are
  --pings N          pings and UDP round trips per doorbell backend
                     (default 200)
  --edma-size BYTES  bytes each way for the eDMA part (default 16777216)
  --reads N          BAR reads per batch for the round trip (default 2000)
  --png FILE         the plot (default link-YYYY-MM-DD.png, today in UTC,
                     in the current directory)
  --soc FACE         run-pair.sh's --soc for every pair: qemu (default),
                     rcar-s4 (no ITS: the BAR4 doorbell goes to the eDMA's
                     embedded doorbell, and the backends are embedded and
                     none) or rk3588
  --no-build         pass --no-build to run-pair.sh and the other benches
  -h, --help         this text
EOF
}

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pings=200
edma_size=16777216
reads=2000
png=link-$(date -u +%Y-%m-%d).png
build=
fast_path=on
cpu_latency=on
soc=qemu
while [ $# -gt 0 ]; do
    case $1 in
    --pings) pings=${2:?--pings needs a number}; shift 2 ;;
    --edma-size) edma_size=${2:?--edma-size needs bytes}; shift 2 ;;
    --reads) reads=${2:?--reads needs a number}; shift 2 ;;
    --png) png=${2:?--png needs a file}; shift 2 ;;
    --no-build) build=--no-build; shift ;;
    --fast-path) case ${2:-} in on|off) fast_path=$2 ;;
        *) echo "link.sh: --fast-path takes 'on' or 'off'" >&2; exit 2 ;; esac
        shift 2 ;;
    --cpu-latency) case ${2:-} in on|off) cpu_latency=$2 ;;
        *) echo "link.sh: --cpu-latency takes 'on' or 'off'" >&2; exit 2 ;; esac
        shift 2 ;;
    --soc) case ${2:-} in qemu|rcar-s4|rk3588) soc=$2 ;;
        *) echo "link.sh: --soc takes 'qemu', 'rcar-s4' or 'rk3588'" >&2; exit 2 ;; esac
        shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "link.sh: unknown option '$1'; see bench/link.sh --help" >&2; exit 2 ;;
    esac
done
case $pings$edma_size$reads in *[!0-9]*)
    echo "link.sh: --pings, --edma-size and --reads take numbers" >&2; exit 2 ;;
esac

# The plot comes last: find out now, not after the runs, that it cannot.
command -v gnuplot >/dev/null 2>&1 || {
    echo "link.sh: gnuplot is missing (the plot needs it): install Debian's gnuplot-nox, or run scripts/bootstrap.sh" >&2
    exit 1
}
case $png in /*) ;; *) png=$(pwd)/$png ;; esac
case $png in *"'"*) echo "link.sh: --png must not hold a single quote" >&2; exit 2 ;; esac
if [ ! -d "$(dirname "$png")" ] || [ ! -w "$(dirname "$png")" ]; then
    echo "link.sh: cannot write the plot into $(dirname "$png")" >&2
    exit 1
fi

# The CPU latency QoS request lives as long as descriptor 3 is open: the
# QEMUs the benches start get it closed (3>&-), so that a QEMU left
# behind cannot keep the host's CPUs out of their idle states.
host_idle="host idle states as they are (--cpu-latency off)"
if [ "$cpu_latency" = on ]; then
    if [ -w /dev/cpu_dma_latency ] && exec 3>/dev/cpu_dma_latency &&
        printf '00000000' >&3; then
        host_idle="host CPUs kept out of idle states (CPU latency QoS 0 us)"
    else
        exec 3>&-
        host_idle="host idle states as they are (/dev/cpu_dma_latency not writable)"
        echo "link.sh: cannot hold a CPU latency QoS request (/dev/cpu_dma_latency needs root): the latencies include the host's idle-state exits" >&2
    fi
fi
echo "==> [bench] $host_idle"

fn=/sys/bus/pci/devices/0000:01:00.0
work=$(mktemp -d /tmp/dwcep-link-XXXXXX)
run_dir=$work/pair
gx() { "$top/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 600 "$@"; }
fail() { echo "link.sh: $*" >&2; exit 1; }

# BAR4, the doorbell BAR: onto the GIC ITS; on R-Car S4 (no ITS) onto the
# eDMA's doorbell register.  On the link's messages either way.
main_db=its
[ "$soc" != rcar-s4 ] || main_db=embedded
echo "==> [bench] booting the vNTB pair (--soc $soc, $main_db doorbell, no NTB client; log: $work/run-pair.out)"
"$top/run-pair.sh" --detach $build --soc "$soc" --function vntb --ntb-client none \
    --doorbell "$main_db" --fast-path "$fast_path" --run-dir "$run_dir" \
    >"$work/run-pair.out" 2>&1 3>&- ||
    fail "run-pair.sh failed; see $work/run-pair.out"
trap '"$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true' EXIT

# BAR4, the doorbell BAR (onto the GIC ITS), stays on the link's
# messages with the fast path too; BAR0 (vNTB's control region in EP RAM)
# is shared memory with the fast path on.
echo "==> [bench] BAR round trip: 5 batches of $reads reads of BAR4 (doorbell, on messages) and of BAR0"
# 5 batches, half a second apart, and the median of their medians (and of
# their p99s): one batch takes tens of milliseconds, and a hiccup of the
# shared machine then moves its whole median.
rtt_batches() {
    out=$(gx rc "for i in 1 2 3 4 5; do bar-rtt $1 0 $reads || exit 1; usleep 500000; done") ||
        fail "bar-rtt failed: $out"
    out=$(echo "$out" | grep '^bar-rtt:')
    [ "$(echo "$out" | grep -c .)" -eq 5 ] || fail "bar-rtt printed fewer than 5 lines: $out"
    echo "$out"
}
# mid FIELD: the median of FIELD (median_us, p99_us) over the batches on stdin
mid() {
    sed -n "s/.* $1=\([0-9.]*\).*/\1/p" | sort -n | sed -n 3p
}
rtt0=$(rtt_batches "$fn/resource0") || exit 1
echo "$rtt0"
rtt=$(rtt_batches "$fn/resource4") || exit 1
echo "$rtt"
rtt_med=$(echo "$rtt" | mid median_us)
rtt0_med=$(echo "$rtt0" | mid median_us)
rtt_p99=$(echo "$rtt" | mid p99_us)
[ -n "$rtt_med" ] || fail "bar-rtt printed no median"

echo "==> [bench] memory window: ntb_tool on both sides, EP window 0 of 1 MiB"
tool=/sys/kernel/debug/ntb_tool
for g in ep rc; do
    gx "$g" "grep -q ' /sys/kernel/debug debugfs' /proc/mounts || mount -t debugfs none /sys/kernel/debug; modprobe ntb_tool && echo Y > $tool/\$(ls /sys/bus/ntb/devices)/link" >/dev/null ||
        fail "$g: ntb_tool did not load; see $run_dir/$g-console.log"
done
gx ep "echo 1048576 > $tool/\$(ls /sys/bus/ntb/devices)/peer0/mw_trans0" >/dev/null ||
    fail "ep: could not set up the inbound window"
# A prefetchable window (vNTB makes a 64-bit one so) is mapped
# write-combining, as NTB clients map it; a non-prefetchable one has no
# resource2_wc and is mapped as Device memory.
mw=$(gx rc "r=$fn/resource2; test -e \${r}_wc && r=\${r}_wc; bar-copy \$r 65536 3") ||
    fail "bar-copy failed: $mw"
echo "$mw"
mw_write=$(echo "$mw" | sed -n 's/.* write_ratio=\([0-9.]*\).*/\1/p')
mw_read=$(echo "$mw" | sed -n 's/.* read_ratio=\([0-9.]*\).*/\1/p')
mw_map=$(echo "$mw" | sed -n 's/.* map=\([a-z]*\) .*/\1/p')
mw_loop_write=$(echo "$mw" | sed -n 's/.* loop_write_ratio=\([0-9.]*\).*/\1/p')
mw_loop_read=$(echo "$mw" | sed -n 's/.* loop_read_ratio=\([0-9.]*\).*/\1/p')
# ntb_tool oopses when unloaded with a window still set up (see
# tests/avocado/test_ntb_tool.py): tear it down first.
gx ep "echo 0 > $tool/\$(ls /sys/bus/ntb/devices)/peer0/mw_trans0" >/dev/null ||
    fail "ep: could not tear the inbound window down"
for g in ep rc; do gx "$g" "rmmod ntb_tool" >/dev/null || fail "$g: rmmod ntb_tool failed"; done

echo "==> [bench] ntb_perf RC -> EP (2 MiB, CPU copy)"
perf=/sys/kernel/debug/ntb_perf
for g in ep rc; do
    gx "$g" "modprobe ntb_perf total_order=21 use_dma=0" >/dev/null ||
        fail "$g: ntb_perf did not load"
done
for g in ep rc; do
    gx "$g" "d=$perf/\$(ls /sys/bus/ntb/devices); for i in \$(seq 300); do grep -q 'In buffer xlat' \$d/info && break; usleep 100000; done; grep -q 'In buffer xlat' \$d/info" >/dev/null ||
        fail "$g: ntb_perf never set up its buffers"
done
# The best of 5 runs, as memcpy-bench takes the best of its 5 rounds: the
# first run also pays for what TCG translates and maps the first time.
po=$(gx rc "d=$perf/\$(ls /sys/bus/ntb/devices); for i in 1 2 3 4 5; do echo 0 > \$d/run; cat \$d/run; done") ||
    fail "ntb_perf run failed: $po"
runs=$(echo "$po" | sed -n 's/^0: copied \([0-9]*\) bytes in \([0-9]*\) usecs.*/\1 \2/p')
[ "$(echo "$runs" | grep -c .)" -eq 5 ] || fail "ntb_perf printed no statistics for each of its 5 runs: $po"
echo "ntb_perf runs (bytes, usecs):" $(echo "$runs" | tr ' ' ',')
perf_bytes=$(echo "$runs" | sort -n -k2 | head -n 1)
mc=$(gx rc "memcpy-bench 2097152 5" | sed -n 's/^memcpy .*: \([0-9.]*\) s,.*/\1/p')
[ -n "$mc" ] || fail "memcpy-bench printed nothing"
ntb_perf=$(echo "$perf_bytes $mc" | awk '{ printf "%.5f", ($3 * 1e6) / $2 }')
echo "ntb_perf: $perf_bytes (bytes, usecs; the best run); memcpy of 2 MiB: $mc s; ratio $ntb_perf"
"$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true

echo "==> [bench] eDMA (bench/edma.sh --size $edma_size)"
"$top/bench/edma.sh" $build --soc "$soc" --size "$edma_size" --chunk 4194304 >"$work/edma.out" 2>&1 3>&- ||
    fail "bench/edma.sh failed; see $work/edma.out"
cat "$work/edma.out" | sed -n '/^eDMA vs memcpy/,$p'
edma_read=$(awk -F'|' '/^\| eDMA read/ { gsub(/ /, "", $4); print $4 }' "$work/edma.out")
edma_write=$(awk -F'|' '/^\| eDMA write/ { gsub(/ /, "", $4); print $4 }' "$work/edma.out")

echo "==> [bench] doorbell vs polling (bench/ntb-ping.sh --count $pings)"
"$top/bench/ntb-ping.sh" $build --soc "$soc" --fast-path "$fast_path" --count "$pings" \
    --out "$work/samples" >"$work/ping.out" 2>&1 3>&- ||
    fail "bench/ntb-ping.sh failed; see $work/ping.out"
sed -n '/^ping and UDP ping-pong over ntb_netdev/,/^samples:/{/^samples:/d;p;}' "$work/ping.out"
# worse COLUMN: the smallest ratio of the its and embedded rows (the worse
# doorbell backend), from ntb-ping.sh's table.
worse() {
    awk -F'|' -v c="$1" '/^\| (its|embedded) / { v = $c; gsub(/ /, "", v)
        if (r == "" || v + 0 < r + 0) r = v } END { print r }' "$work/ping.out"
}
ping_ratio=$(worse 6)
udp_ratio=$(worse 10)
if [ -z "$ping_ratio" ] || [ -z "$udp_ratio" ]; then
    fail "no polling/doorbell ratios in the table of bench/ntb-ping.sh; see $work/ping.out"
fi
ratios="mw_write=$mw_write mw_read=$mw_read ntb_perf=$ntb_perf edma_read=$edma_read edma_write=$edma_write ping_polling_over_doorbell=$ping_ratio udp_polling_over_doorbell=$udp_ratio bar_rtt_us=$rtt_med"

echo "==> [bench] plot (bench/plot.sh)"
"$top/bench/plot.sh" --samples "$work/samples" --png "$png" --ratios "$ratios" \
    --title "link costs, $(date -u +%Y-%m-%d), $(nproc) CPUs, fast path $fast_path, $pings pings and UDP round trips per backend" \
    >"$work/plot.out" 2>&1 || { cat "$work/plot.out" >&2; fail "bench/plot.sh failed"; }

echo
echo "link costs, $(date -u +%Y-%m-%d), $(nproc) CPUs, fast path $fast_path, $host_idle"
printf '| %-44s | %14s |\n' "what" "value"
printf '|%s|%s|\n' "----------------------------------------------" "----------------"
printf '| %-44s | %14s |\n' "BAR4 (messages) read round trip, median us" "$rtt_med"
printf '| %-44s | %14s |\n' "BAR4 (messages) read round trip, p99 us" "$rtt_p99"
printf '| %-44s | %14s |\n' "BAR0 read round trip, median us" "$rtt0_med"
printf '| %-44s | %14s |\n' "MW write (RC -> BAR2, $mw_map) / memcpy" "$mw_write"
printf '| %-44s | %14s |\n' "MW read (BAR2 -> RC, $mw_map) / memcpy" "$mw_read"
# an uncached window is copied by 8-byte loops: what the loop costs in RAM
if [ "$mw_map" = uc ]; then
    printf '| %-44s | %14s |\n' "MW write / the same 8-byte loop into RAM" "$mw_loop_write"
    printf '| %-44s | %14s |\n' "MW read / the same 8-byte loop from RAM" "$mw_loop_read"
fi
printf '| %-44s | %14s |\n' "ntb_perf RC -> EP / memcpy" "$ntb_perf"
printf '| %-44s | %14s |\n' "eDMA read / memcpy" "$edma_read"
printf '| %-44s | %14s |\n' "eDMA write / memcpy" "$edma_write"
printf '| %-44s | %14s |\n' "ping: polling / doorbell (worse backend)" "$ping_ratio"
printf '| %-44s | %14s |\n' "UDP ping-pong: polling / doorbell (worse)" "$udp_ratio"
echo "plot: $png"
echo "ratios: $ratios"
rm -rf "$work"

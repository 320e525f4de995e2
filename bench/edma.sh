#!/bin/sh
# edma.sh - eDMA throughput against local memcpy, in one run of the pair.
usage() {
    cat <<'EOF'
Usage: bench/edma.sh [--size BYTES] [--chunk BYTES] [--run-dir DIR] [--soc FACE]
                     [--no-build]

Boots the pair with pci_epf_test (run-pair.sh --detach --function test),
then measures, in the same run:
  eDMA read   the EP's eDMA read channel moves SIZE bytes from RC memory
              into EP memory (pci_endpoint_test READ with DMA);
  eDMA write  the EP's eDMA write channel moves SIZE bytes from EP memory
              into RC memory (WRITE with DMA);
  memcpy      a plain memcpy of SIZE bytes inside the EP guest
              (memcpy-bench, best of 5).
The RC driver allocates each transfer with kmalloc, so SIZE is moved as
SIZE/CHUNK transfers of CHUNK bytes (default 64 MiB as 16 x 4 MiB); the
eDMA time is the sum of the times pci_epf_test reports for the transfers
themselves ("Time:" in the EP's dmesg, not counting the CRC checks).
Prints a table with each throughput and its ratio to memcpy; ratios are
what to compare between runs, as the machine is shared.

Options:
  --size BYTES    total bytes each way (default 67108864)
  --chunk BYTES   bytes per transfer, at most 4194304 (default 4194304)
  --run-dir DIR   where the pair's sockets and logs go (default: a new one)
  --soc FACE      run-pair.sh's --soc: qemu (default), rcar-s4 or rk3588
  --no-build      pass --no-build to run-pair.sh
  -h, --help      this text
EOF
}

set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
size=67108864
chunk=4194304
run_dir=
build=
soc=qemu
while [ $# -gt 0 ]; do
    case $1 in
    --size) size=${2:?--size needs a byte count}; shift 2 ;;
    --chunk) chunk=${2:?--chunk needs a byte count}; shift 2 ;;
    --run-dir) run_dir=${2:?--run-dir needs a directory}; shift 2 ;;
    --soc) case ${2:-} in qemu|rcar-s4|rk3588) soc=$2 ;;
        *) echo "edma.sh: --soc takes 'qemu', 'rcar-s4' or 'rk3588'" >&2; exit 2 ;; esac
        shift 2 ;;
    --no-build) build=--no-build; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "edma.sh: unknown option '$1'; see bench/edma.sh --help" >&2; exit 2 ;;
    esac
done
case $size$chunk in *[!0-9]*) echo "edma.sh: --size and --chunk take bytes" >&2; exit 2 ;; esac
if [ "$chunk" -gt 4194304 ] || [ "$chunk" -lt 1 ] || [ $((size % chunk)) -ne 0 ]; then
    echo "edma.sh: --chunk must be 1..4194304 and divide --size" >&2
    exit 2
fi
count=$((size / chunk))
[ -n "$run_dir" ] || run_dir=$(mktemp -d /tmp/dwcep-bench-XXXXXX)
gx() { "$top/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 900 "$@"; }

echo "==> [bench] booting the pair (run dir: $run_dir)"
"$top/run-pair.sh" --detach $build --soc "$soc" --function test --run-dir "$run_dir" >"$run_dir/run-pair.out" 2>&1 || {
    echo "edma.sh: run-pair.sh failed; see $run_dir/run-pair.out" >&2
    exit 1
}
trap '"$top/run-pair.sh" --stop --run-dir "$run_dir" >/dev/null 2>&1 || true' EXIT

# Sum of "Time: S.NNNNNNNNN s" over the EP's dmesg lines for one op.
ep_seconds() {
    gx ep "dmesg | grep '$1 => Size: $chunk B, DMA: YES'" |
        sed -n 's/.*Time: \([0-9.]*\) s.*/\1/p' |
        awk -v n="$count" '{ t += $1; k++ } END { if (k != n) exit 1; printf "%.6f\n", t }'
}

echo "==> [bench] eDMA read and write: $count x $chunk bytes each way"
gx ep 'dmesg -c >/dev/null'
# The RC's WRITE test has the EP read (eDMA read channel), its READ test
# has the EP write (eDMA write channel).
gx rc "pcitest-xfer write $chunk $count dma" >/dev/null
rd=$(ep_seconds READ) || { echo "edma.sh: the EP reported no time for every READ; see $run_dir/ep-console.log" >&2; exit 1; }
gx rc "pcitest-xfer read $chunk $count dma" >/dev/null
wr=$(ep_seconds WRITE) || { echo "edma.sh: the EP reported no time for every WRITE; see $run_dir/ep-console.log" >&2; exit 1; }

echo "==> [bench] memcpy of $size bytes in the EP guest"
mc=$(gx ep "memcpy-bench $size 5" | sed -n 's/^memcpy .*: \([0-9.]*\) s,.*/\1/p')
[ -n "$mc" ] || { echo "edma.sh: memcpy-bench printed nothing; see $run_dir/ep-console.log" >&2; exit 1; }

echo
echo "eDMA vs memcpy, $size bytes each, $(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -n)"
awk -v size="$size" -v rd="$rd" -v wr="$wr" -v mc="$mc" 'BEGIN {
    m = size / mc / 1048576
    printf "| %-36s | %10s | %12s |\n", "what", "MiB/s", "ratio/memcpy"
    printf "|%s|%s|%s|\n", "--------------------------------------", "------------", "--------------"
    printf "| %-36s | %10.1f | %12.3f |\n", "eDMA read (RC memory -> EP memory)", size / rd / 1048576, (size / rd / 1048576) / m
    printf "| %-36s | %10.1f | %12.3f |\n", "eDMA write (EP memory -> RC memory)", size / wr / 1048576, (size / wr / 1048576) / m
    printf "| %-36s | %10.1f | %12.3f |\n", "memcpy in the EP guest", m, 1
}'

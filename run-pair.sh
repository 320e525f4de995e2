#!/bin/sh
# run-pair.sh - boot the EP guest and the RC guest, side by side.
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")" && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: ./run-pair.sh [options]

Builds what is missing (QEMU, kernel, initramfs; see README.md), then boots
two arm64 QEMU 'virt' guests under TCG from the same kernel and initramfs
(but see --ep-kernel):
  ep  the endpoint guest, with the emulated DesignWare controller
      (QEMU device dw-pcie-ep or the --soc face's, id dwc0;
      'ep-function test|vntb' in the guest creates and starts an
      endpoint function);
  rc  the root-complex guest, where the endpoint appears as a PCIe device.
Each guest's serial console is logged to <run-dir>/<guest>-console.log and
served on <run-dir>/<guest>-console.sock; QMP is on <run-dir>/<guest>-qmp.sock
and QEMU's own log (guest errors, traces) is <run-dir>/<guest>-qemu.log.
It waits until both guests reach a shell, prints all of that, and stays
in the foreground until Ctrl-C, which stops both QEMUs.

Options:
  --detach             return once both guests reach a shell, leaving them
                       running; stop them later with --stop
  --stop               stop the pair of --run-dir (default: the latest) and exit;
                       exit 3 if a QEMU had to be killed (no quit in 20 s)
  --restart GUEST      start GUEST (ep or rc) of a detached pair again, after
                       its QEMU was stopped (e.g. to test surprise removal);
                       waits for its shell; --run-dir as for --stop
  --fault SPEC         inject a link fault into the pair of --run-dir
                       (default: the latest) and exit, or 'show' the faults
                       in force, or 'clear' them all (repeatable, applied
                       in order).  SPEC: link=down|up, perst=on|off,
                       cpl=ur|ca|timeout:bar=N, cpl=ur|ca|timeout:ADDR+LEN,
                       cpl=none, delay-us=N, msi=drop|dup[:every=N],
                       msi=none, each optionally prefixed 'ep:' or 'rc:'
                       for the side that acts; scripts/link_fault.py --help
                       and docs/link-faults.md say what each one does
  --interactive GUEST  attach this terminal to GUEST's console (ep or rc)
                       once booted; Ctrl-] detaches and stops the pair
  --run-dir DIR        where sockets, logs and pid files go (default: a new
                       directory under \$DWC_EP_CACHE/run, linked as 'latest')
  --no-build           do not build; use what the caches hold
  --kernel FILE        boot this arm64 Image instead of the built one, in
                       both guests (whatever --ep-kernel says)
  --initrd FILE        boot this initramfs instead of the built one, in
                       both guests (whatever --ep-kernel says)
  --ep-kernel KIND     which built kernel the EP guest boots: 'series' (the
                       default: Linux 7.2 with kernel-patches/, as the RC)
                       or 'stock' (Linux 7.2 without any of our patches,
                       scripts/build-kernel.sh --stock, with its own
                       initramfs, build-initramfs.sh --stock; for the SoC
                       faces, whose drivers are Linux's own; --soc qemu
                       needs the series' pcie-qemu-ep).  The RC guest
                       always boots the patched one.  --kernel and --initrd
                       still win: with --ep-kernel stock, the EP boots the
                       stock Image unless --kernel is given, and the stock
                       initramfs unless --initrd is given
  --kernel-flavour F   which flavour of the built kernels both guests boot:
                       'normal' (default) or 'debug' (scripts/build-kernel.sh
                       --flavour debug: lockdep, atomic-sleep checks, KASAN,
                       list and work-object debugging, kmemleak; a slower
                       boot, see the README); with --ep-kernel stock the EP
                       boots the stock kernel's debug flavour
  --smp N|EP,RC        vCPUs of both guests, or of the EP and the RC guest
                       (1 to 8 each; default 1, the fastest under TCG on
                       two host cores); more than one runs TCG with one host
                       thread per vCPU (MTTCG)
  --qemu FILE          run this qemu-system-aarch64 instead of the built one
                       (e.g. the sanitizer build: scripts/build-qemu.sh
                       --sanitize --print-dir)
  --append ARGS        extra kernel command-line arguments for both guests
  --ep-arg ARG         extra QEMU argument for the EP guest (repeatable;
                       split on white space)
  --rc-arg ARG         extra QEMU argument for the RC guest (repeatable)
  --function KIND      endpoint function to start once booted: 'vntb'
                       (the default: pci_epf_vntb; the RC binds ntb_hw_epf,
                       both guests load ntb_transport and ntb_netdev and
                       take 192.168.77.1 (EP) and .2 (RC) on the NTB net
                       device), 'test' (pci_epf_test; the RC binds
                       pci_endpoint_test) or 'none'
  --ntb-client KIND    with vntb: 'netdev' (default: ntb_transport and
                       ntb_netdev up on both sides) or 'none' (leave the
                       NTB devices to you: ntb_tool, ntb_perf)
  --db-bar N           vNTB doorbell BAR (default 4)
  --mw-bars LIST       vNTB memory windows, the BAR of each, comma-separated,
                       1 MiB each (default 2).  ntb_hw_epf knows the layout
                       by the function's IDs; the ones it can drive are
                       --db-bar 4 --mw-bars 2 (R-Car, the default),
                       --db-bar 2 --mw-bars 4 and --db-bar 2 --mw-bars 4,5
                       (i.MX8, one or two windows); others are refused
  --link KIND          how the two QEMUs are linked: 'unix' (a socket in the
                       private run directory; default), 'tcp' (127.0.0.1) or
                       'tcp:HOST:PORT'; TCP runs under TLS with a pre-shared
                       key made for this run (<run-dir>/psk/keys.psk, 0600):
                       a client without it gets no link
  --fast-path on|off   over --link unix, share the EP RAM behind its BARs
                       with the RC QEMU (default on: the RC guest reads and
                       writes vNTB's memory windows at memory speed; each
                       QEMU's RAM is a memfd the other may map); off, every
                       BAR access is a message on the link, as over TCP
  --link-key FILE      use this key (a 0600 copy of another run's
                       <run-dir>/psk/keys.psk) instead of making one
  --only ep|rc         start one side of a pair across two hosts: on one
                       host '--only rc --link tcp:ADDR:PORT' (the RC listens
                       on ADDR:PORT and prints its key file), on the other
                       '--only ep --link tcp:ADDR:PORT --link-key FILE' (the
                       EP connects and starts --function; the RC host then
                       binds the driver, e.g. rc-wait-ntb and ntb-net up)
  --link-port PORT     TCP port of the link (default: a free one)
  --soc FACE           which SoC's controller the EP guest has: 'qemu'
                       (default: device dw-pcie-ep, our own glue, bound by
                       kernel-patches/' pcie-qemu-ep; every BAR programmable,
                       MSI-X, INTx, link events) or 'rcar-s4' (device
                       dw-pcie-ep-rcar-s4: Renesas R-Car S4, bound by Linux's
                       own pcie-rcar-gen4; BAR4 fixed at 256 bytes, BAR1, 3
                       and 5 absent, no MSI-X, doorbell 'embedded' or 'none')
                       or 'rk3588' (device dw-pcie-ep-rk3588: Rockchip RK3588,
                       bound by Linux's own pcie-dw-rockchip; 64 KiB
                       alignment, BAR4 reserved: the hardware shows the
                       eDMA's registers there, the pre-exposed doorbell)
  --doorbell KIND      EP doorbell backend: 'its' (msi-map to the GIC ITS),
                       'embedded' (eDMA interrupt emulation; default) or
                       'none' (no MSI domain and no eDMA in the device
                       tree: no doorbell, so vNTB polls; no DMA either)
  --gdb PORT           gdb stub for EP on 127.0.0.1:PORT and for RC on PORT+1
  --memory MIB         guest RAM in MiB (default 512)
  --timeout SEC        how long to wait for both shells (default 180)
  --dry-run            check the options as a real run does, then print what
                       it would build, the two QEMU command lines and the
                       steps that follow, and exit 0; builds and starts
                       nothing, and creates only the cache's logs/ and
                       downloads/ directories (a bad option still fails)
  -h, --help           this text

Environment: KERNEL_SRC (your kernel tree), KERNEL_SERIES_DIR, QEMU_SRC,
DWC_EP_CACHE: see scripts/build-kernel.sh --help and build-qemu.sh --help.
USAGE
}

bad_usage() {
    echo "run-pair.sh: $*" >&2
    echo "run './run-pair.sh --help' for the options" >&2
    exit 2
}

need_arg() {
    [ $# -ge 2 ] || bad_usage "option $1 needs a value"
}

# check_private_dir DIR: DIR must be ours and writable by nobody else;
# then it is made 0700.
check_private_dir() {
    _owner=$(stat -c %u "$1")
    _perm=$(stat -c %a "$1")
    [ "$_owner" = "$(id -u)" ] ||
        die "run directory $1 belongs to uid $_owner, not to you: give --run-dir a directory of your own (it holds the link socket)"
    case $_perm in
    *[2367]?|*[2367]) die "run directory $1 is writable by others (mode $_perm): others could replace the link socket; use a new directory, or chmod 700 it" ;;
    esac
    [ "$dry_run" = 1 ] || chmod 700 "$1"
}

# shell_words ARG...: ARGs on one line, each quoted for sh where it needs
# it (for --dry-run's command lines).
shell_words() {
    _sep=
    for _a in "$@"; do
        case $_a in
        ''|*[!A-Za-z0-9_./:=,@%+-]*)
            _a="'$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'" ;;
        esac
        printf '%s%s' "$_sep" "$_a"
        _sep=' '
    done
    printf '\n'
}

# dry NOTE...: one line of --dry-run's report.
dry() {
    echo "==> [dry-run] $*"
}

mode=foreground
faults=
interactive=
run_dir=
build=1
kernel=
initrd=
ep_kernel_kind=series
qemu=
append=
ep_args=
rc_args=
gdb_port=
msi_doorbell=off
edma=on
soc=qemu
link=unix
link_host=127.0.0.1
link_port=
link_key=
fast_path=on
only=
function=vntb
ntb_client=netdev
db_bar=4
mw_bars=2
memory=512
kernel_flavour=normal
ep_smp=1
rc_smp=1
timeout=180
dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --detach) mode=detach ;;
    --stop) mode=stop ;;
    --fault) need_arg "$@"; mode=fault; faults="${faults:+$faults
}$2"; shift ;;
    --restart) need_arg "$@"; mode=restart; restart_which=$2; shift
        case "$restart_which" in ep|rc) ;; *)
            bad_usage "--restart takes 'ep' or 'rc', not '$restart_which'" ;; esac ;;
    --interactive) need_arg "$@"; interactive=$2; shift
        case "$interactive" in ep|rc) ;; *)
            bad_usage "--interactive takes 'ep' or 'rc', not '$interactive'" ;; esac ;;
    --run-dir) need_arg "$@"; run_dir=$2; shift ;;
    --no-build) build=0 ;;
    --dry-run) dry_run=1 ;;
    --kernel) need_arg "$@"; kernel=$2; shift
        [ -f "$kernel" ] || bad_usage "--kernel $kernel: no such file" ;;
    --initrd) need_arg "$@"; initrd=$2; shift
        [ -f "$initrd" ] || bad_usage "--initrd $initrd: no such file" ;;
    --ep-kernel) need_arg "$@"
        case "$2" in series|stock) ep_kernel_kind=$2 ;;
        *) bad_usage "--ep-kernel takes 'series' (our patched kernel) or 'stock' (Linux 7.2 without our patches), not '$2'" ;; esac
        shift ;;
    --qemu) need_arg "$@"; qemu=$2; shift
        [ -x "$qemu" ] || bad_usage "--qemu $qemu: no such executable" ;;
    --append) need_arg "$@"; append="$append $2"; shift ;;
    --ep-arg) need_arg "$@"; ep_args="$ep_args $2"; shift ;;
    --rc-arg) need_arg "$@"; rc_args="$rc_args $2"; shift ;;
    --doorbell) need_arg "$@"
        case "$2" in
        its) msi_doorbell=on; edma=on ;;
        embedded) msi_doorbell=off; edma=on ;;
        none) msi_doorbell=off; edma=off ;;
        *) bad_usage "--doorbell takes 'its', 'embedded' or 'none', not '$2'" ;;
        esac
        shift ;;
    --soc) need_arg "$@"
        case "$2" in qemu|rcar-s4|rk3588) soc=$2 ;;
        *) bad_usage "--soc takes 'qemu', 'rcar-s4' or 'rk3588', not '$2'" ;; esac
        shift ;;
    --link) need_arg "$@"
        case "$2" in
        unix|tcp) link=$2 ;;
        tcp:*:*) link=tcp; link_host=${2#tcp:}; link_host=${link_host%:*}
            link_port=${2##*:}
            case "$link_port" in ''|*[!0-9]*) bad_usage "--link $2: the port must be a number (tcp:HOST:PORT)" ;; esac
            [ -n "$link_host" ] || bad_usage "--link $2: no host (tcp:HOST:PORT)" ;;
        *) bad_usage "--link takes 'unix', 'tcp' or 'tcp:HOST:PORT', not '$2'" ;;
        esac
        shift ;;
    --link-key) need_arg "$@"; link_key=$2; shift ;;
    --fast-path) need_arg "$@"
        case "$2" in on|off) fast_path=$2 ;;
        *) bad_usage "--fast-path takes 'on' or 'off', not '$2'" ;; esac
        shift ;;
    --only) need_arg "$@"; only=$2; shift
        case "$only" in ep|rc) ;; *) bad_usage "--only takes 'ep' or 'rc', not '$only'" ;; esac ;;
    --link-port) need_arg "$@"; link_port=$2; shift
        case "$link_port" in ''|*[!0-9]*) bad_usage "--link-port takes a TCP port number" ;; esac ;;
    --ntb-client) need_arg "$@"
        case "$2" in netdev|none) ntb_client=$2 ;;
        *) bad_usage "--ntb-client takes 'netdev' or 'none', not '$2'" ;; esac
        shift ;;
    --db-bar) need_arg "$@"
        case "$2" in [0-5]) db_bar=$2 ;;
        *) bad_usage "--db-bar takes a BAR number 0..5, not '$2'" ;; esac
        shift ;;
    --mw-bars) need_arg "$@"
        case "$2" in [0-5]|[0-5],[0-5]|[0-5],[0-5],[0-5]|[0-5],[0-5],[0-5],[0-5]) mw_bars=$2 ;;
        *) bad_usage "--mw-bars takes 1 to 4 comma-separated BAR numbers (e.g. 2 or 4,5), not '$2'" ;; esac
        shift ;;
    --function) need_arg "$@"
        case "$2" in test|vntb|none) function=$2 ;;
        *) bad_usage "--function takes 'test', 'vntb' or 'none', not '$2'" ;; esac
        shift ;;
    --gdb) need_arg "$@"; gdb_port=$2; shift
        case "$gdb_port" in ''|*[!0-9]*) bad_usage "--gdb takes a TCP port number" ;; esac ;;
    --kernel-flavour) need_arg "$@"
        case "$2" in normal|debug) kernel_flavour=$2 ;;
        *) bad_usage "--kernel-flavour takes 'normal' or 'debug' (lockdep, KASAN and the other debug options), not '$2'" ;; esac
        shift ;;
    --smp) need_arg "$@"
        case "$2" in
        [1-8]) ep_smp=$2; rc_smp=$2 ;;
        [1-8],[1-8]) ep_smp=${2%,*}; rc_smp=${2#*,} ;;
        *) bad_usage "--smp takes a vCPU count for both guests (1 to 8, e.g. 2) or one each as EP,RC (e.g. 2,1), not '$2'" ;;
        esac
        shift ;;
    --memory) need_arg "$@"; memory=$2; shift
        case "$memory" in ''|*[!0-9]*) bad_usage "--memory takes a size in MiB, e.g. 512" ;; esac ;;
    --timeout) need_arg "$@"; timeout=$2; shift
        case "$timeout" in ''|*[!0-9]*) bad_usage "--timeout takes seconds, e.g. 180" ;; esac ;;
    *) bad_usage "unknown option '$1'" ;;
    esac
    shift
done

# The vNTB BAR layouts ntb_hw_epf can drive: it finds the BARs by the
# function's IDs (its barno tables), and our controller's BAR0 and BAR2 are
# 64-bit (BAR1 and BAR3 hold their upper halves).  R-Car (1912:0030):
# control BAR0, doorbell BAR4, one window in BAR2.  i.MX8 (1957:0809):
# control BAR0, doorbell BAR2, windows in BAR4 and BAR5.  TI J721E wants
# the peer scratchpads in BAR1 and the doorbell sharing BAR2 with window 1,
# which pci-epf-vntb cannot lay out.  Refuse anything else before booting.
if [ "$mode" = foreground ] || [ "$mode" = detach ]; then
    if [ "$function" = vntb ]; then
        case "$db_bar/$mw_bars" in
        4/2|2/4|2/4,5) ;;
        *) bad_usage "vNTB layout --db-bar $db_bar --mw-bars $mw_bars is not one ntb_hw_epf can drive.
  It finds the BARs by the function's IDs, and only these layouts exist:
    --db-bar 4 --mw-bars 2     (R-Car: one memory window, BAR2; the default)
    --db-bar 2 --mw-bars 4     (i.MX8: one memory window, BAR4)
    --db-bar 2 --mw-bars 4,5   (i.MX8: two memory windows, BAR4 and BAR5)
  (BAR1 and BAR3 are the upper halves of the 64-bit BAR0 and BAR2.)" ;;
        esac
    elif [ "$db_bar" != 4 ] || [ "$mw_bars" != 2 ]; then
        bad_usage "--db-bar and --mw-bars are for --function vntb"
    fi
fi

# The built kernels' flavour, as build-kernel.sh and build-initramfs.sh take it.
kflav="--flavour $kernel_flavour"

# The SoC face: the QEMU device, and what its rules forbid.
# no_window_in_bar4 WHY: refuse a vNTB memory window in BAR4, for WHY.
no_window_in_bar4() {
    [ "$function" = vntb ] || return 0
    for b in $(echo "$mw_bars" | tr ',' ' '); do
        [ "$b" != 4 ] ||
            bad_usage "--soc $soc: $1, so no memory window can go there (--mw-bars $mw_bars); use the R-Car layout, --db-bar 4 --mw-bars 2"
    done
}
case $soc in
qemu) ep_device=dw-pcie-ep
    [ "$ep_kernel_kind" = series ] || [ -n "$kernel" ] ||
        bad_usage "--ep-kernel stock is for the SoC faces (--soc rcar-s4 or rk3588): stock Linux has no driver for --soc qemu's controller (pcie-qemu-ep comes from kernel-patches/0002)" ;;
rcar-s4) ep_device=dw-pcie-ep-rcar-s4
    [ "$msi_doorbell" = off ] ||
        bad_usage "--soc rcar-s4 cannot take --doorbell its: R-Car S4 has no ITS for the endpoint's doorbells; use 'embedded' (the eDMA's) or 'none'"
    no_window_in_bar4 "BAR4 is fixed at 256 bytes, too small for a 1 MiB memory window" ;;
rk3588) ep_device=dw-pcie-ep-rk3588
    no_window_in_bar4 "BAR4 is reserved (the hardware shows the eDMA's registers there: the R-Car layout's doorbell reuses it)" ;;
esac

# One side of a pair across two hosts: TCP with the same key on both.
if [ -n "$only" ]; then
    [ "$link" = tcp ] && [ -n "$link_port" ] ||
        bad_usage "--only $only needs --link tcp:HOST:PORT (the RC listens on HOST:PORT, the EP connects to it)"
    [ "$only" = rc ] || [ -n "$link_key" ] ||
        bad_usage "--only ep needs --link-key FILE: the key the RC side made (its <run-dir>/psk/keys.psk), copied here"
fi
if [ -n "$link_key" ]; then
    [ "$link" = tcp ] || bad_usage "--link-key is for --link tcp"
    [ -f "$link_key" ] || bad_usage "--link-key $link_key: no such file"
    case $(stat -c %a "$link_key") in
    *00) ;;
    *) bad_usage "--link-key $link_key is readable by others (mode $(stat -c %a "$link_key")): chmod 600 it" ;;
    esac
    grep -Eqx 'pcielink:[0-9a-f]{64}' "$link_key" ||
        bad_usage "--link-key $link_key is not a key run-pair.sh made (one line: pcielink:<64 hex digits>)"
fi

runs=$DWC_EP_CACHE/run

# qemu_alive PID: PID runs and has not exited.  A QEMU of a detached pair
# that exited stays a zombie until init reaps it, which can take seconds:
# kill -0 alone counts it as running.
qemu_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# stop_pair DIR: stop the QEMUs whose pid files are in DIR; waits for them.
# A QEMU that does not quit within 20 s of SIGTERM is killed with SIGKILL,
# said on stderr, and stop_forced is set (--stop then exits 3): a hung
# teardown is a failure for whoever stops the pair.
stop_forced=0
stop_pair() {
    for g in ep rc; do
        pf=$1/$g.pid
        [ -f "$pf" ] || continue
        pid=$(cat "$pf")
        if qemu_alive "$pid" &&
           grep -q qemu-system "/proc/$pid/cmdline" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            i=0
            while qemu_alive "$pid" && [ $i -lt 200 ]; do
                sleep 0.1; i=$((i + 1))
            done
            if qemu_alive "$pid"; then
                kill -9 "$pid" 2>/dev/null || true
                stop_forced=1
                echo "run-pair.sh: killed $g (pid $pid) with SIGKILL: it did not quit within 20 s of SIGTERM; see $1/$g-qemu.err and $1/$g-console.log" >&2
            else
                echo "stopped $g (pid $pid)"
            fi
        fi
        rm -f "$pf"
    done
}

# launch_guest GUEST QEMU ARGS...: start GUEST's QEMU in a session of its
# own (not with -daemonize: a sanitizer build deadlocks in its allocator
# when QEMU forks with threads running), stderr to <run-dir>/GUEST-qemu.err
# (sanitizer reports land there), and return once its QMP socket is there
# (its chardevs, the link's among them, are set up); 1 if it exited first.
launch_guest() {
    _g=$1; shift
    rm -f "$run_dir/$_g-qmp.sock" "$run_dir/$_g.pid"
    setsid "$@" </dev/null >"$run_dir/$_g-qemu.err" 2>&1 &
    _pid=$!
    while [ ! -S "$run_dir/$_g-qmp.sock" ] || [ ! -s "$run_dir/$_g.pid" ]; do
        if ! kill -0 "$_pid" 2>/dev/null; then
            tail -n 20 "$run_dir/$_g-qemu.err" >&2
            return 1
        fi
        sleep 0.05
    done
    make_private "$_g"
}

# make_private GUEST: make the sockets and files GUEST's QEMU created 0600
# (the directory is 0700 anyway).
make_private() {
    for f in "$run_dir/$1-console.sock" "$run_dir/$1-qmp.sock" "$run_dir/link.sock" \
             "$run_dir/$1-console.log" "$run_dir/$1-qemu.log" "$run_dir/$1.pid" \
             "$run_dir/$1-qemu.err"; do
        if [ -e "$f" ]; then chmod 600 "$f"; fi
    done
}

# restart_guest GUEST: start GUEST's QEMU again with its saved command line.
restart_guest() {
    g=$1
    [ -f "$run_dir/$g.cmdline" ] || die "no $run_dir/$g.cmdline: was this pair started by run-pair.sh?"
    if [ -f "$run_dir/$g.pid" ] && qemu_alive "$(cat "$run_dir/$g.pid")"; then
        die "$g is still running (pid $(cat "$run_dir/$g.pid"))"
    fi
    rm -f "$run_dir/$g-console.log"
    # Arguments contain no newlines: read them back one a line.
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done <"$run_dir/$g.cmdline"
    launch_guest "$g" "$@" || die "$g QEMU failed to start again (its stderr: $run_dir/$g-qemu.err)"
    t0=$(date +%s)
    while ! grep -q "DWC-EP-GUEST-READY role=$g" "$run_dir/$g-console.log" 2>/dev/null; do
        [ $(( $(date +%s) - t0 )) -lt "$timeout" ] ||
            die "$g guest did not reach a shell in ${timeout}s; console: $run_dir/$g-console.log"
        sleep 0.2
    done
    echo "==> [restart] $g is back in $(( $(date +%s) - t0 ))s"
}

# --dry-run of --stop and --restart: say what they would act on.  Which
# pair that is depends on what runs now, not on the options, so no pair is
# no error here.
if [ "$dry_run" = 1 ] && { [ "$mode" = stop ] || [ "$mode" = restart ]; }; then
    [ -n "$run_dir" ] || run_dir=$(readlink -f "$runs/latest" 2>/dev/null || true)
    if [ -z "$run_dir" ] || [ ! -d "$run_dir" ]; then
        where="none now (${run_dir:-no $runs/latest}): a real run would fail here"
    else
        where=$run_dir
    fi
    if [ "$mode" = stop ]; then
        dry "would stop the QEMUs whose pid files are in the run directory, and wait for them: $where"
    else
        dry "would start $restart_which's QEMU again from <run-dir>/$restart_which.cmdline, if it is not running, and wait up to ${timeout}s for its shell: $where"
    fi
    exit 0
fi

if [ "$mode" = fault ]; then
    [ -n "$run_dir" ] || run_dir=$(readlink -f "$runs/latest" 2>/dev/null || true)
    [ "$dry_run" = 1 ] || { [ -n "$run_dir" ] && [ -d "$run_dir" ]; } ||
        bad_usage "no run directory for --fault (give --run-dir)"
    # One spec a line (a spec has no newline): each an argument.
    _ifs=$IFS; IFS='
'
    # shellcheck disable=SC2086
    set -- $faults
    IFS=$_ifs
    if [ "$dry_run" = 1 ]; then
        "$DWC_EP_TOP/scripts/link_fault.py" --check "$@" || exit 2
        dry "would set, over QMP in ${run_dir:-the latest pair (none now)}: $*"
        exit 0
    fi
    exec "$DWC_EP_TOP/scripts/link_fault.py" --run-dir "$run_dir" "$@"
fi

if [ "$mode" = stop ]; then
    [ -n "$run_dir" ] || run_dir=$(readlink -f "$runs/latest" 2>/dev/null || true)
    [ -n "$run_dir" ] && [ -d "$run_dir" ] || bad_usage "no run directory to stop (give --run-dir)"
    stop_pair "$run_dir"
    [ "$stop_forced" = 0 ] || exit 3
    exit 0
fi

if [ "$mode" = restart ]; then
    [ -n "$run_dir" ] || run_dir=$(readlink -f "$runs/latest" 2>/dev/null || true)
    [ -n "$run_dir" ] && [ -d "$run_dir" ] || bad_usage "no run directory (give --run-dir)"
    restart_guest "$restart_which"
    exit 0
fi

# A --run-dir that exists must be private before anything is built.
if [ -n "$run_dir" ] && [ -d "$run_dir" ]; then
    check_private_dir "$run_dir"
fi

# dry_uses WHAT FILE: --dry-run's line on where WHAT comes from.
dry_uses() {
    if [ -f "$2" ]; then
        dry "$1: $2"
    elif [ "$build" = 1 ]; then
        dry "$1: $2 (not there yet: built first)"
    else
        dry "would fail: $1 $2 is missing (--no-build)"
    fi
}

if [ "$dry_run" = 1 ]; then
    # Say what would be built and where each piece would come from.
    kernel_opt=$kernel
    initrd_opt=$initrd
    dry "nothing is built, started or changed"
    if [ "$build" = 1 ]; then
        dry "would run scripts/bootstrap.sh if 'scripts/bootstrap.sh --check' fails, then build what is missing or changed:$([ -n "$qemu" ] || echo ' QEMU')$([ -n "$kernel" ] || echo ' kernel')$([ -n "$initrd" ] || echo ' initramfs')$([ "$ep_kernel_kind" = series ] || [ -n "$kernel" ] || echo ' stock-kernel')$([ "$ep_kernel_kind" = series ] || [ -n "$initrd" ] || echo ' stock-initramfs')"
    else
        dry "would build nothing (--no-build)"
    fi
    # dry_built WHAT SCRIPT SUFFIX PLACEHOLDER [FLAG]: dry_path is what
    # SCRIPT [FLAG] --print-dir names (plus SUFFIX), else PLACEHOLDER and a
    # "would fail".
    dry_built() {
        # shellcheck disable=SC2086 # FLAGS: split on white space
        if d=$("$DWC_EP_TOP/scripts/$2" ${5:-} --print-dir 2>&1); then
            dry_path=$d$3
            dry_uses "$1" "$dry_path"
        else
            dry_path=$4
            dry "would fail: scripts/$2${5:+ $5} --print-dir: $d"
        fi
    }
    if [ -n "$qemu" ]; then
        dry_uses QEMU "$qemu"
    else
        dry_built QEMU build-qemu.sh /qemu-system-aarch64 QEMU
        qemu=$dry_path
    fi
    if [ -n "$kernel" ]; then
        dry_uses kernel "$kernel"
    else
        dry_built kernel build-kernel.sh /arch/arm64/boot/Image IMAGE "$kflav"
        kernel=$dry_path
    fi
    # dry_initramfs WHAT PLACEHOLDER [FLAGS]: dry_path is the cpio that
    # build-initramfs.sh [FLAGS] --print-path names, else PLACEHOLDER.
    dry_initramfs() {
        # shellcheck disable=SC2086 # FLAGS: split on white space
        if d=$("$DWC_EP_TOP/scripts/build-initramfs.sh" ${3:-} --print-path 2>&1); then
            dry_path=$d
            dry_uses "$1" "$dry_path"
        elif [ "$build" = 1 ]; then
            # Its name hashes the kernel build's modules.
            dry_path=$2
            dry "$1: built after the kernel (named then)"
        else
            dry_path=$2
            dry "would fail: scripts/build-initramfs.sh${3:+ $3} --print-path: $d"
        fi
    }
    if [ -n "$initrd" ]; then
        dry_uses initramfs "$initrd"
    else
        dry_initramfs initramfs INITRAMFS "$kflav"
        initrd=$dry_path
    fi
    ep_kernel=$kernel
    ep_initrd=$initrd
    if [ "$ep_kernel_kind" = stock ]; then
        if [ -n "$kernel_opt" ]; then
            dry "EP kernel: --kernel $kernel wins over --ep-kernel stock"
        else
            dry_built "EP kernel (stock)" build-kernel.sh /arch/arm64/boot/Image STOCK-IMAGE "--stock $kflav"
            ep_kernel=$dry_path
        fi
        if [ -n "$initrd_opt" ]; then
            dry "EP initramfs: --initrd $initrd wins over --ep-kernel stock"
        else
            dry_initramfs "EP initramfs (stock)" STOCK-INITRAMFS "--stock $kflav"
            ep_initrd=$dry_path
        fi
    fi
else
    # Build (or locate) QEMU, kernel, initramfs.
    if [ "$build" = 1 ]; then
        "$DWC_EP_TOP/scripts/bootstrap.sh" --check >/dev/null 2>&1 ||
            "$DWC_EP_TOP/scripts/bootstrap.sh"
        [ -n "$qemu" ] || "$DWC_EP_TOP/scripts/build-qemu.sh"
        # shellcheck disable=SC2086 # kflav: two words or none
        [ -n "$kernel" ] || "$DWC_EP_TOP/scripts/build-kernel.sh" $kflav
        # shellcheck disable=SC2086
        [ -n "$initrd" ] || "$DWC_EP_TOP/scripts/build-initramfs.sh" $kflav
        if [ "$ep_kernel_kind" = stock ]; then
            # shellcheck disable=SC2086
            [ -n "$kernel" ] || "$DWC_EP_TOP/scripts/build-kernel.sh" --stock $kflav
            # shellcheck disable=SC2086
            [ -n "$initrd" ] || "$DWC_EP_TOP/scripts/build-initramfs.sh" --stock $kflav
        fi
    fi
    # The EP guest's Image and initramfs: the RC's, or with --ep-kernel
    # stock the stock build's (--kernel and --initrd win for both).
    ep_kernel=$kernel
    ep_initrd=$initrd
    if [ "$ep_kernel_kind" = stock ]; then
        # shellcheck disable=SC2086
        [ -n "$ep_kernel" ] || ep_kernel=$("$DWC_EP_TOP/scripts/build-kernel.sh" --stock $kflav --print-dir)/arch/arm64/boot/Image
        # shellcheck disable=SC2086
        [ -n "$ep_initrd" ] || ep_initrd=$("$DWC_EP_TOP/scripts/build-initramfs.sh" --stock $kflav --print-path) ||
            die "no stock kernel build for --ep-kernel stock: run without --no-build (or scripts/build-kernel.sh --stock $kflav)"
    fi
    [ -n "$qemu" ] || qemu=$("$DWC_EP_TOP/scripts/build-qemu.sh" --print-dir)/qemu-system-aarch64
    # shellcheck disable=SC2086
    [ -n "$kernel" ] || kernel=$("$DWC_EP_TOP/scripts/build-kernel.sh" $kflav --print-dir)/arch/arm64/boot/Image
    # shellcheck disable=SC2086
    [ -n "$initrd" ] || initrd=$("$DWC_EP_TOP/scripts/build-initramfs.sh" $kflav --print-path) ||
        die "no $kernel_flavour kernel build: run without --no-build (or scripts/build-kernel.sh $kflav)"
    [ -n "$ep_kernel" ] || ep_kernel=$kernel
    [ -n "$ep_initrd" ] || ep_initrd=$initrd
    for f in "$qemu" "$kernel" "$initrd" "$ep_kernel" "$ep_initrd"; do
        [ -f "$f" ] || die "$f is missing: run without --no-build"
    done
fi

# The run directory holds the link socket (whoever connects to it can read
# and write both guests' memory), the consoles and QMP: it is private
# (0700, created with umask 077) and its sockets are made 0600 once QEMU
# has created them.  One that others can write is refused: they could
# have put their own socket or file there.
umask 077
if [ -z "$run_dir" ]; then
    run_dir=$runs/pair-$(date +%Y%m%d-%H%M%S)-$$
fi
if [ "$dry_run" = 1 ]; then
    case $run_dir in /*) ;; *) run_dir=$(pwd)/$run_dir ;; esac
    if [ -d "$run_dir" ]; then
        dry "run directory: $run_dir (there; would be made 0700), linked as $runs/latest"
    else
        dry "run directory: $run_dir (would be created, 0700), linked as $runs/latest"
    fi
else
    mkdir -p "$run_dir"
    run_dir=$(cd "$run_dir" && pwd)
    check_private_dir "$run_dir"
    mkdir -p "$runs"
    ln -sfn "$run_dir" "$runs/latest"
fi
[ ${#run_dir} -lt 90 ] ||
    die "run directory path too long for unix sockets: $run_dir (use --run-dir with a shorter path)"

# start_guest ROLE EXTRA_ARGS: start one QEMU, with pid file (--dry-run:
# print its command line).
start_guest() {
    g=$1; extra=$2
    # The EP's Image and initramfs can be the stock ones (--ep-kernel).
    gkernel=$kernel; ginitrd=$initrd; smp=$rc_smp
    [ "$g" = rc ] || { gkernel=$ep_kernel; ginitrd=$ep_initrd; smp=$ep_smp; }
    # The endpoint arrives after boot, behind a hot-plug root port: Linux
    # sizes that port's windows at boot from pci=hpmemsize (2 MiB by
    # default, too small for four 1 MiB BARs), as on a board whose EP
    # comes up late.
    kargs=
    [ "$g" = rc ] && kargs=" pci=hpmemsize=32M,hpmmioprefsize=32M"
    gdb=
    if [ -n "$gdb_port" ]; then
        p=$gdb_port; [ "$g" = rc ] && p=$((gdb_port + 1))
        gdb="-gdb tcp:127.0.0.1:$p"
    fi
    # shellcheck disable=SC2086
    # RAM in a memfd, shared: the fast path hands it to the other QEMU.
    set -- "$qemu" -machine virt,gic-version=3,memory-backend=ram \
        -object "memory-backend-memfd,id=ram,size=${memory}M,share=on" \
        -cpu cortex-a57 -accel tcg \
        -smp "$smp" -m "$memory" -nodefaults -display none -no-reboot \
        -kernel "$gkernel" -initrd "$ginitrd" \
        -append "console=ttyAMA0 rdinit=/init panic=-1 dwc_ep.role=$g$kargs$append" \
        -chardev "socket,id=con,path=$run_dir/$g-console.sock,server=on,wait=off,logfile=$run_dir/$g-console.log" \
        -serial chardev:con \
        -qmp "unix:$run_dir/$g-qmp.sock,server=on,wait=off" \
        -D "$run_dir/$g-qemu.log" -d guest_errors \
        -pidfile "$run_dir/$g.pid" $gdb $extra
    if [ "$dry_run" = 1 ]; then
        dry "$g QEMU: $(shell_words "$@")"
        return 0
    fi
    rm -f "$run_dir/$g-console.log" "$run_dir/$g-qemu.log"
    # Keep the command line, one argument a line, for --restart.
    printf '%s\n' "$@" >"$run_dir/$g.cmdline"
    launch_guest "$g" "$@"
}

started=0
cleanup() {
    if [ "$started" = 1 ]; then
        stop_pair "$run_dir"
    fi
}
# Keep the script's own exit status: dash would return the trap's.
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
[ "$dry_run" = 1 ] ||
    echo "==> [boot] starting ep and rc guests (run dir: $run_dir)"
# The RC listens for the link; the EP connects, and reconnects if the RC
# side restarts.  A restarted EP QEMU finds the RC waiting.
if [ "$link" = tcp ]; then
    if [ -z "$link_port" ] && [ "$dry_run" = 1 ]; then
        link_port=FREE-PORT
    elif [ -z "$link_port" ]; then
        link_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    # TLS with a pre-shared key made for this run (0600, in the private
    # run directory): a client without the key gets no link.
    if [ "$dry_run" = 1 ] && [ -n "$link_key" ]; then
        dry "link: TCP $link_host:$link_port under TLS, key $run_dir/psk/keys.psk (a copy of $link_key)"
    elif [ "$dry_run" = 1 ]; then
        dry "link: TCP $link_host:$link_port under TLS, key $run_dir/psk/keys.psk (made for this run)"
    else
        mkdir -p "$run_dir/psk"
        if [ -n "$link_key" ]; then
            cp "$link_key" "$run_dir/psk/keys.psk"
        else
            key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
            [ ${#key} -eq 64 ] || die "could not read a key from /dev/urandom"
            printf 'pcielink:%s\n' "$key" >"$run_dir/psk/keys.psk"
        fi
        chmod 600 "$run_dir/psk/keys.psk"
    fi
    rc_args="-object tls-creds-psk,id=linktls,endpoint=server,dir=$run_dir/psk -trace chr_socket_tls_handshake_err $rc_args"
    ep_args="-object tls-creds-psk,id=linktls,endpoint=client,dir=$run_dir/psk,username=pcielink $ep_args"
    link_rc="socket,id=pcielink,host=$link_host,port=$link_port,server=on,wait=off,nodelay=on,tls-creds=linktls"
    link_ep="socket,id=pcielink,host=$link_host,port=$link_port,reconnect-ms=500,nodelay=on,tls-creds=linktls"
else
    link_rc="socket,id=pcielink,path=$run_dir/link.sock,server=on,wait=off"
    link_ep="socket,id=pcielink,path=$run_dir/link.sock,reconnect-ms=500"
fi
if [ "$dry_run" = 1 ]; then
    [ "$link" = tcp ] || dry "link: unix socket $run_dir/link.sock, fast path $fast_path"
else
    echo "$link_ep" >"$run_dir/ep-link.chardev"
    started=1
fi
[ "$only" = ep ] ||
start_guest rc "-device pcie-root-port,id=rp0,chassis=1,slot=0,bus=pcie.0
    -chardev $link_rc -device pci-ep-link,id=eplink,chardev=pcielink,port=rp0,fast-path=$fast_path $rc_args" ||
    die "RC QEMU failed to start (see above)"
[ "$only" = rc ] ||
start_guest ep "-chardev $link_ep -device $ep_device,id=dwc0,chardev=pcielink,msi-doorbell=$msi_doorbell,dt-edma=$edma,fast-path=$fast_path $ep_args" ||
    die "EP QEMU failed to start (see above)"

guests="ep rc"
[ -z "$only" ] || guests=$only
if [ "$dry_run" = 1 ]; then
    dry "then: wait up to ${timeout}s for the shell of $(echo "$guests" | sed 's/ / and /')"
    if [ "$only" = rc ]; then
        dry "then: print the key file for the EP host; the EP host starts the function and this host binds the driver"
    elif [ "$function" != none ]; then
        dry "then: start pci_epf_$function in the EP guest (ep-function $function, DB_BAR=$db_bar MW_BARS=$mw_bars)"
        if [ "$only" = ep ]; then
            dry "then: nothing more here; the RC host binds the driver"
        elif [ "$function" = test ]; then
            dry "then: wait for /dev/pci-endpoint-test.0 in the RC guest"
        elif [ "$ntb_client" = none ]; then
            dry "then: wait for ntb_hw_epf's NTB device in the RC guest; load no NTB client (--ntb-client none)"
        else
            dry "then: wait for ntb_hw_epf's NTB device in the RC guest; ntb_netdev up on both sides: EP 192.168.77.1, RC 192.168.77.2"
        fi
    fi
    [ -z "$gdb_port" ] || dry "gdb stubs: 127.0.0.1:$gdb_port (ep), 127.0.0.1:$((gdb_port + 1)) (rc)"
    if [ "$mode" = detach ]; then
        dry "then: return, leaving the pair running (stop it with --stop)"
    elif [ -n "$interactive" ]; then
        dry "then: attach this terminal to the $interactive console (Ctrl-] detaches and stops the pair)"
    else
        dry "then: stay in the foreground until Ctrl-C, which stops both QEMUs"
    fi
    exit 0
fi
# Wait for the consoles to show the ready line.
for g in $guests; do
    while ! grep -q "DWC-EP-GUEST-READY role=$g" "$run_dir/$g-console.log" 2>/dev/null; do
        if ! qemu_alive "$(cat "$run_dir/$g.pid" 2>/dev/null || echo 0)"; then
            tail -n 20 "$run_dir/$g-console.log" >&2 2>/dev/null || true
            die "$g QEMU exited before its shell came up; console: $run_dir/$g-console.log, QEMU's stderr: $run_dir/$g-qemu.err"
        fi
        if [ $(( $(date +%s) - t0 )) -ge "$timeout" ]; then
            tail -n 20 "$run_dir/$g-console.log" >&2 2>/dev/null || true
            die "$g guest did not reach a shell in ${timeout}s; console: $run_dir/$g-console.log"
        fi
        sleep 0.2
    done
done
echo "==> [boot] $(echo "$guests" | sed 's/ / and /') reached a shell in $(( $(date +%s) - t0 ))s"
if [ "$only" = rc ]; then
    echo "==> [link] listening on $link_host:$link_port for the EP host; key: $run_dir/psk/keys.psk"
    echo "    on the EP host: run-pair.sh --only ep --link tcp:$link_host:$link_port --link-key <a 0600 copy of that key>"
elif [ "$only" = ep ] && [ "$function" != none ]; then
    echo "==> [function] starting pci_epf_$function in the EP guest (the RC host binds the driver)"
    "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" ep \
        "DB_BAR=$db_bar MW_BARS=$mw_bars ep-function $function" ||
        die "ep-function $function failed in the EP guest; console: $run_dir/ep-console.log"
elif [ "$function" != none ]; then
    t1=$(date +%s)
    echo "==> [function] starting pci_epf_$function in the EP guest"
    "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" ep \
        "DB_BAR=$db_bar MW_BARS=$mw_bars ep-function $function" ||
        die "ep-function $function failed in the EP guest; console: $run_dir/ep-console.log"
    if [ "$function" = vntb ]; then
        # Ready means probed: ntb_hw_epf's NTB device is on the NTB bus.
        echo "==> [vntb] waiting for ntb_hw_epf to probe the endpoint in the RC guest"
        "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 150 rc \
            "rc-wait-ntb --timeout 120 0000:01:00.0" >"$run_dir/rc-wait-ntb.out" 2>&1 || {
            sed 's/^/    /' "$run_dir/rc-wait-ntb.out" >&2
            die "ntb_hw_epf did not bring up its NTB device in the RC guest (above: what it saw); consoles: $run_dir/{ep,rc}-console.log"
        }
        echo "==> [vntb] $(tail -n 1 "$run_dir/rc-wait-ntb.out")"
    fi
    if [ "$function" = vntb ] && [ "$ntb_client" = none ]; then
        echo "==> [vntb] ntb_hw_epf probed in the RC guest; no NTB client loaded (--ntb-client none)"
    elif [ "$function" = vntb ]; then
        echo "==> [vntb] bringing up ntb_netdev on both sides"
        # The NTB link comes up once both sides have their interface up.
        "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 150 ep \
            "ntb-net up 192.168.77.1/24 --timeout 120" >"$run_dir/ntb-net-ep.out" 2>&1 &
        ep_net=$!
        "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 150 rc \
            "ntb-net up 192.168.77.2/24 --timeout 120" >"$run_dir/ntb-net-rc.out" 2>&1 ||
            die "ntb-net up failed in the RC guest: $(tail -n 5 "$run_dir/ntb-net-rc.out"); consoles: $run_dir/{ep,rc}-console.log"
        wait "$ep_net" ||
            die "ntb-net up failed in the EP guest: $(tail -n 5 "$run_dir/ntb-net-ep.out"); consoles: $run_dir/{ep,rc}-console.log"
        echo "==> [vntb] NTB link up after $(( $(date +%s) - t1 ))s: EP $(tail -n 1 "$run_dir/ntb-net-ep.out") 192.168.77.1, RC $(tail -n 1 "$run_dir/ntb-net-rc.out") 192.168.77.2"
        echo "    try: scripts/guest_exec.py --run-dir $run_dir rc 'ping -c 5 192.168.77.1'"
    fi
    if [ "$function" = test ]; then
        "$DWC_EP_TOP/scripts/guest_exec.py" --run-dir "$run_dir" --timeout 60 rc \
            "rc-wait-device /dev/pci-endpoint-test.0 30" ||
            die "the RC guest did not see the endpoint; consoles: $run_dir/{ep,rc}-console.log"
        echo "==> [function] the RC sees the endpoint as /dev/pci-endpoint-test.0 after $(( $(date +%s) - t1 ))s"
        echo "    try: scripts/guest_exec.py --run-dir $run_dir --timeout 600 rc pci_endpoint_test"
    fi
fi
cat <<INFO
    ep console: $run_dir/ep-console.log   (attach: socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$run_dir/ep-console.sock)
    rc console: $run_dir/rc-console.log   (attach: socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:$run_dir/rc-console.sock)
    QMP:        $run_dir/ep-qmp.sock, $run_dir/rc-qmp.sock
    QEMU logs:  $run_dir/ep-qemu.log, $run_dir/rc-qemu.log
    run a command: scripts/guest_exec.py --run-dir $run_dir ep 'dmesg | tail'
INFO
if [ -n "$gdb_port" ]; then
    echo "    gdb:        target remote 127.0.0.1:$gdb_port (ep), 127.0.0.1:$((gdb_port + 1)) (rc)"
fi

case "$mode" in
detach)
    started=0
    echo "    stop with: ./run-pair.sh --stop --run-dir $run_dir"
    exit 0
    ;;
esac
if [ -n "$interactive" ]; then
    echo "==> attaching to the $interactive console; Ctrl-] detaches and stops the pair"
    socat -,raw,echo=0,escape=0x1d "UNIX-CONNECT:$run_dir/$interactive-console.sock" || true
    exit 0
fi
echo "==> running; Ctrl-C stops both guests"
while qemu_alive "$(cat "$run_dir/ep.pid")" &&
      qemu_alive "$(cat "$run_dir/rc.pid")"; do
    sleep 1
done
echo "a guest's QEMU exited; stopping the pair" >&2
exit 1

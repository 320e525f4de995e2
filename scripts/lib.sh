# lib.sh - helpers shared by the project's shell scripts (sourced, not run).
#
# Paths:  DWC_EP_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/dwc-pcie-ep)
#         DWC_EP_TOP     the checkout (set by the caller before sourcing)
# Every step logs to $DWC_EP_CACHE/logs/<step>.log and prints that path.

: "${DWC_EP_TOP:?set DWC_EP_TOP before sourcing lib.sh}"
DWC_EP_CACHE=${DWC_EP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dwc-pcie-ep}
DWC_EP_LOGS=$DWC_EP_CACHE/logs
DWC_EP_DL=$DWC_EP_CACHE/downloads
mkdir -p "$DWC_EP_LOGS" "$DWC_EP_DL"
# apt's _apt user must be able to write downloads here.
chmod 755 "$DWC_EP_DL" 2>/dev/null || true

# Versions of what we take from Debian; each can be overridden.
QEMU_DEB_VERSION=${QEMU_DEB_VERSION:-1:10.0.13+ds-0+deb13u1}
LINUX_SOURCE_PKG=${LINUX_SOURCE_PKG:-linux-source-7.2}

CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}

_step_t0=0
# step NAME MESSAGE: announce a step and its log file.
step() {
    _step_name=$1; shift
    _step_t0=$(date +%s)
    _step_log=$DWC_EP_LOGS/$_step_name.log
    echo "==> [$_step_name] $* (log: $_step_log)"
}

# step_done [MESSAGE]: print the wall time of the current step.
step_done() {
    echo "==> [$_step_name] done in $(( $(date +%s) - _step_t0 ))s${1:+: $1}"
}

die() {
    echo "error: $*" >&2
    exit 1
}

# run_logged CMD...: run CMD with its output appended to the step's log; on
# failure print the log's tail and where it is.
run_logged() {
    if ! "$@" >>"$_step_log" 2>&1; then
        echo "---- last lines of $_step_log ----" >&2
        tail -n 25 "$_step_log" >&2
        die "[$_step_name] '$*' failed; full log: $_step_log"
    fi
}

# hash_inputs PATH...: a short hash over file names and contents (dirs recurse).
hash_inputs() {
    for p in "$@"; do
        if [ -d "$p" ]; then
            (cd "$p" && find . -type f ! -name '*~' | LC_ALL=C sort | while read -r f; do
                printf '%s\n' "$f"; cat "$f"; done)
        elif [ -e "$p" ]; then
            printf "%s\n" "$(basename "$p")"; cat "$p"
        else
            printf 'missing:%s\n' "$p"
        fi
    done | sha256sum | cut -c1-12
}

# series_list DIR: the patches of the kernel series DIR/series, in order,
# as paths relative to DIR.  A line of a series file names a patch, or a
# directory with a series file of its own (kernel-patches/ has one per
# tree), whose patches come in its place as DIR/patch; one level deep.
series_list() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1/series" | while read -r _e; do
        if [ -d "$1/$_e" ]; then
            [ -f "$1/$_e/series" ] || { echo "series_list: no series file in $1/$_e" >&2; exit 1; }
            sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e "s|^|$_e/|" "$1/$_e/series"
        else
            printf '%s\n' "$_e"
        fi
    done
}

# apt_fetch DESC CMD...: run an apt download command in $DWC_EP_DL, with a
# clear message if the package or version is gone from the registry.
apt_fetch() {
    _desc=$1; shift
    if ! (cd "$DWC_EP_DL" && "$@") >>"$_step_log" 2>&1; then
        tail -n 5 "$_step_log" >&2
        die "cannot download $_desc from Debian's registry.
  Run scripts/bootstrap.sh (apt sources), or override the version:
  QEMU_DEB_VERSION=<debian version of qemu>, LINUX_SOURCE_PKG=<package>,
  or point at your own tree: QEMU_SRC=<dir>, KERNEL_SRC=<dir>."
    fi
}

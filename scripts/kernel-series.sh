#!/bin/sh
# kernel-series.sh - the kernel series as git branches: import
# kernel-patches/ into a git tree of pristine Linux 7.2, export the branches
# back with git format-patch.  See --help.
set -eu
DWC_EP_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$DWC_EP_TOP/scripts/lib.sh"

usage() {
    cat <<USAGE
Usage: scripts/kernel-series.sh [--help] [--git DIR] import [--force] [SERIES...]
       scripts/kernel-series.sh [--help] [--git DIR] export [--out DIR] [SERIES...]
       scripts/kernel-series.sh [--help] [--git DIR] check

kernel-patches/ holds one series per tree a maintainer would take it
through, each in a directory of its own (listed in order in
kernel-patches/series): its patches, its 'series' file and its cover letter
(0000-cover-letter.patch).  Those files are made by 'git format-patch' from
a real branch, never by hand; this script keeps that branch:

  import   makes the git tree (default \$DWC_EP_CACHE/kernel/git, about
           1.4 GB checked out): the pristine $LINUX_SOURCE_PKG tarball
           as one commit tagged 'base', and one branch per series from
           'base', with its patches applied by 'git am' and its cover letter
           as the branch description.  An existing branch is left alone
           unless --force is given (it is then made again from the patches:
           commits not exported are lost).
  export   writes each branch back to kernel-patches/SERIES/: 'git
           format-patch --cover-letter --cover-from-description=subject
           --zero-commit base..SERIES', and the 'series' file; patches the
           branch no longer has are removed.  --out DIR writes DIR/SERIES/
           instead.
  check    proves kernel-patches/ is what git makes of it: imports every
           series afresh (--force) into the git tree, exports it into a
           scratch directory and compares; exit 1 and the difference if a
           file differs (a patch edited by hand, a stale series file).
           Use a git tree of its own (--git), not the one you edit in.

With no SERIES, every series of kernel-patches/series.  To change a patch:
  scripts/kernel-series.sh import
  cd \$DWC_EP_CACHE/kernel/git && git checkout ntb && git rebase -i base
  (edit, commit; new files need 'git add -f': Debian's .gitignore ignores
  the top level; 'git branch --edit-description' edits the cover letter,
  first paragraph the subject)
  scripts/kernel-series.sh export ntb
Author and sign-off lines are the placeholder below; whoever posts a series
replaces them (the cover letters say so).

  --git DIR   the git tree to use instead of \$DWC_EP_CACHE/kernel/git
              (one per helper or worktree; 'git worktree add' works too)
Exit status: 0 on success, 1 on a failed step (named, with its log), 2 on
bad usage.
USAGE
}

AUTHOR_NAME='dwc-pcie-ep developers'
AUTHOR_EMAIL='dev@dwc-pcie-ep.invalid'
# The base commit has fixed dates and identity, so its hash, and with
# 'git am --committer-date-is-author-date' every branch's, is the same on
# every machine.
BASE_DATE='2026-01-01T00:00:00Z'

git_dir=$DWC_EP_CACHE/kernel/git
cmd=
force=0
out_root=
series=
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --git) [ $# -ge 2 ] || { echo "kernel-series.sh: --git needs a directory" >&2; exit 2; }
           git_dir=$2; shift ;;
    --force) force=1 ;;
    --out) [ $# -ge 2 ] || { echo "kernel-series.sh: --out needs a directory" >&2; exit 2; }
           out_root=$2; shift ;;
    import|export|check) [ -z "$cmd" ] || { echo "kernel-series.sh: one command only" >&2; exit 2; }
           cmd=$1 ;;
    -*) echo "kernel-series.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -n "$cmd" ] || { echo "kernel-series.sh: unknown command '$1' (import, export or check; see --help)" >&2; exit 2; }
       series="$series $1" ;;
    esac
    shift
done
[ -n "$cmd" ] || { echo "kernel-series.sh: say import, export or check (see --help)" >&2; exit 2; }
[ "$force" = 0 ] || [ "$cmd" = import ] ||
    { echo "kernel-series.sh: --force is for import only" >&2; exit 2; }
[ -z "$out_root" ] || [ "$cmd" = export ] ||
    { echo "kernel-series.sh: --out is for export only" >&2; exit 2; }
[ "$cmd" != check ] || [ -z "$series" ] ||
    { echo "kernel-series.sh: check takes no SERIES: it checks them all" >&2; exit 2; }

patches=$DWC_EP_TOP/kernel-patches
all_series=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$patches/series")
[ -n "$series" ] || series=$all_series
for s in $series; do
    printf '%s\n' "$all_series" | grep -qxF "$s" ||
        { echo "kernel-series.sh: '$s' is not a series of kernel-patches/series" >&2; exit 2; }
done

g() {
    git -C "$git_dir" -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" \
        -c core.autocrlf=false -c core.abbrev=12 -c gc.auto=0 -c advice.detachedHead=false "$@"
}

# make_base: the git tree with the pristine tarball as commit 'base'.
make_base() {
    [ -e "$git_dir/.git" ] && return 0
    step kernel-git "pristine $LINUX_SOURCE_PKG as a git tree in $git_dir"
    : >"$_step_log"
    deb=$(ls "$DWC_EP_DL/$LINUX_SOURCE_PKG"_*_all.deb 2>/dev/null | tail -1)
    [ -n "$deb" ] || die "no $LINUX_SOURCE_PKG package in $DWC_EP_DL; run scripts/build-kernel.sh first"
    rm -rf "$git_dir.new"
    mkdir -p "$git_dir.new"
    dpkg-deb --fsys-tarfile "$deb" |
        tar -xO "./usr/src/$LINUX_SOURCE_PKG.tar.xz" |
        tar -xJ -C "$git_dir.new" --strip-components=1 ||
        die "[kernel-git] could not unpack $deb"
    git_dir_final=$git_dir
    git_dir=$git_dir.new
    run_logged g init -q
    # Debian's .gitignore ignores the whole top level: add by force.
    run_logged g add -A -f
    GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
        run_logged g commit -q -m "$LINUX_SOURCE_PKG $(basename "$deb" | cut -d_ -f2) as Debian ships it"
    run_logged g tag base
    git_dir=$git_dir_final
    mv "$git_dir.new" "$git_dir"
    step_done
}

# cover_description DIR: the branch description from DIR's cover letter:
# its subject (without [PATCH ...]), a blank line, then the body up to the
# shortlog that git format-patch adds.
cover_description() {
    _c=$1/0000-cover-letter.patch
    [ -f "$_c" ] || { echo "$s"; return 0; }
    # The headers up to the first blank line, folded lines unfolded.
    sed '/^$/q' "$_c" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); h = h $0; next }
        { if (h != "") print h; h = $0 } END { if (h != "") print h }' |
        sed -n 's/^Subject: \(\[[^]]*\] \)\{0,1\}//p' | head -1
    echo
    # The body: after the first blank line of the headers, up to the
    # shortlog line 'Name (N):'.
    sed -n '/^$/,$p' "$_c" | sed '1d' |
        sed '/^[^ ].* ([0-9][0-9]*):$/,$d'
}

import_one() {
    s=$1
    d=$patches/$s
    [ -f "$d/series" ] || die "no series file in $d"
    if g rev-parse -q --verify "refs/heads/$s" >/dev/null; then
        if [ "$force" = 0 ]; then
            echo "  $s: branch exists, left alone (--force to make it again)"
            return 0
        fi
    fi
    g checkout -q --detach base
    g branch -f "$s" base
    g checkout -q "$s"
    for p in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$d/series"); do
        g am -q --committer-date-is-author-date "$d/$p" >>"$_step_log" 2>&1 || {
            g am --abort >/dev/null 2>&1 || true
            tail -n 20 "$_step_log" >&2
            die "[kernel-git] $s/$p does not apply with git am; log: $_step_log"
        }
    done
    cover_description "$d" | g config --file "$git_dir/.git/config" "branch.$s.description" "$(cat)"
    echo "  $s: $(g rev-list --count base.."$s") patch(es)"
}

export_one() {
    s=$1
    d=${out_root:-$patches}/$s
    g rev-parse -q --verify "refs/heads/$s" >/dev/null ||
        die "no branch $s in $git_dir (run: scripts/kernel-series.sh import $s)"
    n=$(g rev-list --count base.."$s")
    [ "$n" -gt 0 ] || die "branch $s has no commits over base"
    mkdir -p "$d"
    out=$(mktemp -d)
    # The dates of the patches are the commits' author dates; the From
    # line's hash is zeros, so an export of the same branch is the same.
    run_logged g format-patch -q --cover-letter --cover-from-description=subject \
        --zero-commit --no-signature --subject-prefix=PATCH -o "$out" base.."$s"
    # The cover letter's date is the newest patch's, not the clock's.
    last=$(ls "$out"/[0-9]*.patch | grep -v '/0000-' | tail -1)
    date=$(sed -n 's/^Date: //p' "$last" | head -1)
    sed -i "s/^Date: .*/Date: $date/" "$out/0000-cover-letter.patch"
    rm -f "$d"/[0-9][0-9][0-9][0-9]-*.patch
    cp "$out"/*.patch "$d/"
    {
        echo "# The $s series, in order (scripts/kernel-series.sh export $s)."
        (cd "$out" && ls [0-9]*.patch | grep -v '^0000-')
    } >"$d/series"
    rm -rf "$out"
    echo "  $s: $n patch(es) and a cover letter in $d/"
}

case "$cmd" in
import)
    make_base
    step kernel-git-import "kernel-patches/ as branches of $git_dir"
    : >"$_step_log"
    for s in $series; do import_one "$s"; done
    step_done
    ;;
export)
    [ -e "$git_dir/.git" ] || die "no git tree in $git_dir (run: scripts/kernel-series.sh import)"
    step kernel-git-export "branches of $git_dir to kernel-patches/"
    : >"$_step_log"
    for s in $series; do export_one "$s"; done
    step_done
    ;;
check)
    make_base
    # The check's tree is its own: a lock left by a check that was killed
    # (test.sh interrupted) would fail every later one.
    rm -f "$git_dir/.git/index.lock" "$git_dir/.git/HEAD.lock"
    step kernel-git-check "kernel-patches/ against git format-patch of its own import ($git_dir)"
    : >"$_step_log"
    force=1
    for s in $series; do import_one "$s" >>"$_step_log"; done
    out_root=$(mktemp -d)
    trap 'rm -rf "$out_root"' EXIT
    for s in $series; do export_one "$s" >>"$_step_log"; done
    bad=0
    for s in $series; do
        if ! diff -ru "$patches/$s" "$out_root/$s" >>"$_step_log" 2>&1; then
            echo "  $s: kernel-patches/$s is not what git format-patch makes of it (diff in $_step_log)" >&2
            bad=1
        else
            echo "  $s: as git makes it"
        fi
    done
    [ "$bad" = 0 ] || { tail -n 30 "$_step_log" >&2; exit 1; }
    step_done
    ;;
esac

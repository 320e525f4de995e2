#!/bin/sh
# plot.sh - one PNG of the link's latencies and ratios (gnuplot).
usage() {
    cat <<'EOF'
Usage: bench/plot.sh --samples DIR --png FILE [--ratios 'NAME=R ...']
                     [--title TEXT]

Draws, with gnuplot (Debian's gnuplot-nox), one PNG:
  ping CDF    the round trips of ping over ntb_netdev per doorbell
              backend (DIR/ping-<backend>.ms, milliseconds);
  UDP CDF     the UDP ping-pong round trips per backend
              (DIR/udp-<backend>.us, microseconds);
with --ratios (the words of bench/link.sh's ratios line), two bar charts:
  bandwidth   mw_write, mw_read, ntb_perf, edma_read, edma_write: each
              over memcpy, log scale, the goal of 0.5 dashed;
  latency     ping_ and udp_polling_over_doorbell, the goal of 10 dashed.
DIR is what bench/ntb-ping.sh --out DIR leaves (one sample a line); the
backends found there are drawn (its, embedded, none). Ratios that are not
positive numbers are left out of the bars.

Options:
  --samples DIR   the sample files (required)
  --png FILE      the PNG to write (required)
  --ratios TEXT   NAME=VALUE words, as in link.sh's ratios line
  --title TEXT    the title above the plots
  -h, --help      this text
EOF
}

set -eu
samples=
png=
ratios=
title="DesignWare PCIe EP link"
while [ $# -gt 0 ]; do
    case $1 in
    --samples) samples=${2:?--samples needs a directory}; shift 2 ;;
    --png) png=${2:?--png needs a file}; shift 2 ;;
    --ratios) ratios=${2?--ratios needs words}; shift 2 ;;
    --title) title=${2?--title needs text}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "plot.sh: unknown option '$1'; see bench/plot.sh --help" >&2; exit 2 ;;
    esac
done
if [ -z "$samples" ] || [ -z "$png" ]; then
    echo "plot.sh: --samples and --png are required; see bench/plot.sh --help" >&2
    exit 2
fi
[ -d "$samples" ] || { echo "plot.sh: no directory $samples" >&2; exit 1; }
# The file name and the title go to gnuplot in single quotes.
case $png$title in *"'"*)
    echo "plot.sh: --png and --title must not hold a single quote" >&2; exit 2 ;;
esac
command -v gnuplot >/dev/null 2>&1 || {
    echo "plot.sh: gnuplot is missing: install Debian's gnuplot-nox (scripts/bootstrap.sh does)" >&2
    exit 1
}
# gnuplot-nox has pngcairo (and libgd's png); take the first it offers.
terms=$(gnuplot -e 'set terminal' 2>&1 || true)
if echo "$terms" | grep -q '^ *pngcairo '; then
    term='pngcairo noenhanced font "Sans,10" size 1400,'
elif echo "$terms" | grep -q '^ *png '; then
    term='png noenhanced size 1400,'
else
    echo "plot.sh: this gnuplot has neither the pngcairo nor the png terminal" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/dwcep-plot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Empirical CDFs: "value fraction" per sample, ascending.
bk_ping=
bk_udp=
for b in its embedded none; do
    for kind in ping:ms udp:us; do
        f=$samples/${kind%:*}-$b.${kind#*:}
        [ -s "$f" ] || continue
        sort -n "$f" | awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' \
            >"$tmp/${kind%:*}-$b.cdf"
        case $kind in ping:*) bk_ping="$bk_ping $b" ;; *) bk_udp="$bk_udp $b" ;; esac
    done
done
[ -n "$bk_ping$bk_udp" ] ||
    { echo "plot.sh: no ping-<backend>.ms or udp-<backend>.us in $samples" >&2; exit 1; }

# Bars: "label value" for the positive numeric ratios.
: >"$tmp/bw.dat"
: >"$tmp/lat.dat"
for w in $ratios; do
    k=${w%%=*}
    v=${w#*=}
    echo "$v" | grep -Eq '^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$' || continue
    awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }' || continue
    case $k in
    mw_write|mw_read|ntb_perf|edma_read|edma_write) echo "$k $v" >>"$tmp/bw.dat" ;;
    ping_polling_over_doorbell) echo "ping $v" >>"$tmp/lat.dat" ;;
    udp_polling_over_doorbell) echo "udp $v" >>"$tmp/lat.dat" ;;
    esac
done
bars=0
[ -n "$ratios" ] && bars=1
# Two rows with the bars, one without.
if [ "$bars" = 1 ]; then term="${term}1000"; else term="${term}560"; fi

cat >"$tmp/plot.gp" <<'EOF'
eval "set terminal " . term
set output out
color(b) = b eq "its" ? 0x1f77b4 : b eq "embedded" ? 0x2ca02c : 0xd62728
name(b) = b eq "its" ? "its (GIC ITS MSI)" : \
          b eq "embedded" ? "embedded (eDMA interrupt emulation)" : \
          "none (vNTB polls)"
if (bars) { set multiplot layout 2,2 title ttl font ",13" } \
else { set multiplot layout 1,2 title ttl font ",13" }
set grid
# The CDFs end at 1; the keys go in the room above that.
set key top left
set logscale x
set yrange [0:1.25]
set ytics 0, 0.2, 1
set ylabel "fraction of round trips"

# The two CDF panels: ping (ms), then the UDP ping-pong (us).
do for [k=1:2] {
    kind = word("ping udp", k)
    bk = k == 1 ? bk_ping : bk_udp
    set title (k == 1 ? "ping" : "UDP ping-pong")." over ntb_netdev (RC -> EP)"
    set xlabel "round trip (".(k == 1 ? "ms" : "us").")"
    if (words(bk) > 0) {
        plot for [i=1:words(bk)] tmp.'/'.kind.'-'.word(bk, i).'.cdf' \
            using 1:2 with steps lw 2 lc rgb color(word(bk, i)) \
            title name(word(bk, i))
    } else {
        unset key; set label 1 "no ".kind." samples" at graph 0.5, 0.5 center
        plot 2 notitle; unset label 1; set key top left
    }
}

if (bars) {
    unset logscale x
    # stats keeps to the axes' ranges: free them before it counts.
    set autoscale
    unset xlabel
    unset key
    set grid noxtics ytics
    set ytics autofreq
    set style fill solid 0.8 border -1
    set xtics nomirror

    set title "bandwidth over memcpy (goal: at least 0.5)"
    set ylabel "ratio (log scale)"
    set logscale y
    set format y "%g"
    if (nbw > 0) {
        stats tmp.'/bw.dat' using 2 nooutput
        lo = 10 ** floor(log10(STATS_min) - 0.3)
        hi = 10 ** ceil(log10((STATS_max > 0.5 ? STATS_max : 0.5) * 2))
        set yrange [lo:hi]
        set xrange [-0.6:nbw - 0.4]
        set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 2 lw 2 lc rgb "black"
        plot tmp.'/bw.dat' using 0:2:($0 - 0.35):($0 + 0.35):(lo):2:xtic(1) \
                with boxxyerror lc rgb 0x4c72b0, \
             '' using 0:2:(sprintf("%.3g", $2)) with labels offset 0, 0.8
        unset arrow 1
    } else {
        set yrange [1e-5:1]
        set xrange [0:1]
        set label 1 "no bandwidth ratios" at graph 0.5, 0.5 center
        plot 2 notitle
        unset label 1
    }

    set title "latency: polling over doorbell, worse interrupt backend (goal: at least 10)"
    set ylabel "median ratio"
    unset logscale y
    set format y "%g"
    if (nlat > 0) {
        set autoscale
        stats tmp.'/lat.dat' using 2 nooutput
        set yrange [0:(STATS_max > 10 ? STATS_max : 10) * 1.2]
        set xrange [-0.6:nlat - 0.4]
        set arrow 1 from graph 0, first 10 to graph 1, first 10 nohead dt 2 lw 2 lc rgb "black"
        plot tmp.'/lat.dat' using 0:2:($0 - 0.3):($0 + 0.3):(0):2:xtic(1) \
                with boxxyerror lc rgb 0xdd8452, \
             '' using 0:2:(sprintf("%.3g", $2)) with labels offset 0, 0.8
    } else {
        set yrange [0:12]
        set xrange [0:1]
        set label 1 "no latency ratios" at graph 0.5, 0.5 center
        plot -1 notitle
    }
}
unset multiplot
EOF
mkdir -p "$(dirname "$png")"
gnuplot -e "term='$term'; out='$png'; tmp='$tmp'; ttl='$title'; bars=$bars" \
    -e "bk_ping='$bk_ping'; bk_udp='$bk_udp'" \
    -e "nbw=$(wc -l <"$tmp/bw.dat"); nlat=$(wc -l <"$tmp/lat.dat")" \
    "$tmp/plot.gp" >"$tmp/gnuplot.out" 2>&1 || {
    cat "$tmp/gnuplot.out" >&2
    echo "plot.sh: gnuplot failed" >&2
    exit 1
}
[ -s "$png" ] || { echo "plot.sh: gnuplot wrote no $png" >&2; exit 1; }
echo "plot: $png"

# plots/real.gp - the real suite (#15): real servers against the duckfeed
# models standing for them, throughput, p50 and p99 against concurrency.
# Run by examples/python/real.py as `gnuplot -e nb=N -c real.gp STEM TITLE
# FOOTER`; the table is STEM.dat: nb blocks, alternately a server's real
# and simulated side, each a title line then: concurrency rps p50_ms p99_ms.
# ARGs stay strings (never eval'd).
stem = ARG1; ptitle = ARG2; footer = ARG3
datafile = stem.'.dat'
set terminal pngcairo size 1500,560 noenhanced font 'DejaVu Sans,10'
set output stem.'.png'
set logscale x 2
set xlabel 'concurrency (connections)'
set key top left font ',8' noenhanced
set grid
dash(i) = i % 2 * 2 + 1 # real solid, simulated dashed
set multiplot layout 1,3 title ptitle."\n".footer
set ylabel 'throughput (requests/s)'
set yrange [0:*]
plot for [i=0:nb-1] datafile index i using 1:2 with linespoints \
     lt (i/2+1) dt dash(i) pt (i/2+4) lw 1.5 title columnheader(1)
set logscale y 10
set yrange [*:*]
set ylabel 'p50 latency (ms)'
plot for [i=0:nb-1] datafile index i using 1:3 with linespoints \
     lt (i/2+1) dt dash(i) pt (i/2+4) lw 1.5 notitle
set ylabel 'p99 latency (ms)'
plot for [i=0:nb-1] datafile index i using 1:4 with linespoints \
     lt (i/2+1) dt dash(i) pt (i/2+4) lw 1.5 notitle
unset multiplot

# plots/throughput.gp - throughput against the load, one line per series.
# Table (datafile): one block per series, first line the legend title;
# columns: x (load) throughput_rps. Variables: ns (series), styles (their
# line styles), xlabel, logx (0, 2 or 10: log base of x).
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel xlabel
set ylabel 'throughput (requests/s)'
set yrange [0:*]
if (logx > 0) set logscale x logx
if (exists("xstep")) set xtics xstep
set key outside right top
plot for [i=0:ns-1] datafile index i using 1:2 with linespoints \
     ls word(styles, i+1)+0 title columnheader(1)

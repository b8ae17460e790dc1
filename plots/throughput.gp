# plots/throughput.gp - throughput against the load, one line per series.
# Table (datafile): one block per series, first line the legend title;
# columns: x (load) throughput_rps ci95_low_rps ci95_high_rps steady.
# Variables: ns (series), styles (their
# line styles), xlabel, logx (0, 2 or 10: log base of x).
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel xlabel
set ylabel 'throughput (requests/s)'
set yrange [0:*]
if (logx > 0) set logscale x logx
if (exists("xstep")) set xtics xstep
set key outside right top
# Error bars: the repetitions' 95 % interval (columns 3-4, NaN when fewer
# than 3 repetitions ran: then no bar).
plot for [i=0:ns-1] datafile index i using 1:2 with linespoints \
     ls word(styles, i+1)+0 title columnheader(1), \
     for [i=0:ns-1] datafile index i using 1:2:3:4 with yerrorbars \
        ls word(styles, i+1)+0 dt 1 lw 1.5 ps 0 notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($2)) with points \
        pt 7 ps 2.1 lc rgb 'white' notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($2)) with points \
        ls word(styles, i+1)+0 pt 6 ps 2.1 lw 2 notitle

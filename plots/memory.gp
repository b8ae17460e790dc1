# plots/memory.gp - memory each added request in flight costs, against
# the load: (RSS(c) - RSS(c_min)) / (c - c_min) per series, so the fixed
# cost of the runtime is not spread over the clients.
# Table: blocks per series; columns: concurrency rss_mib
# kib_per_added_request kib_per_inflight. Variables: ns, styles, xlabel,
# logx.
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel xlabel
set ylabel 'extra memory per added request in flight (KiB, log scale)'
set logscale y
if (logx > 0) set logscale x logx
if (exists("xstep")) set xtics xstep
set key outside right top
# kib_per_added_request is floored at 0.01 KiB so a log axis keeps it.
set label 910 'on the floor (0.01): memory did not grow with the clients' \
    at graph 0.02, graph 0.04 left font ',10' textcolor rgb '#505050'
plot for [i=0:ns-1] datafile index i using 1:3 with linespoints \
     ls word(styles, i+1)+0 title columnheader(1), \
     for [i=0:ns-1] datafile index i using 1:(hollow($3)) with points \
        pt 7 ps 2.1 lc rgb 'white' notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($3)) with points \
        ls word(styles, i+1)+0 pt 6 ps 2.1 lw 2 notitle

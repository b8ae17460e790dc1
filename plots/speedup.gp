# plots/speedup.gp - throughput relative to one keeper, against the
# keepers; the ideal is linear until the cores run out.
# Table: blocks per series; columns: keepers throughput_rps speedup.
# Variables: ns, styles, xlabel, cores (0 if unknown).
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel xlabel
set ylabel 'speedup (x the throughput of 1)'
set logscale x 2
set yrange [0:*]
set key outside right top
ideal(x) = (cores > 0 && x > cores) ? cores : x
# The ideal is sampled at each measured x and joined by straight segments,
# as the measured lines are (a function would curve on the log x axis).
plot for [i=0:ns-1] datafile index i using 1:3 with linespoints \
     ls word(styles, i+1)+0 title columnheader(1), \
     for [i=0:ns-1] datafile index i using 1:(hollow($3)) with points \
        pt 7 ps 2.1 lc rgb 'white' notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($3)) with points \
        ls word(styles, i+1)+0 pt 6 ps 2.1 lw 2 notitle, \
     for [i=0:ns-1] datafile index i using 1:(ideal($1)) with lines ls 20 \
     title (i > 0 ? '' : cores > 0 \
            ? sprintf('ideal (capped at %d cores)', cores) : 'ideal')

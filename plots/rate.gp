# plots/rate.gp - throughput over time (#17): successful requests per
# second in each 100 ms bucket of the window, one line per point.
# Table: blocks per point (gnuplot index); first line the legend title;
# columns: t_s ok_rps errors_rps. Variables: ns, styles.
width = 1300
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel 'time in the measured window (s)'
set ylabel 'successful requests per second (req/s, per 100 ms)'
set yrange [0:*]
set key outside right top
plot for [i=0:ns-1] datafile index i using 1:2 with linespoints \
     ls word(styles, i+1)+0 ps 0.8 title columnheader(1)

# plots/cdf.gp - latency distribution at one load: share of requests done
# within a time. Table: blocks per series; columns: percentile latency_us.
# Variables: ns, styles.
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set xlabel 'latency (ms, log scale)'
set ylabel 'requests finished within that time (%)'
set logscale x
set yrange [0:100]
set ytics 10
set key outside right top
# A series that is not steady is overdrawn with white gaps: dotted.
plot for [i=0:ns-1] datafile index i using ($2/1000):1 with lines \
     ls word(styles, i+1)+0 title columnheader(1), \
     for [i=0:ns-1] datafile index i \
        using ($2/1000):(unsteady_i(i) ? $1 : NaN) with lines \
        lc rgb 'white' lw 2.5 dt (3,5) notitle

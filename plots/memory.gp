# plots/memory.gp - resident memory per request in flight against the load.
# Table: blocks per series; columns: concurrency rss_mib kib_per_request
# (peak RSS / concurrency). Variables: ns, styles, xlabel, logx.
load gpdir.'/common.gp'
set xlabel xlabel
set ylabel 'peak memory per request in flight (KiB, log scale)'
set logscale y
if (logx > 0) set logscale x logx
set key outside right top
plot for [i=0:ns-1] datafile index i using 1:3 with linespoints \
     ls word(styles, i+1)+0 title columnheader(1)

# plots/queue.gp - mean time waiting in the queue vs mean time being
# served, against the load, two panels.
# Table: blocks per series; columns: x queue_mean_us service_mean_us
# queue_p99_us service_p99_us. Variables: ns, styles, xlabel, logx.
width = 1300
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set multiplot layout 1,2 margins 0.07,0.98,0.30,0.84 spacing 0.08
set xlabel xlabel
set ylabel 'mean time (ms, log scale)'
set logscale y
if (logx > 0) set logscale x logx
if (exists("xstep")) set xtics xstep
# The key goes under both panels: legends as long as
# "thread w=2 t=4 switch=1ms" do not fit beside them.
set key at screen 0.5, screen 0.155 center top horizontal maxcols 3 \
    width 2
set title 'waiting in line for a worker (queue)' font ',13'
plot for [i=0:ns-1] datafile index i using 1:($2/1000) with linespoints \
     ls word(styles, i+1)+0 title columnheader(1), \
     for [i=0:ns-1] datafile index i using 1:(hollow($2/1000)) with points \
        pt 7 ps 2.1 lc rgb 'white' notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($2/1000)) with points \
        ls word(styles, i+1)+0 pt 6 ps 2.1 lw 2 notitle
set title 'being served (service)' font ',13'
unset key
unset label 901
unset label 902
unset label 900
unset label 903
plot for [i=0:ns-1] datafile index i using 1:($3/1000) with linespoints \
     ls word(styles, i+1)+0 notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($3/1000)) with points \
        pt 7 ps 2.1 lc rgb 'white' notitle, \
     for [i=0:ns-1] datafile index i using 1:(hollow($3/1000)) with points \
        ls word(styles, i+1)+0 pt 6 ps 2.1 lw 2 notitle
unset multiplot

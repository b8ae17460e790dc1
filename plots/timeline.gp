# plots/timeline.gp - "who fed which duckling when": one panel per model,
# one lane per worker (keeper), time across; each request's segments are
# running / waiting for the GIL / waiting on I/O / ready but waiting for
# the loop, told apart by fill pattern as well as colour, with the request
# id written on it.
# Table (see harness/plot/timeline.c): per panel p, index 6p running, 6p+1 GIL
# wait, 6p+2 I/O wait, 6p+3 ready (t0_ms t1_ms y0 y1 request), 6p+4 labels
# (x_ms y text), 6p+5 lanes (y name). Variables: np (panels), tmax (ms, shared so
# the panels compare), nl<i> (lanes), i from 1; ARG5+i: panel i's title.
width = (np > 2) ? 1600 : 1200
height = 640
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
unset label 901
set multiplot layout 1,np \
    margins 0.08,0.98,0.30,0.86 spacing 0.05
set xrange [0:tmax]
set xlabel 'time since the first request (ms)'
unset grid
set grid xtics lc rgb '#d8d8d8'
set ytics scale 0 font ',11'
set style fill border lc rgb '#000000'
box(c) = column(c)
do for [p=1:np] {
    b = 6*(p-1)
    set title value('ARG'.(5+p)) font ',13'
    set yrange [value('nl'.p):0]
    if (p == 1) {
        set key at screen 0.5, screen 0.08 center bottom horizontal \
            maxcols 4 maxrows 1 box opaque samplen 3 width 1 font ',12'
    } else {
        unset key
        unset label 902
        unset label 900
    }
    plot datafile index b using (($1+$2)/2):(($3+$4)/2):1:2:3:4 \
            with boxxyerror fs solid 0.55 lc rgb '#0060A8' \
            title 'running (holds the CPU / the GIL)', \
         '' index b+1 using (($1+$2)/2):(($3+$4)/2):1:2:3:4 \
            with boxxyerror fs pattern 2 lc rgb '#C84A00' \
            title 'waiting for the GIL', \
         '' index b+2 using (($1+$2)/2):(($3+$4)/2):1:2:3:4 \
            with boxxyerror fs pattern 5 lc rgb '#008060' \
            title 'waiting on I/O (the duckling eats)', \
         '' index b+3 using (($1+$2)/2):(($3+$4)/2):1:2:3:4 \
            with boxxyerror fs pattern 4 lc rgb '#8A2BE2' \
            title 'ready, waiting for the loop', \
         '' index b+4 using 1:2:3 with labels font ',10' tc rgb '#000000' \
            notitle, \
         '' index b+5 using (-1):1:ytic(2) with points ps 0 notitle
}
unset multiplot

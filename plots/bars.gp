# plots/bars.gp - setups measured at one load level: throughput and p99
# latency as bars, two panels, one bar per setup (colour and fill pattern
# by series, so greyscale prints keep them apart).
# Table: rows "label" throughput_rps p50_us p99_us steady (no blocks).
# Variables: ns (rows), styles (their line styles), unsteady (a 0/1
# word per row: 1 draws the bar empty).
width = 1300
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set multiplot layout 1,2 margins 0.08,0.86,0.32,0.84 spacing 0.10
set style fill pattern border lc rgb '#000000'
set boxwidth 0.6
set xrange [-0.6:ns-0.4]
set yrange [0:*]
set offsets 0,0,graph 0.12,0
set xtics nomirror rotate by -30 left font ",10"
set grid noxtics ytics
unset key
set title 'throughput' font ',13'
set ylabel 'requests per second (req/s)'
plot for [i=0:ns-1] datafile every ::i::i using (i):2:xtic(1) with boxes \
        ls word(styles, i+1)+0 fs pattern (unsteady_i(i) ? 0 : (i % 7) + 1), \
     for [i=0:ns-1] datafile every ::i::i \
        using (i):2:(num($2)) with labels offset 0,0.8 notitle
unset label 900
unset label 903
unset label 901
unset label 902
set title 'p99 latency: the slowest 1 in 100' font ',13'
set ylabel 'latency (ms)'
plot for [i=0:ns-1] datafile every ::i::i using (i):($4/1000):xtic(1) \
        with boxes ls word(styles, i+1)+0 fs pattern (unsteady_i(i) ? 0 : (i % 7) + 1), \
     for [i=0:ns-1] datafile every ::i::i \
        using (i):($4/1000):(num($4/1000)) with labels \
        offset 0,0.8 notitle
unset multiplot

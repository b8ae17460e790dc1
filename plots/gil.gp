# plots/gil.gp - share of the run the GIL was held, and the summed share
# threads spent waiting for it, per configuration (clustered bars).
# Table: rows "label" held_share wait_share. Variables: ns (rows).
load gpdir.'/common.gp'
set style data histograms
set style histogram clustered gap 1.5
set boxwidth 0.9
set ylabel 'share of the run (%)'
set xlabel 'configuration'
set yrange [0:*]
set key outside right top
set xtics nomirror
if (ns > 4) set xtics rotate by -30 left
set bmargin (ns > 4 ? 10 : 6)
plot datafile using ($2*100):xtic(1) title 'GIL held' \
        fs solid 0.85 border lc rgb '#000000' lc rgb '#0060A8', \
     '' using ($3*100) title 'threads waiting for it' \
        fs pattern 4 border lc rgb '#000000' lc rgb '#C84A00'

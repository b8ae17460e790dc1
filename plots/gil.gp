# plots/gil.gp - share of the run the GIL was held, and the summed share
# threads spent waiting for it, per configuration (clustered bars).
# Table: rows "label" held_share wait_share. Variables: ns (rows).
gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
load gpdir.'/common.gp'
set style data histograms
set style histogram clustered gap 1.5
set boxwidth 0.9
set ylabel 'share of the run (%)'
set xlabel 'configuration'
set yrange [0:*]
set key outside right top
# Labels name a whole configuration: slanted, with room below.
set xtics nomirror rotate by -25 left font ',11'
if (ns > 6) set xtics rotate by -45 left font ',10'
set bmargin 11
plot datafile using ($2*100):xtic(1) title 'GIL held' \
        fs solid 0.85 border lc rgb '#000000' lc rgb '#0060A8', \
     '' using ($3*100) title 'threads waiting for it' \
        fs pattern 4 border lc rgb '#000000' lc rgb '#C84A00'

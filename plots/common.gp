# plots/common.gp - terminal, fonts, line styles and footer for every plot.
#
# Run by duckfeed plot as `gnuplot -e VARS -c SCRIPT ARG1 ...`.
# -e sets numbers and duckfeed's own words only: term (pngcairo|png|svg),
# ext (png|svg), and what each script lists. Text that may come from a
# results file or the command line arrives as ARGs, which gnuplot keeps as
# strings and never parses (#12) - keep it that way: never pass them to
# eval, system, a macro (@) or a backquote.
#   ARG1 gpdir (this directory)   ARG2 stem: the image's path without
#   ARG3 footer (machine, date)        extension; its table is stem.'.dat'
#   ARG4 ptitle (the question)    ARG5 subtitle
#   ARG6.. script-specific (timeline.gp)
# `load` hides the ARGs from the loaded file, so each script names them
# first, on the line before loading this one (width/height may be set
# there too):
#   gpdir = ARG1; stem = ARG2; footer = ARG3; ptitle = ARG4; subtitle = ARG5
#
# Line styles: colour says the model (1 process, 2 thread, 3 coroutine,
# repeating every 3), and each style also has its own dash type and point
# type, so every line stays distinguishable printed in greyscale.

datafile = stem.'.dat'
outfile = stem.'.'.ext
if (!exists("width")) width = 1100
if (!exists("height")) height = 700
if (term eq 'svg') {
    set terminal svg size width,height dynamic noenhanced \
        font 'DejaVu Sans,13' background rgb 'white'
} else {
    if (term eq 'pngcairo') {
        set terminal pngcairo size width,height noenhanced \
            font 'DejaVu Sans,12' background rgb 'white'
    } else {
        set terminal png size width,height noenhanced \
            font 'DejaVu Sans,12' background rgb 'white'
    }
}
set output outfile
set encoding utf8

set style line 1  lc rgb '#0060A8' lw 2.5 dt 1        pt 7  ps 1.4
set style line 2  lc rgb '#C84A00' lw 2.5 dt (12,6)   pt 5  ps 1.3
set style line 3  lc rgb '#008060' lw 2.5 dt (4,4)    pt 9  ps 1.6
set style line 4  lc rgb '#0060A8' lw 2.5 dt (16,4,4,4) pt 6  ps 1.4
set style line 5  lc rgb '#C84A00' lw 2.5 dt (2,4)    pt 4  ps 1.3
set style line 6  lc rgb '#008060' lw 2.5 dt (20,6,4,6,4,6) pt 8  ps 1.6
set style line 7  lc rgb '#56A0E0' lw 2.5 dt (8,3)    pt 11 ps 1.6
set style line 8  lc rgb '#E69F00' lw 2.5 dt (1,3)    pt 13 ps 1.5
set style line 9  lc rgb '#40C090' lw 2.5 dt (10,3,2,3) pt 15 ps 1.5
set style line 10 lc rgb '#56A0E0' lw 2.5 dt (3,3,10,3) pt 1  ps 1.6
set style line 11 lc rgb '#E69F00' lw 2.5 dt (14,3)   pt 2  ps 1.6
set style line 12 lc rgb '#40C090' lw 2.5 dt (6,2,2,2) pt 3  ps 1.6
# The ideal line of the speedup plot.
set style line 20 lc rgb '#000000' lw 1.5 dt (6,4)

set grid lc rgb '#d0d0d0' lw 1
set border lw 1.2
set key box opaque samplen 5 spacing 1.2 width 1
set bmargin 6
set label 900 footer at screen 0.01, screen 0.02 left font ',10' \
    textcolor rgb '#505050'
# Title and subtitle as labels at fixed screen places, so they line up the
# same way on single plots and multiplots (which unset them after panel 1).
set label 902 ptitle at screen 0.5, screen 1 - 28.0/height center font ',15'
set label 901 subtitle at screen 0.5, screen 1 - 54.0/height center \
    font ',11' textcolor rgb '#303030'
set tmargin 6

# #18: a point whose figures are not steady-state ones is drawn hollow.
# Line tables carry a `steady` column (1 or 0) at column sc (-e; 0: none);
# one-point-per-series plots get `unsteady`, a 0/1 word per series; anyu
# is 1 when any point drawn is not steady, and then label 903 says what
# hollow means, once, above the footer.
if (!exists("sc")) sc = 0
if (!exists("anyu")) anyu = 0
if (!exists("unsteady")) unsteady = ''
# hollow(y): y on the rows to draw hollow, else NaN (not drawn); call it
# inside `using` only (it reads the current row's steady column).
hollow(y) = (sc > 0 && column(sc) == 0) ? y : NaN
unsteady_i(i) = (word(unsteady, i + 1) eq '1')
unsteady_note = 'hollow marker, dotted line or empty bar: not steady - the window held a transient, not steady-state figures; no claim uses it'
if (anyu > 0) set label 903 unsteady_note at screen 0.01, \
    screen 0.02 + 18.0/height left font ',10' textcolor rgb '#A00000'
# Numbers on bars: 1160, not 1.16e+03.
num(v) = v >= 100 ? sprintf('%.0f', v) : v >= 1 ? sprintf('%.3g', v) \
    : sprintf('%.3f', v)

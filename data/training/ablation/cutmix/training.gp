set terminal pngcairo size 1000,450 font 'DejaVu Sans,11'
set output 'training.png'
set datafile separator ','
set key autotitle columnhead
set multiplot layout 1,2
set grid
set xlabel 'epoch'
set ylabel 'training loss'
set logscale y
plot 'log.csv' using 1:3 with lines lw 2 title 'train loss'
unset logscale y
set ylabel 'accuracy (%)'
set key bottom right
plot 'log.csv' using 1:4 with lines lw 2 title 'train (augmented, with noise)', '' using 1:5 with lines lw 2 title 'test (clean weights)'
unset multiplot

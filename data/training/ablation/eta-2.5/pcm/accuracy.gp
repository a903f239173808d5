set terminal pngcairo size 900,600 font 'DejaVu Sans,11'
set output 'accuracy.png'
set logscale x
set grid
set key bottom left
set xlabel 'time after programming (s)'
set ylabel 'test accuracy (%)'
set title 'Accuracy on PCM against time (mean ± 1 s.d. over realisations)'
set yrange [86.8965:89.3063]
plot 'accuracy.dat' index 0 using 1:2:3 with yerrorlines lw 2 pt 7 title 'gdc', 'accuracy.dat' index 1 using 1:2:3 with yerrorlines lw 2 pt 7 title 'adabs', 88.8 with lines dt 2 lc rgb 'black' title 'fp32'

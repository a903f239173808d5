set terminal pngcairo size 1100,650 font 'DejaVu Sans,11'
set output 'accuracy.png'
set logscale x
set xrange [15:5e7]
set xtics ("25 s" 25, "1 h" 3600, "1 day" 86400, "30 days" 2592000, "1 year" 31536000)
set grid
set key outside right top
set xlabel 'time after programming'
set ylabel 'CIFAR-10 test accuracy (%)'
set title 'ResNet-32 on PCM (published model, all layers analog; mean ± 1 s.d.)'
set samples 2
plot 'resnet32-pcm-hwa-adabs.dat' using 1:2:3 with yerrorlines lc 1 dt 1 lw 2 pt 7 title 'resnet32-pcm-hwa adabs', 'resnet32-pcm-hwa-gdc.dat' using 1:2:3 with yerrorlines lc 1 dt 2 lw 2 pt 7 title 'resnet32-pcm-hwa gdc', 93.91 with lines lc 1 dt 3 lw 1 title 'resnet32-pcm-hwa fp32', 'resnet32-pcm-hwa-issue4-adabs.dat' using 1:2:3 with yerrorlines lc 2 dt 1 lw 2 pt 7 title 'resnet32-pcm-hwa-issue4 adabs', 'resnet32-pcm-hwa-issue4-gdc.dat' using 1:2:3 with yerrorlines lc 2 dt 2 lw 2 pt 7 title 'resnet32-pcm-hwa-issue4 gdc', 92.73 with lines lc 2 dt 3 lw 1 title 'resnet32-pcm-hwa-issue4 fp32', 'resnet32-pcm-baseline-adabs.dat' using 1:2:3 with yerrorlines lc 3 dt 1 lw 2 pt 7 title 'resnet32-pcm-baseline adabs', 'resnet32-pcm-baseline-gdc.dat' using 1:2:3 with yerrorlines lc 3 dt 2 lw 2 pt 7 title 'resnet32-pcm-baseline gdc', 93.04 with lines lc 3 dt 3 lw 1 title 'resnet32-pcm-baseline fp32', 'resnet32-shared-adabs.dat' using 1:2:3 with yerrorlines lc 4 dt 1 lw 2 pt 7 title 'resnet32-shared adabs', 'resnet32-shared-gdc.dat' using 1:2:3 with yerrorlines lc 4 dt 2 lw 2 pt 7 title 'resnet32-shared gdc', 92.63 with lines lc 4 dt 3 lw 1 title 'resnet32-shared fp32'

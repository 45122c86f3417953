# pipelines/hash-map.gp - the 2-D maps of pipelines/hash.mk side by side:
# a 2-unit layer on the first layer's codes and LSA's first two
# components, one point per review coloured by its rating.
#   gnuplot -e "dat='map.dat'; out='map.png'; corpus='blitzer'" hash-map.gp
# dat: "rating unit1 unit2 lsa1 lsa2" lines (pipelines/hash-map).
set terminal pngcairo size 1400,640 font ",11"
set output out
stats dat using 1 nooutput
set cbrange [STATS_min:STATS_max]
set palette defined (0 "#b2182b", 0.5 "#dddddd", 1 "#2166ac")
set cblabel "rating"
set multiplot layout 1,2 title sprintf("%s: %d reviews (the queries), coloured by rating", corpus, STATS_records)
set title "senti: 2 softplus units on the first layer's codes (scaled)"
set xlabel "unit 1"
set ylabel "unit 2"
plot dat using 2:3:1 with points pt 7 ps 0.4 lc palette notitle
set title "LSA (TruncatedSVD of TF-IDF, 2 components)"
set xlabel "component 1"
set ylabel "component 2"
plot dat using 4:5:1 with points pt 7 ps 0.4 lc palette notitle
unset multiplot

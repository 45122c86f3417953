#!/usr/bin/env bash
# bench/dae.sh - senti-pretrain against PyTorch on one 5000 -> 5000 rectifier
# layer: salt-and-pepper 0.1, sigmoid cross-entropy, L1 0.001, untied, SGD,
# both on 2 threads of OpenBLAS, in the same run.  Reports examples/s,
# ratios, GFLOP/s against the OpenBLAS sgemm peak measured here, and peak
# memory.  Not a test.
#
# Input: generated binary rows with IMDB's density (120 non-zeros over 5000
# columns, Zipf-like columns; bench/dae_gen.py).  Environment: SENTI_BIN,
# DAE_ROWS (rows per run, default 1000), DAE_TORCH_SECONDS (default 40).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${SENTI_BIN:-$top/bin}
PY=/usr/bin/python3
ROWS=${DAE_ROWS:-1000}
TORCH_S=${DAE_TORCH_SECONDS:-40}
V=5000 H=5000 TH=2
export OPENBLAS_NUM_THREADS=$TH OMP_NUM_THREADS=$TH

bash "$top/pipelines/need-pkgs" python3-torch python3-numpy || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "# machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# BLAS: libblas.so.3 alternative -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
update-alternatives --display libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n '2,3s/^/#   /p'
echo "# senti links: $(ldd "$B/senti-pretrain" | awk '/openblas|libblas/{print $3}' | xargs -r readlink -f | tr '\n' ' ')"
tl=$($PY -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib","libtorch_cpu.so"))')
echo "# torch $($PY -c 'import torch;print(torch.__version__)') links: $(ldd "$tl" | awk '/openblas|libblas/{print $1"->"$3}' | tr '\n' ' ')"
echo "# torch config: $($PY -c 'import torch;c=torch.__config__.show();import re;print(re.search(r"BLAS_INFO=[^,]*",c).group(0), "CPU:", re.search(r"CPU capability usage: \w+",c).group(0))')"

$PY "$here/dae_gen.py" "$ROWS" $V 120 1 >"$W/x.txt"
nnz=$(awk '!/^#/{n+=NF-1} END{printf "%.1f", n/NR}' "$W/x.txt")
echo "# data: $ROWS generated rows x $V columns, $nnz non-zeros per row"

# the machine is shared: every figure is the best of $ROUNDS rounds, and
# each round runs senti and PyTorch back to back
ROUNDS=${DAE_ROUNDS:-2}
peak_gf=0
measure_peak() {
    local p
    p=$($PY "$here/dae_peak.py" $TH) || return 1
    echo "# $p"
    peak_gf=$(awk -v a="$peak_gf" -v b="$(sed 's/.*gflops=\([0-9.]*\).*/\1/' <<<"$p")" 'BEGIN{print (b+0 > a+0) ? b : a}')
}
measure_peak

# ours: the last epoch's examples/s from the per-epoch note, and peak RSS
ours() { # name epochs options...
    local name=$1 ep=$2; shift 2
    /usr/bin/time -f '%M' -o "$W/mem" "$B/senti-pretrain" -H $H -t $TH -E "$ep" --noise sp:0.1 \
        --recon sigmoid-ce --l1 0.001 -l 0.01 -o "$W/m" "$@" "$W/x.txt" 2>"$W/err" || { cat "$W/err"; return 1; }
    local eps zeros
    eps=$(grep 'ex/s' "$W/err" | tail -1 | sed 's/.* \([0-9.]*\) ex\/s.*/\1/')
    zeros=$(grep 'zeros' "$W/err" | tail -1 | sed 's/.*zeros \([0-9.]*\).*/\1/')
    printf '%s %s %s %s\n' "$name" "$eps" "$(($(cat "$W/mem") / 1024))" "$zeros"
}

# flops of one example in full reconstruction: 3 decoder products (2VH
# each) + encoder forward and update over the corrupted non-zeros
# (about 0.9*nnz + 0.05*V of them; 2H flops each, twice)
flops_full=$(awk -v v=$V -v h=$H -v z="$nnz" 'BEGIN{printf "%.0f", 6*v*h + 4*h*(0.9*z + 0.05*v)}')

best() { # keep the better of two "name ex/s mem zeros" lines
    if [ -z "$1" ]; then echo "$2"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); print (y[2]+0 > x[2]+0) ? b : a}'
}
r10= r100= s10= s100= s10k=
: >"$W/torch"
for round in $(seq 1 "$ROUNDS"); do
    echo "# round $round: senti-pretrain ..."
    r10=$(best "$r10" "$(ours full-b10 1 -b 10)")
    r100=$(best "$r100" "$(ours full-b100 1 -b 100)")
    s10=$(best "$s10" "$(ours sample-b10-k200 2 -b 10 -k 200)")
    s100=$(best "$s100" "$(ours sample-b100-k200 2 -b 100 -k 200)")
    s10k=$(best "$s10k" "$(ours sample-b100-k500 2 -b 100 -k 500)")
    echo "# round $round: PyTorch (${TORCH_S}s) ..."
    $PY "$here/dae_torch.py" "$W/x.txt" 10,50,100,200,500 "$TORCH_S" | tee -a "$W/torch" | sed 's/^/#   /' || exit 1
done
measure_peak
/usr/bin/time -f '%M' -o "$W/tmem" $PY "$here/dae_torch.py" "$W/x.txt" 100 4 >/dev/null
tmem=$(($(cat "$W/tmem") / 1024))
tbest_of() { awk -v b="batch=$1" '$2==b{sub("ex_per_s=","",$3); if($3+0>m+0) m=$3} END{print m}' "$W/torch"; }
t10=$(tbest_of 10)
t100=$(tbest_of 100)
tbest=$(awk '{sub("ex_per_s=","",$3); if($3+0>m+0){m=$3; b=$2}} END{print m, b}' "$W/torch")
tb=${tbest% *}

echo
echo "PyTorch best of $ROUNDS: batch 10 $t10 ex/s, batch 100 $t100 ex/s, best $tbest; peak RSS ${tmem} MB (batch 100)"
echo "OpenBLAS sgemm peak (best measured, $TH threads): $peak_gf GFLOP/s"
printf '%-34s %8s %8s %8s %6s %7s %6s\n' run ex/s ratio GFLOP/s %peak RSS_MB zeros
line() { # name eps ratio-base flops mem zeros
    local gf pct
    if [ "$4" = - ]; then gf=-; pct=-; else
        gf=$(awk -v e="$2" -v f="$4" 'BEGIN{printf "%.1f", e*f/1e9}')
        pct=$(awk -v g="$gf" -v p="$peak_gf" 'BEGIN{printf "%.0f%%", 100*g/p}')
    fi
    printf '%-34s %8.1f %7.1fx %8s %6s %7s %6s\n' "$1" "$2" "$(awk -v a="$2" -v b="$3" 'BEGIN{print a/b}')" \
        "$gf" "$pct" "$5" "$6"
}
set -- $r10; line "full b=10 (vs torch b=10)" "$2" "$t10" "$flops_full" "$3" "$4"
set -- $r100; line "full b=100 (vs torch b=100)" "$2" "$t100" "$flops_full" "$3" "$4"
for s in "$s10" "$s100" "$s10k"; do
    set -- $s; line "$1 (vs torch best)" "$2" "$tb" - "$3" "$4"
done
echo "(ratios: full runs against torch at the same batch; sampled runs against torch's best"
echo " full-reconstruction figure over batches 10..500; GFLOP/s counts 6*V*H + encoder flops per example;"
echo " goals: full >= 10x torch at b=10, >= 2x at b=100, >= 60% of peak at b=100;"
echo " sampling >= 10x torch's best, aiming for 30x)"

#!/usr/bin/env bash
# bench/dae.sh - senti-pretrain against PyTorch on one 5000 -> 5000 rectifier
# layer: salt-and-pepper 0.1, sigmoid cross-entropy, L1 0.001, untied, SGD
# lr 0.01, both on 2 threads, in the same run.  Reports examples/s, ratios,
# GFLOP/s against the OpenBLAS sgemm peak measured in the same run, the
# fraction of exactly-zero hidden units at which senti was timed, and peak
# memory.  Not a test.
#
# Data: IMDB training reviews (corpora/fetch imdb; tokenized, top-5000
# binary vocabulary, 121 non-zeros per row); generated rows with the same
# non-zero count (bench/dae_gen.py) when the corpus cannot be fetched.
# A layer is first pretrained for DAE_WARM_EPOCHS epochs with sampling on
# DAE_WARM_ROWS rows; every timed senti run starts from it (--init) on
# another DAE_ROWS rows, and the last of its epochs is timed.
#
# The machine may be shared: every senti and PyTorch figure is the best of
# DAE_ROUNDS rounds, each round runs senti and PyTorch back to back, the
# load is printed per round, and ratios use figures of this run only.
#
# Environment: SENTI_BIN, DAE_ROWS (2000), DAE_WARM_ROWS (10000),
# DAE_WARM_EPOCHS (2), DAE_ROUNDS (3), DAE_TORCH_SECONDS (30, per round).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${SENTI_BIN:-$top/bin}
PY=/usr/bin/python3
ROWS=${DAE_ROWS:-2000}
WARM_ROWS=${DAE_WARM_ROWS:-10000}
WARM_EPOCHS=${DAE_WARM_EPOCHS:-2}
ROUNDS=${DAE_ROUNDS:-3}
TORCH_S=${DAE_TORCH_SECONDS:-30}
V=5000 H=5000 TH=2
export OPENBLAS_NUM_THREADS=$TH OMP_NUM_THREADS=$TH

bash "$top/pipelines/need-pkgs" python3-torch python3-numpy || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
load() { local u; u=$(uptime); echo "load ${u##*load average: }"; }

echo "# machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(load)"

# BLAS: how it was checked
echo "# BLAS check 1, update-alternatives --display libblas.so.3-x86_64-linux-gnu:"
update-alternatives --display libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n '2,3s/^ */#     /p'
echo "#   libblas.so.3 resolves to $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
tl=$($PY -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib","libtorch_cpu.so"))')
echo "# BLAS check 2, ldd of torch $($PY -c 'import torch;print(torch.__version__)') libtorch_cpu.so:" \
    "$(ldd "$tl" | awk '/blas/{printf "%s -> %s; ", $1, $3}')"
echo "# BLAS check 3, torch.__config__.show(): $($PY -c 'import torch,re;c=torch.__config__.show();print(re.search(r"BLAS_INFO=[^,]*",c).group(0)+",", re.search(r"CPU capability usage: \w+",c).group(0))')"
echo "# senti-pretrain links: $(ldd "$B/senti-pretrain" | awk '/openblas|libblas/{print $3}' | xargs -r readlink -f | tr '\n' ' ')"
echo "# threads: senti -t $TH (its pool; OpenBLAS on one thread inside each part),"
echo "#   torch.set_num_threads($TH), OPENBLAS_NUM_THREADS=$TH"

# data
src=
if SENTI_BIN=$B "$top/corpora/fetch" imdb 2>"$W/fetch.err"; then
    tsv=${SENTI_DATA:-$top/data}/imdb/train.tsv
    "$B/senti-tokenize" "$tsv" >"$W/all.tok" &&
        "$B/senti-vocab" -k $V "$W/all.tok" >"$W/vocab" &&
        "$B/senti-bow" -v "$W/vocab" "$W/all.tok" >"$W/all.svm" && src=imdb
fi
if [ "$src" = imdb ]; then
    total=$(grep -vc '^#' "$W/all.svm")
    # disjoint, label-mixed subsets: a random fraction for the timed runs,
    # then the warm-up rows from the rest
    "$B/senti-split" -r "$(awk -v a="$ROWS" -v n="$total" 'BEGIN{print a/n}')" -s 7 \
        --train "$W/x.svm" --test "$W/rest.svm" "$W/all.svm"
    "$B/senti-split" -r "$(awk -v a="$WARM_ROWS" -v n="$((total - ROWS))" 'BEGIN{print (a<n?a/n:1)}')" -s 8 \
        --train "$W/warm.svm" --test "$W/rest2.svm" "$W/rest.svm"
    what="IMDB training reviews, top-$V binary vocabulary"
else
    echo "# IMDB not available ($(tail -1 "$W/fetch.err")): generated rows"
    $PY "$here/dae_gen.py" "$ROWS" $V 121 1 >"$W/x.svm"
    $PY "$here/dae_gen.py" "$WARM_ROWS" $V 121 2 >"$W/warm.svm"
    what="generated rows (bench/dae_gen.py)"
fi
nnz=$(awk '!/^#/{n+=NF-1; r++} END{printf "%.1f", n/r}' "$W/x.svm")
echo "# data: $what; timed $(grep -vc '^#' "$W/x.svm") rows, warm-up $(grep -vc '^#' "$W/warm.svm") rows;" \
    "$nnz non-zeros per row of $V"

peak_gf=0
measure_peak() {
    local p
    p=$($PY "$here/dae_peak.py" $TH) || return 1
    echo "# $p ($(load))"
    local g=${p#*gflops=}
    g=${g%% *}
    peak_gf=$(awk -v a="$peak_gf" -v b="$g" 'BEGIN{print (b+0 > a+0) ? b : a}')
}
measure_peak

common=(-H "$H" -t "$TH" --noise sp:0.1 --recon sigmoid-ce --l1 0.001 -l 0.01)
echo "# warm-up: senti-pretrain ${common[*]} -b 100 -k 200 -E $WARM_EPOCHS ($(load))"
"$B/senti-pretrain" "${common[@]}" -b 100 -k 200 -E "$WARM_EPOCHS" -o "$W/warm.model" "$W/warm.svm" 2>"$W/werr" ||
    { cat "$W/werr"; exit 1; }
sed 's/^/#   /' "$W/werr"

# ours: the last epoch's examples/s and zero fraction from the per-epoch
# note
ours() { # name epochs options...
    local name=$1 ep=$2; shift 2
    "$B/senti-pretrain" "${common[@]}" --init "$W/warm.model" -E "$ep" -o "$W/m" "$@" "$W/x.svm" 2>"$W/err" ||
        { cat "$W/err" >&2; return 1; }
    local eps zeros
    eps=$(grep 'ex/s' "$W/err" | tail -1 | sed 's/.* \([0-9.]*\) ex\/s.*/\1/')
    zeros=$(grep 'zeros' "$W/err" | tail -1 | sed 's/.*zeros \([0-9.]*\).*/\1/')
    printf '%s %s %s\n' "$name" "$eps" "$zeros"
}
best() { # keep the better of two "name ex/s zeros" lines
    if [ -z "$1" ]; then echo "$2"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); print (y[2]+0 > x[2]+0) ? b : a}'
}

runs=(full-b10 full-b100 sample-b10-k200 sample-b100-k200 sample-b100-k500)
declare -A res opts mem
opts[full-b10]="1 -b 10"
opts[full-b100]="2 -b 100"
opts[sample-b10-k200]="2 -b 10 -k 200"
opts[sample-b100-k200]="3 -b 100 -k 200"
opts[sample-b100-k500]="3 -b 100 -k 500"
: >"$W/torch"
for round in $(seq 1 "$ROUNDS"); do
    echo "# round $round: senti-pretrain ($(load))"
    for r in "${runs[@]}"; do
        # shellcheck disable=SC2086
        line=$(ours "$r" ${opts[$r]}) || exit 1
        echo "#   $line"
        res[$r]=$(best "${res[$r]:-}" "$line")
    done
    echo "# round $round: PyTorch, ${TORCH_S}s ($(load))"
    $PY "$here/dae_torch.py" "$W/x.svm" 10,50,100,200,500,1000 "$TORCH_S" | tee -a "$W/torch" | sed 's/^/#   /' || exit 1
done
measure_peak
# peak memory of whole training runs from random weights (loading a layer
# for --init holds the file and the parameters at once, which is not what
# training needs): one epoch over 500 of the rows
head -501 "$W/x.svm" >"$W/m.svm"
for r in "${runs[@]}"; do
    read -r _ o <<<"${opts[$r]}"
    # shellcheck disable=SC2086
    /usr/bin/time -f '%M' -o "$W/mem" "$B/senti-pretrain" "${common[@]}" -E 1 $o -o "$W/m" "$W/m.svm" 2>/dev/null
    mem[$r]=$(($(cat "$W/mem") / 1024))
done
/usr/bin/time -f '%M' -o "$W/tmem" $PY "$here/dae_torch.py" "$W/x.svm" 100 4 >/dev/null
tmem=$(($(cat "$W/tmem") / 1024))
tbest_of() { awk -v b="batch=$1" '$2==b{sub("ex_per_s=","",$3); if($3+0>m+0) m=$3} END{print m}' "$W/torch"; }
t10=$(tbest_of 10)
t100=$(tbest_of 100)
tbest=$(awk '{sub("ex_per_s=","",$3); if($3+0>m+0){m=$3; b=$2}} END{print m, b}' "$W/torch")
tb=${tbest% *}

# flops per example.  Full reconstruction: the three decoder products
# (O = H Wd^T, dH = dZ Wd, Wd += dZ^T H: 2VH each) and the encoder forward
# and update over the corrupted row's non-zeros (2H each, twice); the
# corrupted row keeps 95% of the non-zeros and salts 5% of the zeros.
# Sampled runs: the same per reconstructed output, the outputs being the
# non-zeros of the clean and corrupted rows plus the distinct samples.
nzt=$(awk -v z="$nnz" -v v=$V 'BEGIN{print 0.95*z + 0.05*(v-z)}')
flops_full=$(awk -v v=$V -v h=$H -v t="$nzt" 'BEGIN{printf "%.0f", 6*v*h + 4*h*t}')
flops_sample() { # K
    awk -v v=$V -v h=$H -v z="$nnz" -v t="$nzt" -v k="$1" 'BEGIN{
        d = z + 0.05*(v-z); r = v - d; s = r*(1 - exp(k*log(1 - 1/r)));
        printf "%.0f", 6*h*(d + s) + 4*h*t}'
}

echo
echo "Load during the run: see the round lines above; figures are the best of $ROUNDS rounds."
echo "PyTorch (same rows, full reconstruction, dense input): batch 10 $t10 ex/s, batch 100 $t100 ex/s," \
    "best $tbest; peak RSS ${tmem} MB (batch 100)"
echo "OpenBLAS sgemm peak (best measured, $TH threads): $peak_gf GFLOP/s"
echo "senti timed from a layer pretrained for $WARM_EPOCHS epochs (-b 100 -k 200) on $WARM_ROWS other rows;" \
    "zeros = fraction of exactly-zero hidden units in the timed epoch"
printf '%-32s %8s %9s %8s %6s %7s %6s\n' run ex/s ratio GFLOP/s %peak RSS_MB zeros
line() { # label eps ratio-base flops mem zeros
    local gf pct
    gf=$(awk -v e="$2" -v f="$4" 'BEGIN{printf "%.1f", e*f/1e9}')
    pct=$(awk -v g="$gf" -v p="$peak_gf" 'BEGIN{printf "%.0f%%", 100*g/p}')
    printf '%-32s %8.1f %8.1fx %8s %6s %7s %6s\n' "$1" "$2" "$(awk -v a="$2" -v b="$3" 'BEGIN{print a/b}')" \
        "$gf" "$pct" "$5" "$6"
}
# shellcheck disable=SC2086
set -- ${res[full-b10]}; line "full b=10 (vs torch b=10)" "$2" "$t10" "$flops_full" "${mem[$1]}" "$3"
# shellcheck disable=SC2086
set -- ${res[full-b100]}; line "full b=100 (vs torch b=100)" "$2" "$t100" "$flops_full" "${mem[$1]}" "$3"
for r in sample-b10-k200 sample-b100-k200 sample-b100-k500; do
    k=${r##*-k}
    # shellcheck disable=SC2086
    set -- ${res[$r]}; line "$1 (vs torch best)" "$2" "$tb" "$(flops_sample "$k")" "${mem[$1]}" "$3"
done
cat <<EOF
(ratios: full runs against torch at the same batch size; sampled runs against torch's best
 full-reconstruction figure over batches 10..1000.  RSS_MB: peak memory of a training run from
 random weights with these settings (torch: ${tmem} MB at batch 100).  GFLOP/s counts, per
 example, 2*V*H for each of the three decoder products in full reconstruction, or 6*H per
 reconstructed output when sampling, plus 4*H per non-zero of the corrupted input for the
 encoder ($(awk -v f="$flops_full" 'BEGIN{printf "%.1f", f/1e6}') MFLOP per example in full reconstruction); %peak is against the sgemm peak.
 Goals: full >= 10x torch at b=10 and >= 2x at b=100, >= 60% of the sgemm peak at b=100;
 sampling >= 10x torch's best, aiming for 30x.)
EOF

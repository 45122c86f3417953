#!/usr/bin/env bash
# pretrain.sh - senti-pretrain: options and errors, the loss falls, same seed
# and threads give the same model bytes, an interrupted and resumed run ends
# with the same bytes as an uninterrupted one, every activation /
# reconstruction / noise runs, validation and log columns.
. "$(dirname "$0")/lib.sh"
D=$F/dae
P="senti-pretrain -q -H 16 -l 0.05"

run senti-pretrain --help
ok "--help exits 0" test "$rc" -eq 0
ok "--help shows defaults" grep -q -- '--hidden N .*\[5000\]' "$T/out"
ok "--help shows batch default" grep -q -- '--batch N .*\[10\]' "$T/out"
ok "--version" senti-pretrain --version
expect_fail 2 'no output model' "missing -o is misuse" senti-pretrain "$D/train.txt"
expect_fail 2 "noise" "bad --noise" senti-pretrain -o "$T/m" --noise sp:2 "$D/train.txt"
expect_fail 2 "act" "bad --act" senti-pretrain -o "$T/m" --act cube "$D/train.txt"
expect_fail 2 "emphasis" "bad --emphasis" senti-pretrain -o "$T/m" --emphasis 1 "$D/train.txt"
expect_fail 2 "resume needs" "--resume without --checkpoint" senti-pretrain -o "$T/m" --resume "$D/train.txt"
expect_fail 1 '^senti-pretrain: training diverged at epoch 1 \(loss .*\): lower --lr$' "diverged pretraining is an error" \
    senti-pretrain -q -H 16 -E 2 -r linear-se -l 1e6 -o "$T/div" "$D/train.txt"
ok "diverged pretraining leaves no model" test ! -e "$T/div"
printf '1 3:1 0:1\n' >"$T/bad.txt"
expect_fail 1 'bad.txt:1: ' "index 0 is a data error with file:line" senti-pretrain -o "$T/m" "$T/bad.txt"
printf '# only a header\n' >"$T/empty.txt"
expect_fail 1 'no data lines' "no data" senti-pretrain -o "$T/m" "$T/empty.txt"
printf '1 3:2.5\n' >"$T/wide.txt"
expect_fail 1 'needs inputs in \[0,1\]' "sigmoid-ce refuses values above 1" senti-pretrain -o "$T/m" "$T/wide.txt"
ok "linear-se takes values above 1" $P -o "$T/wide.model" -r linear-se -E 1 "$T/wide.txt"
ok "no model left behind on error" test ! -e "$T/m"

# training lowers the loss; log columns
$P -E 8 --log "$T/log.tsv" --valid "$D/valid.txt" -o "$T/a.model" "$D/train.txt"
ok "trained" test -s "$T/a.model"
ok "log header" grep -q $'^epoch\tseconds\ttrain_loss\tvalid_loss\tzero_frac$' "$T/log.tsv"
ok "log has 8 epochs" test "$(grep -c '^[0-9]' "$T/log.tsv")" -eq 8
first=$(awk -F'\t' 'NR==2{print $3}' "$T/log.tsv"); last=$(awk -F'\t' 'END{print $3}' "$T/log.tsv")
vfirst=$(awk -F'\t' 'NR==2{print $4}' "$T/log.tsv"); vlast=$(awk -F'\t' 'END{print $4}' "$T/log.tsv")
ok "train loss falls ($first -> $last)" awk -v a="$first" -v b="$last" 'BEGIN{exit !(b < 0.9*a)}'
ok "valid loss falls ($vfirst -> $vlast)" awk -v a="$vfirst" -v b="$vlast" 'BEGIN{exit !(b < a)}'
ok "zero fraction in [0,1]" awk -F'\t' 'NR>1 && !($5>=0 && $5<=1){exit 1}' "$T/log.tsv"
ok "model records the vocabulary digest" grep -q 00000000000000aa "$T/a.model"
ok "model records the settings" grep -q -- '--hidden 16 .*--lr 0.05 ' "$T/a.model"

# determinism: same seed + threads -> same bytes; other seed -> other bytes
# (the model records the command line, so each pair runs the same command)
for th in 1 2; do
    $P -E 3 -t $th -s 5 -o "$T/d" "$D/train.txt" && mv "$T/d" "$T/d1.$th"
    $P -E 3 -t $th -s 5 -o "$T/d" "$D/train.txt" && mv "$T/d" "$T/d2.$th"
    same "$T/d1.$th" "$T/d2.$th" "same seed, $th thread(s): same model bytes"
done
$P -E 3 -t 1 -s 6 -o "$T/d" "$D/train.txt"
ndiff=$(cmp -l "$T/d1.1" "$T/d" 2>/dev/null | wc -l)
ok "another seed gives other parameters ($ndiff bytes differ)" test "$ndiff" -gt 1000
$P -E 3 -k 5 -s 5 -o "$T/k" <"$D/train.txt" && mv "$T/k" "$T/k1"
cat "$D/train.txt" | $P -E 3 -k 5 -s 5 -o "$T/k"
same "$T/k1" "$T/k" "file on stdin and pipe give the same model (sampling)"
$P -E 3 -s 5 -o - "$D/train.txt" >"$T/stdout.model"
$P -E 3 -s 5 -o "$T/file.model" "$D/train.txt"
ok "-o - writes the model to stdout" test -s "$T/stdout.model"

# resume: interrupted after 2 of 5 epochs then resumed == uninterrupted
resume_case() { # name options...
    local name=$1; shift
    mkdir -p "$T/ra.$name" "$T/rb.$name"
    cp "$D/train.txt" "$T/ra.$name/x"; cp "$D/train.txt" "$T/rb.$name/x"
    (cd "$T/ra.$name" && $P -E 5 "$@" --checkpoint ck -o m x)
    (cd "$T/rb.$name" && $P -E 5 "$@" --checkpoint ck --stop-after 2 -o m x)
    ok "$name: stopped run leaves a checkpoint and no model" test -s "$T/rb.$name/ck" -a ! -e "$T/rb.$name/m"
    (cd "$T/rb.$name" && $P -E 5 "$@" --checkpoint ck --resume -o m x)
    same "$T/ra.$name/m" "$T/rb.$name/m" "$name: interrupted + resumed == uninterrupted"
}
resume_case full
resume_case init --init "$T/a.model" -k 3
resume_case sampled -k 7 -t 2 --noise mask:0.2 --tied
resume_case emph --emphasis 1,0.5 --act tanh --recon linear-se -b 7
expect_fail 1 'lr' "resume with another --lr" \
    sh -c "cd '$T/rb.full' && $P -E 6 -l 0.1 --checkpoint ck --resume -o m2 x"
head -50 "$D/train.txt" >"$T/rb.full/y"
expect_fail 1 'training data differ' "resume on other data" \
    sh -c "cd '$T/rb.full' && $P -E 6 --checkpoint ck --resume -o m2 y"
expect_fail 1 'a layer model, not a checkpoint' "a layer is not a checkpoint" \
    sh -c "cd '$T/rb.full' && $P -E 6 --checkpoint m --resume -o m2 x"

# --init: start from a trained layer; 0 epochs keep its parameters, so it
# encodes as the layer does; another shape is refused
$P -E 0 --init "$T/a.model" -o "$T/i0.model" "$D/train.txt"
senti-encode -m "$T/a.model" "$D/valid.txt" | grep -v '^#' >"$T/enc.a"
senti-encode -m "$T/i0.model" "$D/valid.txt" | grep -v '^#' >"$T/enc.i0"
ok "--init layer encodes something" test -s "$T/enc.a"
same "$T/enc.a" "$T/enc.i0" "--init with 0 epochs keeps the layer's parameters"
$P -E 2 --init "$T/a.model" -k 4 --l1 0.01 -o "$T/i2.model" "$D/train.txt"
ndiff=$(cmp -l "$T/a.model" "$T/i2.model" 2>/dev/null | wc -l)
ok "--init then training changes the parameters ($ndiff bytes differ)" test "$ndiff" -gt 100
expect_fail 1 'init: .* is a .* -> 16 relu layer; this run needs .* -> 8 relu' "--init with another shape" \
    senti-pretrain -q -H 8 --init "$T/a.model" -o "$T/m" "$D/train.txt"
expect_fail 1 'init: .*tied' "--init untied into tied" \
    senti-pretrain -q -H 16 --tied --init "$T/a.model" -o "$T/m" "$D/train.txt"

# every activation x reconstruction x noise trains a little without error
fails=0
for act in relu softplus tanh sigmoid; do
    for rec in sigmoid-ce linear-se softplus-se relu-se; do
        for noise in none sp:0.1 mask:0.3 gauss:0.2; do
            senti-pretrain -q -H 5 -E 1 -b 16 -l 0.01 --act $act --recon $rec --noise $noise \
                --l1 0.001 -o "$T/c.model" "$D/train.txt" 2>"$T/c.err" || { fails=$((fails + 1)); cat "$T/c.err" >&2; }
        done
    done
done
t_result $fails "64 activation x reconstruction x noise runs"
ok "observed-only with sampling flag runs" $P -E 2 --observed-only -k 3 -o "$T/o.model" "$D/train.txt"
ok "gemm and rows kernels both run" sh -c "$P -E 1 --kernel gemm -o '$T/g' '$D/train.txt' && $P -E 1 --kernel rows -o '$T/r' '$D/train.txt'"
# validation data without rows are an error, as for senti-train (not a
# 'valid nan' every epoch)
expect_fail 1 '^senti-pretrain: /dev/null: no data lines$' "--valid /dev/null is refused" $P -E 1 --valid /dev/null -o "$T/x" "$D/train.txt"
printf '# senti sparse dim=4\n' >"$T/hdronly"
expect_fail 1 'hdronly: no data lines$' "--valid with a header only is refused" $P -E 1 --valid "$T/hdronly" -o "$T/x" "$D/train.txt"
expect_fail 1 'standard input .* named for two inputs' "--valid - with the data on stdin" sh -c "$P -E 1 --valid - -o '$T/x' < '$D/train.txt'"

# --patience keeps the best epoch's layer: its validation loss is the
# lowest of the log
$P -E 6 -l 0.5 --valid "$D/valid.txt" -p 2 --log "$T/plog" -o "$T/pbest" "$D/train.txt"
be=$(awk -F'\t' 'NR > 1 { if (m == "" || $4 < m) { m = $4; e = $1 } } END { print e }' "$T/plog")
$P -E "$be" -l 0.5 --valid "$D/valid.txt" -o "$T/pat" "$D/train.txt"
same <(senti-encode -m "$T/pbest" "$D/valid.txt" | tail -n +2) <(senti-encode -m "$T/pat" "$D/valid.txt" | tail -n +2) \
    "--patience: the layer kept is that of the epoch of lowest validation loss ($be of $(($(wc -l <"$T/plog") - 1)))"

# a crash between an epoch's --log line and its checkpoint: --resume
# rewrites the log from the checkpoint, so no epoch appears twice
$P -E 4 --log "$T/lref" -o "$T/mref" "$D/train.txt"
$P -E 4 --log "$T/lck" --checkpoint "$T/ck" --stop-after 2 -o "$T/mck" "$D/train.txt"
sed -n 3p "$T/lck" | sed 's/^2/3/' >>"$T/lck"
$P -E 4 --log "$T/lck" --checkpoint "$T/ck" --resume -o "$T/mck" "$D/train.txt"
same <(cut -f1,3- "$T/lref") <(cut -f1,3- "$T/lck") "the resumed --log has every epoch once"
same "$T/mref" "$T/mck" "and the resumed layer is the uninterrupted one"

# code noise: only in training; deterministic for a seed
$P -E 2 -a sigmoid --code-noise 2 -o "$T/cn1" "$D/train.txt"
$P -E 2 -a sigmoid --code-noise 2 -o "$T/cn2" "$D/train.txt"
$P -E 2 -a sigmoid -o "$T/cn0" "$D/train.txt"
same "$T/cn1" "$T/cn2" "--code-noise: same seed, same bytes"
ok "--code-noise changes what is learnt" sh -c "! cmp -s '$T/cn1' '$T/cn0'"
ok "--code-noise is recorded" grep -q -- '--code-noise 2' "$T/cn1"

# --stack: the deep autoencoder of two layers fine-tuned as a whole
awk 'BEGIN { srand(2); for (i = 0; i < 200; i++) { l = "?"; for (j = 1; j <= 30; j++) if (rand() < 0.3) l = l " " j ":" sprintf("%.2f", 2 * rand() - 1); print l } }' >"$T/cf"
C="senti-pretrain -q -a tanh -r linear-se --observed-only -n mask:0.2 -E 3"
$C -H 10 -o "$T/c1" "$T/cf"
senti-encode -m "$T/c1" "$T/cf" >"$T/c1.enc"
senti-pretrain -q -a tanh -r linear-se -n mask:0.1 -E 3 -H 5 -o "$T/c2" "$T/c1.enc"
$C -H 10 --stack "$T/c1,$T/c2" -b 20 --momentum 0.8 --log "$T/slog" -o "$T/deep" "$T/cf"
ok "--stack writes a stack model of two layers" sh -c "senti-inspect '$T/deep' | grep -q '^kind  *stack' && senti-inspect '$T/deep' | grep -q '^layers  *2'"
first=$(awk -F'\t' 'NR == 2 { print $3 }' "$T/slog"); last=$(awk -F'\t' 'END { print $3 }' "$T/slog")
ok "--stack: the training loss falls ($first -> $last)" awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'
$C -H 10 --stack "$T/c1,$T/c2" -b 20 --momentum 0.8 --checkpoint "$T/sck" --stop-after 1 -o "$T/deep2" "$T/cf"
$C -H 10 --stack "$T/c1,$T/c2" -b 20 --momentum 0.8 --checkpoint "$T/sck" --resume -o "$T/deep2" "$T/cf"
same "$T/deep" "$T/deep2" "--stack: interrupted and resumed = uninterrupted"
$C -H 10 -s 5 -o "$T/c1b" "$T/cf"
senti-encode -m "$T/c1b" "$T/cf" | senti-pretrain -q -a tanh -r linear-se -E 2 -H 5 -o "$T/c2b"
expect_fail 1 'c2b: pretrained on other input' "--stack refuses a layer pretrained on another layer's codes" \
    $C -H 10 --stack "$T/c1,$T/c2b" -o "$T/x" "$T/cf"
expect_fail 2 'exclude each other' "--stack with --init" $C -H 10 --stack "$T/c1" --init "$T/c1" -o "$T/x" "$T/cf"

finish

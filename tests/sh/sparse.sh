#!/usr/bin/env bash
# sparse.sh - the format rules of docs/format.md, end to end through
# senti-cat: each malformed line gives exit 1 and one message
# "senti-cat: file:line: reason"; valid input (pipes, CRLF, no final
# newline, long lines) is accepted and written back in canonical form.
. "$(dirname "$0")/lib.sh"

bad() { # line-content regex description
    printf '3 1:1\n%b\n' "$1" >"$T/bad.svm"
    expect_fail 1 "^senti-cat: $T/bad.svm:2: $2\$" "$3" senti-cat "$T/bad.svm"
}
bad '1 0:1' 'index 0 \(indices start at 1\); a zero-based file\? \(--zero-based\)' 'index 0'
bad '1 4:1 2:1' 'index 2 not above previous 4' 'non-increasing index'
bad '1 4:1 4:1' 'duplicate index 4' 'duplicate index'
bad '1 2:nan' "value 'nan' is not finite" 'NaN value'
bad '1 2:inf' "value 'inf' is not finite" 'inf value'
bad '1 2:-Infinity' "value '-Infinity' is not finite" '-inf value'
bad '1 7' "missing ':' after index 7" 'missing colon'
bad '1 7:' "missing value after '7:'" 'missing value'
bad '1 7:1 junk' "missing ':' in 'junk'" 'trailing word'
bad '1 7:0.5x' "trailing garbage 'x' after value of index 7" 'trailing garbage in value'
bad 'five 7:1' "bad label 'five'" 'bad label'
bad '1 a:1' "bad index 'a:1'" 'bad index'
bad '' 'empty line.*' 'empty line'
bad '1 2:1\00003:1' 'NUL byte at column 6' 'embedded NUL'

# index above the declared dim (header), and above --dim
printf '# senti sparse dim=5\n1 5:1\n1 6:1\n' >"$T/dim.svm"
expect_fail 1 "^senti-cat: $T/dim.svm:3: index 6 above declared dim=5\$" 'index above header dim' senti-cat "$T/dim.svm"
printf '1 5:1\n' >"$T/d5.svm"
expect_fail 1 "^senti-cat: $T/d5.svm:1: index 5 above the model's input dimension 4\$" 'index above --dim' senti-cat --dim 4 "$T/d5.svm"
printf '# senti sparse dim=5\n# senti sparse dim=6\n' >"$T/h2.svm"
expect_fail 1 'h2.svm:2: header dim=6 disagrees with earlier dim=5' 'conflicting headers' senti-cat "$T/h2.svm"

# stdin is named (stdin) in messages
printf '1 2:1 1:1\n' >"$T/s.svm"
expect_fail 1 '^senti-cat: \(stdin\):1: index 1 not above previous 2$' 'stdin named in message' senti-cat <"$T/s.svm"

# valid input: CRLF, tabs, repeated blanks, no final newline, comments, '?'
printf '# senti sparse dim=9 vocab=00112233445566ff\r\n5\t1:1  3:0.50 # first\r\n? 2:1\r\n# just a comment\n1 9:-2.25e0' >"$T/ok.svm"
run senti-cat "$T/ok.svm"
printf '# senti sparse dim=9 vocab=00112233445566ff\n5 1:1 3:0.5 # first\n? 2:1\n1 9:-2.25\n' >"$T/ok.want"
t_result $rc "valid quirky input accepted"
same "$T/out" "$T/ok.want" "canonical output"
# idempotent and works through a pipe
cat "$T/out" | senti-cat - >"$T/out2"
same "$T/out2" "$T/ok.want" "canonical form is a fixed point, read from a pipe"

# a long line (1M entries) through a pipe
awk 'BEGIN { printf "1"; for (i = 1; i <= 1000000; i++) printf " %d:1", i; printf "\n" }' | senti-cat --stats >"$T/st"
ok "1M-entry line read" grep -qx $'nonzeros\t1000000' "$T/st"

# --stats figures
printf '2 1:1 3:1\n4 2:1\n? 5:1\n' | senti-cat -s >"$T/st"
ok "stats rows" grep -qx $'rows\t3' "$T/st"
ok "stats labeled" grep -qx $'labeled\t2' "$T/st"
ok "stats mean" grep -qx $'label_mean\t3.000000' "$T/st"
ok "stats dim" grep -qx $'dim\t5' "$T/st"

# check mode prints nothing
run senti-cat --check "$T/ok.svm"
ok "check mode silent and successful" test "$rc" -eq 0 -a ! -s "$T/out"

# unreadable inputs
expect_fail 1 "^senti-cat: $T/none.svm: No such file or directory\$" 'missing file' senti-cat "$T/none.svm"
expect_fail 1 "^senti-cat: $T: Is a directory\$" 'directory as input' senti-cat "$T"
finish

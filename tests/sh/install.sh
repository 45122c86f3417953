#!/usr/bin/env bash
# install.sh - `make install` into a temporary PREFIX: every program in
# PREFIX/bin runs and tells its version, `man -M PREFIX/share/man` shows a
# page for each (made by help2man from --help), README and docs/ are in
# PREFIX/share/doc/senti; DESTDIR stages the same tree; `make uninstall`
# leaves nothing of senti behind.  The programs installed are those of
# this build (SAN=1 installs the sanitizer build).
. "$(dirname "$0")/lib.sh"
root=$(cd "$SENTI_TESTS/.." && pwd)
P=$T/prefix
# a make of its own: not a job of the make that runs the tests
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR make -s -C "$root" SAN="${SAN:-0}" "$@"; }
export MANPAGER=cat PAGER=cat MANWIDTH=80

progs=()
for p in "$B"/senti-*; do progs+=("$(basename "$p")"); done
ok "programs to install (${#progs[@]})" test "${#progs[@]}" -ge 15

mk install PREFIX="$P" >"$T/install.out" 2>&1
rc=$?
ok "make install PREFIX=DIR exits 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/  | /' "$T/install.out" | tail -5 >&2
version=$(senti-cat --version | awk '{ print $3 }')
for n in "${progs[@]}"; do
    ok "$n installed, executable" test -x "$P/bin/$n"
    run "$P/bin/$n" --version
    ok "installed $n --version" test "$rc" -eq 0 -a "$(cat "$T/out")" = "$n (senti) $version"
    ok "$n.1 installed" test -s "$P/share/man/man1/$n.1"
    man -M "$P/share/man" "$n" >"$T/man" 2>"$T/man.err"
    ok "man -M PREFIX/share/man $n shows its page" grep -Eq "^ *$n +- +[a-z]" "$T/man"
done
man -M "$P/share/man" senti-train >"$T/man" 2>&1
ok "man senti-train: NAME section" grep -q '^NAME' "$T/man"
ok "man senti-train: the options of --help" grep -q -- '--epochs N' "$T/man"
ok "man senti-train: -h" grep -q -- '-h, --help' "$T/man"
ok "man senti-train: -V" grep -q -- '-V, --version' "$T/man"
ok "man senti-train: the version" grep -q "senti $version" "$T/man"
ok "man senti-train: the defaults in brackets" grep -q '\[20\]' "$T/man"
ok "README installed" cmp -s "$root/README.md" "$P/share/doc/senti/README.md"
ok "docs/limits.md installed" cmp -s "$root/docs/limits.md" "$P/share/doc/senti/docs/limits.md"
ok "docs/results installed" test -s "$P/share/doc/senti/docs/results/README.md"
# the installed programs work from anywhere, on their own
(cd "$T" && printf '5\tA fine, fine product\n' | "$P/bin/senti-tokenize" >tok.out)
ok "installed senti-tokenize runs" grep -q $'^5\ta fine fine product$' "$T/tok.out"

mk uninstall PREFIX="$P" >"$T/uninstall.out" 2>&1
ok "make uninstall exits 0" test $? -eq 0
ok "make uninstall: no file left" test -z "$(find "$P" -type f -o -type l)"
ok "make uninstall: nothing named senti left" test -z "$(find "$P" -name '*senti*')"

# DESTDIR: the same tree under the staging directory, nothing in PREFIX
S=$T/stage
mk install PREFIX=/opt/senti-test DESTDIR="$S" >"$T/install.out" 2>&1
ok "make install DESTDIR=STAGE exits 0" test $? -eq 0
ok "DESTDIR: the programs under STAGE/PREFIX/bin" test -x "$S/opt/senti-test/bin/senti-train"
ok "DESTDIR: the man pages under STAGE/PREFIX" test -s "$S/opt/senti-test/share/man/man1/senti-train.1"
ok "DESTDIR: nothing in PREFIX itself" test ! -e /opt/senti-test
mk uninstall PREFIX=/opt/senti-test DESTDIR="$S" >"$T/uninstall.out" 2>&1
ok "DESTDIR: make uninstall leaves no file" test -z "$(find "$S" -type f -o -type l)"
finish

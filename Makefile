# senti - one non-recursive GNU Makefile.
#
#   make            build bin/senti-* (installs missing Debian packages first)
#   make check      build and run every test (prints "N passed, M failed")
#   make SAN=1 check   the same under AddressSanitizer + UBSan, in build/san/
#   make demo       run the main pipeline on a real corpus (Blitzer, one
#                   fold: the no-hidden and one-layer rows beside the peers)
#   make table2 CORPUS=blitzer|imdb   Table 2 of Glorot et al. (2011) with
#                   fastText and LIBLINEAR (pipelines/table2.mk)
#   make table2 CORPUS=tsv TSV=FILE   the same on your own rating<TAB>text file
#   make tune CORPUS=... [BUDGET=s]   choose its settings on a validation
#                   part, then make its table with them
#   make cf         collaborative filtering on MovieLens (pipelines/cf.mk)
#   make hash       semantic hashing on Blitzer, CORPUS=imdb on IMDB
#                   (pipelines/hash.mk, docs/hash.md)
#   make bench      benchmarks against peers (bench/; BENCH=NAME for one)
#   make fuzz       libFuzzer campaigns (tests/fuzz/; FUZZ_SECONDS, FUZZ_RUNS,
#                   FUZZ=NAME)
#   make deps       install every Debian package (build, tests, experiments)
#   make install    programs, man pages and docs under PREFIX [/usr/local]
#                   (DESTDIR honoured); make uninstall removes them
#
# New files are picked up by pattern: lib/*.c go into the library,
# tools/NAME.c and corpora/NAME.c become bin/senti-NAME, tests/unit/test_*.c
# become unit tests, tests/sh/*.sh shell tests, bench/*.sh benchmarks.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

SAN ?= 0
# Warnings are errors in CI (CI=true) or with WERROR=1.
WERROR ?= $(if $(filter true 1,$(CI)),1,0)

ifeq ($(SAN),1)
BUILD := build/san
BIN := build/san/bin
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
BUILD := build/release
BIN := bin
SANFLAGS :=
OPT := -O2
endif

# Debian packages, by what needs them.  `make` (the programs) needs only
# BUILD_PKGS; `make check` adds TEST_PKGS (the tests run the peers on our
# output, the fuzzers, valgrind, Open MPI and GNU parallel); the experiments
# and benchmarks (demo, table2, bench) add DATA_PKGS and PEER_PKGS.  Each
# set is installed by pipelines/need-pkgs (apt-get as root, otherwise it
# names what to install) the first time a target needs it.
BUILD_PKGS := gcc make pkg-config libopenblas-dev libpcre2-dev libstemmer-dev \
              libutf8proc-dev zlib1g-dev
TEST_PKGS := valgrind time clang libclang-rt-dev gnuplot-nox fasttext liblinear-tools \
             python3-numpy python3-scipy python3-sklearn openmpi-bin libopenmpi-dev \
             parallel help2man man-db
MAN_PKGS := help2man
DATA_PKGS := ca-certificates curl gzip tar unzip
PEER_PKGS := fasttext liblinear-tools gnuplot-nox python3-numpy python3-scipy \
             python3-sklearn python3-torch
STAMPS := build/stamps
DEPS_STAMP := $(STAMPS)/build.pkgs

PKG_LIBS := openblas libpcre2-8 libutf8proc zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null || echo -lopenblas -lpcre2-8 -lutf8proc -lz)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wold-style-definition -Wpointer-arith -Wformat=2 -Wvla -Wundef \
        -Wcast-align -Wwrite-strings -Wnull-dereference -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CFLAGS) $(WARN) $(SANFLAGS) \
              -Ilib $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)
LDLIBS := $(PKG_LDLIBS) -lstemmer -lm -lpthread

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A := $(BUILD)/libsenti.a

TOOL_SRC := $(sort $(wildcard tools/*.c))
CORPUS_SRC := $(sort $(wildcard corpora/*.c))
PROGS := $(patsubst tools/%.c,$(BIN)/senti-%,$(TOOL_SRC)) \
         $(patsubst corpora/%.c,$(BIN)/senti-%,$(CORPUS_SRC))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check demo table2 tune bench clean help
all: $(PROGS)

help:
	@sed -n '2,19s/^# \{0,1\}//p' Makefile

deps: $(STAMPS)/build.pkgs $(STAMPS)/test.pkgs $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
$(STAMPS)/build.pkgs: PKGS = $(BUILD_PKGS)
$(STAMPS)/test.pkgs: PKGS = $(TEST_PKGS)
$(STAMPS)/man.pkgs: PKGS = $(MAN_PKGS)
$(STAMPS)/data.pkgs: PKGS = $(DATA_PKGS)
$(STAMPS)/peer.pkgs: PKGS = $(PEER_PKGS)
$(STAMPS)/%.pkgs: Makefile pipelines/need-pkgs
	@bash pipelines/need-pkgs $(PKGS)
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/senti-%: $(BUILD)/tools/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BIN)/senti-%: $(BUILD)/corpora/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

# Tests: unit binaries and shell scripts, summed into one closing line.
check: $(PROGS) $(UNIT_BIN) $(STAMPS)/test.pkgs
	@SENTI_BIN=$(abspath $(BIN)) SENTI_UNIT=$(abspath $(BUILD)/tests) SAN=$(SAN) \
	  bash tests/run $(TESTS)

# Experiments (pipelines/table2.mk): each step is a file under results/, so
# an interrupted run resumes; JOBS steps run at once, THREADS threads each.
CORPUS ?= blitzer
JOBS ?= 2
T2 = $(MAKE) --no-print-directory -j$(JOBS) -f pipelines/table2.mk BIN=$(abspath $(BIN))

table2: $(PROGS) $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
	@for f in $$($(T2) -s CORPUS=$(CORPUS) folds); do \
	    $(T2) CORPUS=$(CORPUS) ONLY=$$f evals || exit; done
	@$(T2) CORPUS=$(CORPUS)

tune: $(PROGS) $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
	@$(T2) CORPUS=$(CORPUS) tune
	@$(MAKE) --no-print-directory table2 CORPUS=$(CORPUS) SETTINGS=$$($(T2) -s CORPUS=$(CORPUS) tuned-settings)

demo: $(PROGS) $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
	@$(T2) CORPUS=blitzer FOLDS=1 ROWS="none relu1 fasttext liblinear svr" \
	    R=$(abspath results/demo) demo

# Collaborative filtering (pipelines/cf.mk, docs/cf.md); one job, THREADS 1.
.PHONY: cf
cf: $(PROGS) $(STAMPS)/peer.pkgs
	@$(MAKE) --no-print-directory -j1 -f pipelines/cf.mk BIN=$(abspath $(BIN))

# semantic hashing (docs/hash.md): BITS, SEED
.PHONY: hash
hash: $(PROGS) $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
	@$(MAKE) --no-print-directory -f pipelines/hash.mk BIN=$(abspath $(BIN))

bench: $(PROGS) $(STAMPS)/data.pkgs $(STAMPS)/peer.pkgs
	@SENTI_BIN=$(abspath $(BIN)) bash bench/run $(BENCH)

# Hardening (docs/limits.md): make fuzz: each libFuzzer harness of tests/fuzz/ for
# FUZZ_SECONDS (FUZZ=NAME for one; FUZZ_RUNS=N stops each after N
# executions if that comes first); crashing inputs go to
# build/fuzz/crashes/, keep them in tests/fuzz/NAME/regress/ once fixed.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: $(STAMPS)/build.pkgs $(STAMPS)/test.pkgs
	@FUZZ_RUNS=$(FUZZ_RUNS) bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ)

# ------------------------------------------------------------------------
# Install: `make install PREFIX=DIR` (default /usr/local; DESTDIR=STAGE
# prefixes every path, for packaging) puts the programs in PREFIX/bin, a
# man page for each in PREFIX/share/man/man1 and README.md and docs/ in
# PREFIX/share/doc/senti; `make uninstall` (same PREFIX and DESTDIR)
# removes exactly these.  The man pages are made at build time from each
# program's --help and --version by Debian's help2man (package help2man,
# installed like the others by pipelines/need-pkgs), into $(BUILD)/man/;
# the NAME line is the first sentence of --help without its parentheses.
# `make man` makes the pages alone.
PREFIX ?= /usr/local
bindir = $(DESTDIR)$(PREFIX)/bin
man1dir = $(DESTDIR)$(PREFIX)/share/man/man1
docdir = $(DESTDIR)$(PREFIX)/share/doc/senti
INSTALL ?= install
MAN_DIR := $(BUILD)/man
MANS := $(patsubst $(BIN)/%,$(MAN_DIR)/%.1,$(PROGS))
DOCS := README.md $(sort $(shell find docs -type f 2>/dev/null))
# the date in the pages: the last commit's, so the same sources give the
# same pages
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
# the first sentence of a --help, parentheses and a final colon dropped,
# the first letter in lower case: "train a rating predictor on ..."
MAN_NAME_AWK := NR == 1 { next } /^$$/ { exit } { t = t (t ? " " : "") $$0 } \
    END { while (match(t, / ?\([^()]*\)/)) t = substr(t, 1, RSTART - 1) substr(t, RSTART + RLENGTH); \
          if (match(t, /[^.]\.( |$$)/)) t = substr(t, 1, RSTART); sub(/:$$/, "", t); \
          print tolower(substr(t, 1, 1)) substr(t, 2) }

.PHONY: man install uninstall
man: $(MANS)

$(MAN_DIR)/%.1: $(BIN)/% | $(STAMPS)/man.pkgs
	@command -v help2man >/dev/null || { echo "make: help2man is needed for the man pages (Debian package help2man)" >&2; exit 1; }
	@mkdir -p $(@D)
	@name=$$($< --help | awk '$(MAN_NAME_AWK)') && \
	  SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) help2man --no-info --section=1 \
	    --manual="senti manual" --name="$$name" --output=$@ $< || { rm -f $@; exit 1; }

install: $(PROGS) $(MANS)
	@test -n "$(PREFIX)" || { echo "make install: PREFIX is empty" >&2; exit 1; }
	$(INSTALL) -d $(bindir) $(man1dir) $(docdir)
	$(INSTALL) -m 755 $(PROGS) $(bindir)/
	$(INSTALL) -m 644 $(MANS) $(man1dir)/
	@for f in $(DOCS); do \
	  case $$f in docs/*) d=$(docdir)/$$(dirname $$f) ;; *) d=$(docdir) ;; esac; \
	  $(INSTALL) -d "$$d" && $(INSTALL) -m 644 $$f "$$d"/ || exit; done
	@echo "installed $(words $(PROGS)) programs and their man pages under $(DESTDIR)$(PREFIX)"

uninstall:
	@test -n "$(PREFIX)" || { echo "make uninstall: PREFIX is empty" >&2; exit 1; }
	rm -f $(addprefix $(bindir)/,$(notdir $(PROGS))) $(addprefix $(man1dir)/,$(notdir $(MANS)))
	rm -rf $(docdir)

# ---------------------------------------------------------------------------
# Open MPI (docs/scale.md): data-parallel training under mpirun.  lib/dist.c
# is built twice: serial into libsenti.a (every program), and with Open MPI
# (pkg-config ompi-c, -DSENTI_MPI) into $(BUILD)/mpi/dist.o, which only the
# programs of MPI_TOOLS and the unit tests of MPI_UNITS link, ahead of the
# library so that it replaces the serial member.  Whether Open MPI is there
# is asked when they are built, not when make starts (make check installs
# TEST_PKGS, libopenmpi-dev among them, first); $(MPI_FLAGS) holds the
# answer and changes only with it, so they are rebuilt when it changes.
# Without libopenmpi-dev they are built serial: they build and run as
# before, and refuse to run under mpirun with more than one process.
MPI_TOOLS := pretrain train
MPI_UNITS := test_dist
MPI_FLAGS := $(BUILD)/mpi/flags
MPI_OBJ := $(BUILD)/mpi/dist.o
MPI_PROGS := $(MPI_TOOLS:%=$(BIN)/senti-%)
# line 1: -DSENTI_MPI and the compile flags (empty: serial); line 2: the libraries
mpi_cflags = $(shell sed -n 1p $(MPI_FLAGS))
mpi_libs = $(shell sed -n 2p $(MPI_FLAGS))

.PHONY: FORCE
FORCE:
ifneq ($(filter check,$(MAKECMDGOALS)),)
$(MPI_FLAGS): | $(STAMPS)/test.pkgs
endif
$(MPI_FLAGS): FORCE | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@if pkg-config --exists ompi-c 2>/dev/null; then \
	    printf '%s\n' "-DSENTI_MPI $$(pkg-config --cflags ompi-c)" "$$(pkg-config --libs ompi-c)"; \
	else printf '\n\n'; fi >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

$(MPI_OBJ): lib/dist.c $(MPI_FLAGS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(mpi_cflags) -c -o $@ $<

$(MPI_PROGS): $(BIN)/senti-%: $(BUILD)/tools/%.o $(MPI_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(MPI_OBJ) $(LIB_A) $(LDLIBS) $(mpi_libs)

$(MPI_UNITS:%=$(BUILD)/tests/%): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(MPI_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(MPI_OBJ) $(LIB_A) $(LDLIBS) $(mpi_libs)

# The serial lib/dist under test too: test_dist with libsenti.a's member.
DIST_SERIAL := $(BUILD)/tests/test_dist_serial
$(DIST_SERIAL): $(BUILD)/tests/unit/test_dist.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)
check: $(DIST_SERIAL)
# bench/scale.sh times the collective with test_dist
bench: $(BUILD)/tests/test_dist

-include $(MPI_OBJ:.o=.d)

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
         $(TOOL_SRC:%.c=$(BUILD)/%.d) $(CORPUS_SRC:%.c=$(BUILD)/%.d)

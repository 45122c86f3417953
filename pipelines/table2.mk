# pipelines/table2.mk - Table 2 of Glorot, Bordes & Bengio (2011) on a real
# corpus, beside fastText and LIBLINEAR on the same folds.
#
#   make table2 CORPUS=blitzer      (10-fold cross-validation)
#   make table2 CORPUS=imdb         (the official 25k/25k split)
#   make table2 CORPUS=tsv TSV=FILE (your own rating<TAB>text lines, K-fold)
#   make tune CORPUS=... [BUDGET=s] (settings chosen on a validation part)
#   make demo                       (Blitzer, fold 1, one-layer rows only)
#
# The top Makefile runs this file with make -f; every step is a file under
# $(R), so an interrupted run resumes where it stopped and a changed setting
# redoes only the steps that depend on it (each row's options are kept in
# $(R)/opts/ROW and rewritten only when they change).  Per-corpus settings
# are in pipelines/table2/$(CORPUS).mk (or CORPUS_MK); SETTINGS names a
# makefile of settings chosen for the corpus (pipelines/tune writes one);
# every setting can be overridden on the command line, e.g.
# `make table2 CORPUS=blitzer FOLDS="1 2"`.
#
# Per fold directory F (f01..f10, or `test` for a fixed split):
#   train.tok test.tok      token lines of the training and test part
#   fit.tok valid.tok       the training part split 90/10; valid.tok drives
#                           early stopping and the peers' small grid searches
#   pre.tok                 text for unsupervised pretraining (training part,
#                           plus unlabeled reviews where the corpus has them)
#   vocab, *.svm            top-k terms of train.tok; binary bags of words
#   ROW.pred                `gold<TAB>prediction` for test.tok
#   ROW.eval                senti-eval -f tsv of ROW.pred
#   ROW.time, *.time        wall seconds of each step (pipelines/timed)
#   ROW.sparsity            zero fraction of each hidden layer on test.svm
#   ROW.log                 senti-train's per-epoch log (learning curves)

CORPUS ?= blitzer
.DEFAULT_GOAL := all
top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
P := $(top)/pipelines
BIN ?= $(top)/bin
DATA ?= $(top)/data
# your own corpus (CORPUS=tsv TSV=FILE) has a directory of its own, and its
# table stays there; the built-in corpora publish to docs/results/
TSV ?=
R ?= $(top)/results/table2/$(CORPUS)$(if $(TSV),-$(basename $(notdir $(TSV))))
PUBLISH ?= $(if $(TSV),$(R)/published,$(top)/docs/results/$(CORPUS))
THREADS ?= 1
SEED ?= 1
export PATH := $(BIN):$(PATH)
export SEED

# the corpus: its folds and how to make them, and any setting it changes
CORPUS_MK ?= $(top)/pipelines/table2/$(CORPUS).mk
include $(CORPUS_MK)
# settings chosen for this corpus (plain assignments: they win over the
# defaults below)
SETTINGS ?=
ifneq ($(SETTINGS),)
include $(SETTINGS)
endif

# ---- settings (pipelines/table2/$(CORPUS).mk may override any of them)
# tokens: words, word bigrams (-g 2) and ! ? emoticons (-P), for every row
TOK_OPTS ?= -g 2 -P
VOCAB_K ?= 5000
HIDDEN ?= 1000
# no hidden layer: softmax on the bag of words
NONE_OPTS ?= -l 0.03 --l2 0.01 -E 100 -p 10
# layer 1: salt-and-pepper noise; upper layers: masking noise (the paper),
# 10 epochs (3 left the three-layer stack behind on IMDB's validation part)
PRE1_OPTS ?= -H $(HIDDEN) -n sp:0.05 --l1 0.001 -l 0.01 -E 3 -k 500
PREUP_OPTS ?= -H $(HIDDEN) -n mask:0.25 --l1 0.001 -l 0.01 -E 10 -k 500
TANH1_OPTS ?= -a tanh -H $(HIDDEN) -n sp:0.05 -l 0.01 -E 3 -k 500
TANHUP_OPTS ?= -a tanh -H $(HIDDEN) -n mask:0.25 -r linear-se -l 0.001 -E 3
# fine-tuning; the three-layer stack's first 5 epochs train the output only
# (--warm 5: better on both corpora's validation parts, not for one layer)
FT1_OPTS ?= -l 0.01 --l1 0.0001 --drop 0.5 --in-drop 0.5 -E 80 -p 10
FT3_OPTS ?= -l 0.003 --l1 0.0001 --drop 0.5 --in-drop 0.5 --warm 5 -E 60 -p 10
FTT_OPTS ?= -l 0.01 --drop 0.25 --in-drop 0.5 -E 60 -p 10
# peers
FT_LRS ?= 0.05 0.1 0.25
FT_EPOCHS ?= 25
# fastText reads the same tokens (bigrams included) and picks its own
# -wordNgrams on the validation part
FT_NGRAMS ?= 1 2
FT_DIM ?= 100
FT_BUCKET ?= 2000000
export FT_LRS FT_EPOCHS FT_NGRAMS FT_DIM FT_BUCKET


# FOLDS (numbers) come from the corpus file; fold directories f01, f02, ...
FOLD_DIRS ?= $(foreach f,$(FOLDS),$(R)/f$(shell printf %02d $(f)))
ROWS ?= none relu1 relu3 tanh3 fasttext liblinear svr
EVALS := $(foreach d,$(FOLD_DIRS),$(foreach r,$(ROWS),$(d)/$(r).eval))
# `make evals ONLY=f03`: the rows of one fold (the top Makefile goes fold by
# fold, so that finished folds come early and in order)
ONLY ?=
ONLY_EVALS := $(foreach r,$(ROWS),$(R)/$(ONLY)/$(r).eval)

.PHONY: all table evals demo folds tune tuned-settings FORCE
.DELETE_ON_ERROR:
.SECONDEXPANSION:
.SECONDARY:
all: $(PUBLISH)/table.md
evals: $(if $(ONLY),$(ONLY_EVALS),$(EVALS))
folds:
	@echo $(notdir $(FOLD_DIRS))
table: $(R)/table.md
demo: $(R)/table.md
	@printf '\n%s, %s: test results (RMSE: lower is better)\n\n' "$(CORPUS)" "$(notdir $(FOLD_DIRS))"
	@cat $(R)/table.md

# ---- options of each step, as files that change only when the options do
define opts_rule
$(R)/opts/$(1): FORCE
	@mkdir -p $$(@D); printf '%s\n' '$(2)' | cmp -s - $$@ || printf '%s\n' '$(2)' >$$@
endef
$(eval $(call opts_rule,vocab,-k $(VOCAB_K)))
$(eval $(call opts_rule,none,$(NONE_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,pre1,$(PRE1_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,preup,$(PREUP_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,tanh1,$(TANH1_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,tanhup,$(TANHUP_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,ft1,$(FT1_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,ft3,$(FT3_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,ftt,$(FTT_OPTS) -s $(SEED) -t $(THREADS)))
$(eval $(call opts_rule,tok,$(TOK_OPTS)))
$(eval $(call opts_rule,fasttext,lr $(FT_LRS) ngrams $(FT_NGRAMS) epochs $(FT_EPOCHS) seed $(SEED)$(if $(filter-out 100/2000000,$(FT_DIM)/$(FT_BUCKET)), dim $(FT_DIM) bucket $(FT_BUCKET))))
opt = $$(cat $(R)/opts/$(1))

# ---- per fold: vocabulary and bags of words (labels kept, '?' for unlabeled)
$(R)/%/vocab: $(R)/%/train.tok $(R)/opts/vocab
	senti-vocab -q $(call opt,vocab) $< >$@.tmp && mv $@.tmp $@
$(R)/%.svm: $(R)/%.tok $$(@D)/vocab
	senti-bow -q -v $(@D)/vocab $< >$@.tmp && mv $@.tmp $@
# VALID_GROUPS (a corpus's makefile may set it): the group of each train.tok
# line, so that the validation part holds whole groups (IMDB: movies)
$(R)/%/fit.tok $(R)/%/valid.tok: $(R)/%/train.tok $(VALID_GROUPS)
	senti-split -q --ratio 0.9 -s 2 $(if $(VALID_GROUPS),-g $(VALID_GROUPS)) --train $(@D)/fit.tok --test $(@D)/valid.tok $<

# ---- no hidden layer
$(R)/%/none.model: $(R)/%/fit.svm $(R)/%/valid.svm $(R)/opts/none
	$(P)/timed $@.time senti-train -q -o $@ $(call opt,none) --valid $(@D)/valid.svm --log $(@D)/none.log $<

# ---- rectifier layers: layer 1 from pre.svm, upper layers from the codes below
$(R)/%/r1.layer: $(R)/%/pre.svm $(R)/opts/pre1
	$(P)/timed $@.time senti-pretrain -q -o $@ $(call opt,pre1) $<
$(R)/%/r2.layer: $(R)/%/r1.layer $(R)/%/pre.svm $(R)/opts/preup
	$(P)/timed $@.time bash -o pipefail -c 'senti-encode -m $< $(@D)/pre.svm | senti-pretrain -q -o $@ $(call opt,preup)'
$(R)/%/r3.layer: $(R)/%/r2.layer $(R)/%/r1.layer $(R)/%/pre.svm $(R)/opts/preup
	$(P)/timed $@.time bash -o pipefail -c 'senti-encode -m $(@D)/r1.layer $(@D)/pre.svm | senti-encode -m $< | senti-pretrain -q -o $@ $(call opt,preup)'
$(R)/%/relu1.model: $(R)/%/r1.layer $(R)/%/fit.svm $(R)/%/valid.svm $(R)/opts/ft1
	$(P)/timed $@.time senti-train -q -o $@ --init $< $(call opt,ft1) --valid $(@D)/valid.svm --log $(@D)/relu1.log $(@D)/fit.svm
$(R)/%/relu3.model: $(R)/%/r1.layer $(R)/%/r2.layer $(R)/%/r3.layer $(R)/%/fit.svm $(R)/%/valid.svm $(R)/opts/ft3
	$(P)/timed $@.time senti-train -q -o $@ --init $<,$(@D)/r2.layer,$(@D)/r3.layer $(call opt,ft3) --valid $(@D)/valid.svm --log $(@D)/relu3.log $(@D)/fit.svm

# ---- tanh layers
$(R)/%/t1.layer: $(R)/%/pre.svm $(R)/opts/tanh1
	$(P)/timed $@.time senti-pretrain -q -o $@ $(call opt,tanh1) $<
$(R)/%/t2.layer: $(R)/%/t1.layer $(R)/%/pre.svm $(R)/opts/tanhup
	$(P)/timed $@.time bash -o pipefail -c 'senti-encode -m $< $(@D)/pre.svm | senti-pretrain -q -o $@ $(call opt,tanhup)'
$(R)/%/t3.layer: $(R)/%/t2.layer $(R)/%/t1.layer $(R)/%/pre.svm $(R)/opts/tanhup
	$(P)/timed $@.time bash -o pipefail -c 'senti-encode -m $(@D)/t1.layer $(@D)/pre.svm | senti-encode -m $< | senti-pretrain -q -o $@ $(call opt,tanhup)'
$(R)/%/tanh3.model: $(R)/%/t1.layer $(R)/%/t2.layer $(R)/%/t3.layer $(R)/%/fit.svm $(R)/%/valid.svm $(R)/opts/ftt
	$(P)/timed $@.time senti-train -q -o $@ --init $<,$(@D)/t2.layer,$(@D)/t3.layer $(call opt,ftt) --valid $(@D)/valid.svm --log $(@D)/tanh3.log $(@D)/fit.svm

# ---- predictions of the senti rows, with the hidden-layer sparsity on test
$(R)/%.pred: $(R)/%.model $$(@D)/test.svm
	$(P)/timed $@.time senti-predict -q -m $< --sparsity $(basename $@).sparsity $(@D)/test.svm >$@.tmp
	mv $@.tmp $@

# ---- peers
$(R)/%/fasttext.pred: $(R)/%/fit.tok $(R)/%/valid.tok $(R)/%/test.tok $(R)/opts/fasttext
	$(P)/timed $@.time $(P)/fasttext-row $(@D)/fit.tok $(@D)/valid.tok $(@D)/test.tok $@ 2>$(@D)/fasttext.err
$(R)/%/liblinear.pred: $(R)/%/fit.svm $(R)/%/valid.svm $(R)/%/test.svm
	$(P)/timed $@.time $(P)/liblinear-row 0 $^ $@ 2>$(@D)/liblinear.err
$(R)/%/svr.pred: $(R)/%/fit.svm $(R)/%/valid.svm $(R)/%/test.svm
	$(P)/timed $@.time $(P)/liblinear-row 11 $^ $@ 2>$(@D)/svr.err

$(R)/%.eval: $(R)/%.pred
	senti-eval -q -f tsv -b 1000 -s $(SEED) $< >$@.tmp && mv $@.tmp $@

# ---- settings for a corpus (pipelines/tune): chosen on the validation part
# of the first fold's training data within BUDGET seconds of trials
BUDGET ?= 1800
TUNE_FOLD = $(firstword $(FOLD_DIRS))
TUNED = $(R)/tune/settings.mk
$(R)/tune/settings.mk: $(TUNE_FOLD)/fit.svm $(TUNE_FOLD)/valid.svm $(TUNE_FOLD)/pre.svm $(P)/tune
	$(P)/tune $(TUNE_FOLD) $(@D) $(BUDGET) $(THREADS) $(SEED)
tune: $(TUNED)
	@cat $(TUNED)
tuned-settings:
	@echo $(TUNED)

# ---- the table, the plots, and their published copies
$(R)/table.tsv $(R)/table.md &: $(EVALS) $(P)/table2-summary
	$(P)/table2-summary $(R) "$(CORPUS)" "$(ROWS)" $(notdir $(FOLD_DIRS))
$(R)/rmse.svg $(R)/curves.svg &: $(R)/table.tsv $(P)/table2-plot
	$(P)/table2-plot $(R) $(notdir $(firstword $(FOLD_DIRS)))
$(PUBLISH)/table.md: $(R)/table.md $(R)/rmse.svg $(R)/curves.svg
	mkdir -p $(PUBLISH)
	cp $(R)/table.md $(R)/table.tsv $(R)/folds.tsv $(R)/compare.tsv $(R)/rmse.svg $(R)/rmse.png $(R)/curves.svg $(R)/curves.png $(PUBLISH)/
	@cat $(R)/table.md

# pipelines/table2/kfold.mk - K-fold cross-validation (KFOLDS, default 10)
# over one file of `rating<TAB>text` lines, KFOLD_TSV, split by senti-split
# with the seed SEED; pretraining reads the training folds' text, plus the
# lines of PRE_TSV when given (more reviews of the same kind, labels unused:
# the semi-supervised setting of the paper).
# Included by the corpus files that cross-validate (blitzer.mk, tsv.mk).
KFOLDS ?= 10
FOLDS ?= $(shell seq 1 $(KFOLDS))

$(R)/all.tok: $(KFOLD_TSV) $(R)/opts/tok
	@mkdir -p $(@D)
	senti-tokenize $(call opt,tok) $< >$@.tmp && mv $@.tmp $@
$(R)/f%/train.tok $(R)/f%/test.tok: $(R)/all.tok
	@mkdir -p $(@D)
	senti-split -q -k $(KFOLDS) -f $(patsubst 0%,%,$*) -s $(SEED) --train $(@D)/train.tok --test $(@D)/test.tok $<
PRE_TSV ?=
ifeq ($(PRE_TSV),)
$(R)/f%/pre.tok: $(R)/f%/train.tok
	cp $< $@
else
$(R)/extra.tok: $(abspath $(PRE_TSV)) $(R)/opts/tok
	@mkdir -p $(@D)
	senti-tokenize $(call opt,tok) $< >$@.tmp && mv $@.tmp $@
$(R)/f%/pre.tok: $(R)/f%/train.tok $(R)/extra.tok
	cat $^ >$@.tmp && mv $@.tmp $@
endif

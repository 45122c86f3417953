/* cf.h - collaborative filtering on rating matrices held as sparse lines
 * (docs/cf.md): one line per item (or per user), value = rating.
 *
 * The normalisation that the autoencoders are trained on and that
 * senti-complete undoes: a rating r on the scale [lo, hi] becomes
 *     x = (r - mid) / half - m_i,   mid = (lo + hi) / 2, half = (hi - lo) / 2
 * with m_i the mean of line i's normalised ratings (0 without centring or
 * for a line without ratings), and a prediction x back
 *     r = clip((x + m_i) * half + mid, lo, hi).
 * senti-center and senti-complete compute m_i with the same function from
 * the same training lines, so the transform is undone exactly.
 *
 * cf_read is train_read (lib/train) with the scale's check: it belongs
 * to the programs' layer and dies with file:line on bad input; the rest
 * never exits.
 */
#ifndef SENTI_CF_H
#define SENTI_CF_H

#include <stddef.h>

#include "sparse.h"

typedef struct cf_scale {
    double lo, hi;
} cf_scale;

/* "MIN,MAX" with MIN < MAX, both finite -> *s; 0, or -1 when bad. */
int cf_scale_parse(const char *arg, cf_scale *s);

/* The normalised value of rating r (before the line mean is removed). */
double cf_norm(const cf_scale *s, double r);
/* The rating of normalised value x (line mean added back), clipped. */
double cf_denorm(const cf_scale *s, double x);

/* Normalises every value of m in place (float of (r - mid)/half - mean)
 * and, when mean is not NULL, stores each line's mean of the normalised
 * ratings in mean[0..rows) (0 for an empty line) and removes it (center
 * set) or only reports it (center 0: the values keep the mean and mean[]
 * is all 0).  Returns the number of ratings outside [lo, hi] (left as they
 * are normalised, so callers refuse them first). */
size_t cf_normalize(sparse_csr *m, const cf_scale *s, int center, double *mean);

/* Reads the sparse lines of paths[0..n) (stdin for "-") as one stream
 * into a matrix (comments kept when keep_comments), dying with
 * "file:line: rating X outside the scale [lo, hi]" when s is not NULL and
 * a value lies outside it, or with the reader's message.  The matrix's dim
 * is the header's dim= when larger than its largest column + 1. */
sparse_csr *cf_read(const char *const *paths, int n, const cf_scale *s, int keep_comments);

#endif

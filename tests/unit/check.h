/* check.h - the unit-test harness: CHECK counts, a final line reports
 * "N passed, M failed", and the test binary exits 1 if anything failed.
 *
 *   CHECK(cond, "what %d", x);       one assertion
 *   CHECK_NEAR(a, b, tol, "what");   |a-b| <= tol * max(1, |a|, |b|)
 *   return check_report();           at the end of main()
 */
#ifndef SENTI_CHECK_H
#define SENTI_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_pass_, check_fail_;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            check_pass_++;                                                  \
        } else {                                                            \
            check_fail_++;                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK_NEAR(a, b, tol, ...)                                          \
    do {                                                                    \
        double ca_ = (double)(a), cb_ = (double)(b);                        \
        double cs_ = fmax(1.0, fmax(fabs(ca_), fabs(cb_)));                 \
        int cok_ = fabs(ca_ - cb_) <= (tol) * cs_;                          \
        if (!cok_) fprintf(stderr, "  %.9g vs %.9g (tol %g)\n", ca_, cb_,   \
                           (double)(tol));                                  \
        CHECK(cok_, __VA_ARGS__);                                           \
    } while (0)

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_pass_, check_fail_);
    return check_fail_ ? 1 : 0;
}

#endif

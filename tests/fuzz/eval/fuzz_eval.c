/* fuzz_eval.c - libFuzzer harness of senti-eval's reader and report
 * (tools/eval.c), run as the program (tests/fuzz/main.h).  The first byte
 * picks the format (text, tsv), a bootstrap and --against the same file;
 * the rest is the predictions file.  An accepted file must give a report
 * without inf or nan where a figure is printed (polarity accuracy may be
 * nan when no gold rating is off the threshold: it prints "nan"); a
 * refused one, one line on stderr. */
#include "../main.h"

#define main eval_main
#include "../../../tools/eval.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *argv[12];
    int argc = 0;
    argv[argc++] = "senti-eval";
    if (data[0] & 1) argv[argc++] = "--format=tsv";
    if (data[0] & 2) argv[argc++] = "-b20";
    if (data[0] & 4) {
        argv[argc++] = "-a";
        argv[argc++] = "@";
    }
    argv[argc++] = "@";
    argv[argc] = NULL;
    if (fz_run(eval_main, argc, argv, data + 1, size - 1) == 0) {
        /* every line but polarity accuracy: finite figures */
        const char *p = fz_out, *end = fz_out + fz_outlen;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) abort();
            int pol = strncmp(p, "polarity", 8) == 0;
            size_t inl = strlen(fz_in);
            for (const char *q = p; !pol && q + 3 <= nl; q++) {
                if ((size_t)(nl - q) >= inl && strncmp(q, fz_in, inl) == 0) { /* the file's name */
                    q += inl - 1;
                    continue;
                }
                if (strncmp(q, "inf", 3) == 0 || strncmp(q, "nan", 3) == 0) abort();
            }
            p = nl + 1;
        }
    }
    return 0;
}

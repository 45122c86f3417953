/* fuzz_csv.c - libFuzzer harness of senti-from-csv (corpora/from-csv.c),
 * run as the program (tests/fuzz/main.h).  The first byte picks the
 * separator (auto, comma, tab, ';'), quoting, the text and rating columns; the
 * rest is the file.  An accepted file must give canonical rated lines; a
 * refused one, one line on stderr. */
#include "../main.h"

#define main from_csv_main
#include "../../../corpora/from-csv.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char *seps[] = {"auto", ",", "tab", ";"};
    char *argv[12];
    int argc = 0;
    argv[argc++] = "senti-from-csv";
    argv[argc++] = "-t";
    static const char *texts[] = {"body", "text", "body,title", "review"};
    argv[argc++] = (char *)texts[(data[0] >> 4) & 3];
    argv[argc++] = "-r";
    argv[argc++] = (data[0] & 64) ? "rating" : "stars";
    argv[argc++] = "-s";
    argv[argc++] = (char *)seps[data[0] & 3];
    if (data[0] & 4) argv[argc++] = "--no-quotes";
    argv[argc++] = "-q";
    argv[argc++] = "@";
    argv[argc] = NULL;
    /* the program's options, afresh */
    sep_opt = "auto";
    rating_col = NULL;
    text_cols = NULL;
    n_text_cols = 0;
    quotes = 1;
    if (fz_run(from_csv_main, argc, argv, data + 1, size - 1) == 0) fz_check_rated_lines();
    return 0;
}

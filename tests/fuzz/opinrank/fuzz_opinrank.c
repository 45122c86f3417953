/* fuzz_opinrank.c - libFuzzer harness of senti-from-opinrank
 * (corpora/from-opinrank.c), run as the program (tests/fuzz/main.h).  The
 * first byte picks -f; the rest is the file.  An accepted file must give
 * canonical rated lines; a refused one, one line on stderr. */
#include "../main.h"

#define main from_opinrank_main
#include "../../../corpora/from-opinrank.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *argv[6];
    int argc = 0;
    argv[argc++] = "senti-from-opinrank";
    if (data[0] & 1) argv[argc++] = "-f";
    argv[argc++] = "-q";
    argv[argc++] = "@";
    argv[argc] = NULL;
    add_favorite = 0;
    if (fz_run(from_opinrank_main, argc, argv, data + 1, size - 1) == 0) fz_check_rated_lines();
    return 0;
}

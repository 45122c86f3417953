/* fuzz_blitzer.c - libFuzzer harness of senti-from-blitzer
 * (corpora/from-blitzer.c), run as the program (tests/fuzz/main.h).  The
 * first byte picks --no-title; the rest is the .review file.  An accepted
 * file must give canonical rated lines; a refused one, one line on
 * stderr. */
#include "../main.h"

#define main from_blitzer_main
#include "../../../corpora/from-blitzer.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *argv[6];
    int argc = 0;
    argv[argc++] = "senti-from-blitzer";
    if (data[0] & 1) argv[argc++] = "-T";
    argv[argc++] = "-q";
    argv[argc++] = "@";
    argv[argc] = NULL;
    use_title = 1;
    if (fz_run(from_blitzer_main, argc, argv, data + 1, size - 1) == 0) fz_check_rated_lines();
    return 0;
}

/* test_cli.c - lib/cli: the ETA text of progress lines, the temporary
 * names of atomic outputs (within NAME_MAX), several outputs committed
 * together, and the registry of the run's files in both orders (an output
 * registered before or after the input it names).  Cases that must end
 * the process run in a child (fork) whose exit status and stderr are
 * checked. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"

static char dir[64];
static char errpath[128];

/* naive reference of the duration format: rounded seconds as h/m/s */
static void ref_duration(char *b, size_t n, double s)
{
    long long t = (long long)(s + 0.5);
    long long h = t / 3600, m = (t - 3600 * h) / 60, sec = t - 3600 * h - 60 * m;
    if (h) snprintf(b, n, "%lldh%02lldm%02llds", h, m, sec);
    else if (m) snprintf(b, n, "%lldm%02llds", m, sec);
    else snprintf(b, n, "%llds", sec);
}

static void test_eta(void)
{
    CHECK(strcmp(cli_eta(65, 65.0 / 255), "1m05s, ETA 3m10s") == 0, "1m05s, ETA 3m10s: %s", cli_eta(65, 65.0 / 255));
    CHECK(strcmp(cli_eta(0, 0), "0s, ETA ?") == 0, "nothing done: %s", cli_eta(0, 0));
    CHECK(strcmp(cli_eta(12, 0), "12s, ETA ?") == 0, "fraction 0: %s", cli_eta(12, 0));
    CHECK(strcmp(cli_eta(12, 1), "12s, ETA 0s") == 0, "done: %s", cli_eta(12, 1));
    CHECK(strcmp(cli_eta(12, 1.5), "12s, ETA 0s") == 0, "beyond done: %s", cli_eta(12, 1.5));
    CHECK(strcmp(cli_eta(3, 0.5), "3s, ETA 3s") == 0, "half: %s", cli_eta(3, 0.5));
    CHECK(strcmp(cli_eta(59.4, 0.5), "59s, ETA 59s") == 0, "rounding down: %s", cli_eta(59.4, 0.5));
    CHECK(strcmp(cli_eta(59.6, 0.5), "1m00s, ETA 1m00s") == 0, "rounding up: %s", cli_eta(59.6, 0.5));
    CHECK(strcmp(cli_eta(3600, 0.25), "1h00m00s, ETA 3h00m00s") == 0, "hours: %s", cli_eta(3600, 0.25));
    CHECK(strcmp(cli_eta(7390, 0.5), "2h03m10s, ETA 2h03m10s") == 0, "2h03m10s: %s", cli_eta(7390, 0.5));
    CHECK(strcmp(cli_eta(NAN, 0.5), "?, ETA ?") == 0, "NaN elapsed: %s", cli_eta(NAN, 0.5));
    CHECK(strcmp(cli_eta(10, NAN), "10s, ETA ?") == 0, "NaN fraction: %s", cli_eta(10, NAN));
    CHECK(strcmp(cli_eta(-1, 0.5), "?, ETA ?") == 0, "negative elapsed: %s", cli_eta(-1, 0.5));
    /* against the reference on a sweep */
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        double e = i * 7.31, f = (i % 97 + 1) / 100.0;
        char a[64], b[64], want[160];
        ref_duration(a, sizeof a, e);
        ref_duration(b, sizeof b, f >= 1 ? 0 : e * (1 - f) / f);
        snprintf(want, sizeof want, "%s, ETA %s", a, b);
        if (strcmp(cli_eta(e, f), want) != 0) {
            if (!bad) fprintf(stderr, "  %g %g: %s, wanted %s\n", e, f, cli_eta(e, f), want);
            bad++;
        }
    }
    CHECK(bad == 0, "cli_eta = the naive reference on 2000 cases (%d differ)", bad);
}

/* Runs fn in a child; returns its exit status (or 128 + signal), stderr in
 * errpath. */
static int in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        if (!freopen(errpath, "w", stderr)) _exit(99);
        fn();
        fflush(NULL);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int err_has(const char *s)
{
    FILE *f = fopen(errpath, "r");
    if (!f) return 0;
    char line[512];
    int lines = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (strstr(line, s)) found = 1;
    }
    fclose(f);
    if (!found || lines != 1) fprintf(stderr, "  stderr (%d lines) lacks '%s'\n", lines, s);
    return found && lines == 1;
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int count_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "find %s -name '*.tmp*' | grep -c . >/dev/null", dir);
    return system(cmd) == 0;
}

static void write_file(const char *p, const char *s)
{
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(s, f);
        fclose(f);
    }
}

static char *read_all(const char *p)
{
    static char buf[256];
    buf[0] = 0;
    FILE *f = fopen(p, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* children */
static void in_then_out(void)
{
    FILE *f = xfopen("in.txt", "r");
    (void)f;
    cli_out *o = cli_out_open("in.txt");
    fputs("overwritten\n", o->f);
    cli_out_commit(o);
}
static void out_then_in(void)
{
    cli_out *o = cli_out_open("in.txt");
    fputs("overwritten\n", o->f);
    cli_input_add("in.txt");
    cli_out_commit(o);
}
static void link_out_then_in(void)
{
    cli_out *o = cli_out_open("in.link");
    fputs("overwritten\n", o->f);
    cli_lines l;
    cli_lines_open(&l, "in.txt");
    cli_out_commit(o);
}
static void two_new_outputs(void)
{
    cli_out_check("new.txt");
    cli_out_check("./new.txt");
}
static void reopen_checked(void)
{
    cli_out_check("ck.txt");
    for (int i = 0; i < 3; i++) {
        cli_out *o = cli_out_open("ck.txt");
        fprintf(o->f, "epoch %d\n", i + 1);
        cli_out_commit(o);
    }
}
static void checked_then_other_name(void)
{
    cli_out_check("ck2.txt");
    symlink("ck2.txt", "ck2.link");
    cli_out *o = cli_out_open("ck2.link");
    fputs("x\n", o->f);
    cli_out_commit(o);
}
static void open_twice(void)
{
    cli_out *a = cli_out_open("twice.txt");
    cli_out *b = cli_out_open("twice.txt");
    (void)a;
    (void)b;
}
static void stdin_twice(void)
{
    cli_input_add("-");
    xfopen("-", "r");
}
static void commit_two_second_fails(void)
{
    cli_out *o[2] = {cli_out_open("a.txt"), cli_out_open("/dev/full")};
    fputs("new a\n", o[0]->f);
    fputs("to full\n", o[1]->f);
    cli_out_commit_all(o, 2);
}
static void commit_two(void)
{
    cli_out *o[3] = {cli_out_open("a.txt"), NULL, cli_out_open("b.txt")};
    fputs("new a\n", o[0]->f);
    fputs("new b\n", o[2]->f);
    cli_out_commit_all(o, 3);
}
/* An output registered and removed, then a new output that got its inode
 * number (ext4 hands freed numbers out again): not the same file.  Exits
 * 3 when no new file got the number in 200 tries. */
static void removed_then_reused_inode(void)
{
    cli_out *o = cli_out_open("old.txt");
    fputs("old\n", o->f);
    cli_out_commit(o);
    struct stat st;
    if (stat("old.txt", &st) != 0) _exit(4);
    unlink("old.txt");
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "reuse%d.txt", i);
        write_file(name, "");
        struct stat ns;
        if (stat(name, &ns) == 0 && ns.st_ino == st.st_ino) {
            o = cli_out_open(name);
            fputs("new\n", o->f);
            cli_out_commit(o);
            return;
        }
        unlink(name);
    }
    _exit(3);
}
static char long_name[300];
static void long_output(void)
{
    cli_out *o = cli_out_open(long_name);
    fputs("long\n", o->f);
    cli_out_commit(o);
}

static void test_registry(void)
{
    write_file("in.txt", "input\n");
    CHECK(in_child(in_then_out) == 1 && err_has("in.txt: both an input and an output"), "input, then the same file as output");
    CHECK(strcmp(read_all("in.txt"), "input\n") == 0, "  ... the input is unchanged");
    CHECK(in_child(out_then_in) == 1 && err_has("in.txt: both an input and an output"), "output, then the same file as input");
    CHECK(strcmp(read_all("in.txt"), "input\n") == 0, "  ... the input is unchanged");
    symlink("in.txt", "in.link");
    CHECK(in_child(link_out_then_in) == 1 && err_has("in.txt: the same file as the output in.link"),
          "output through a link, then its target as input");
    CHECK(strcmp(read_all("in.txt"), "input\n") == 0, "  ... the input is unchanged");
    CHECK(exists("in.link") && !exists("in.txt.tmp"), "  ... the link is still there");
    CHECK(in_child(two_new_outputs) == 1 && err_has("./new.txt: the same file as the output new.txt"),
          "two names of one new file as outputs");
    CHECK(!exists("new.txt"), "  ... nothing created");
    CHECK(in_child(reopen_checked) == 0, "an output checked, then opened and committed 3 times (a checkpoint)");
    CHECK(strcmp(read_all("ck.txt"), "epoch 3\n") == 0, "  ... holds the last commit");
    CHECK(in_child(checked_then_other_name) == 1 && err_has("ck2.link: the same file as the output ck2.txt"),
          "an output checked, then opened by another name");
    CHECK(!exists("ck2.txt"), "  ... nothing created");
    CHECK(in_child(open_twice) == 1 && err_has("twice.txt: named for two outputs"), "one output open twice at once");
    CHECK(!exists("twice.txt"), "  ... nothing created");
    CHECK(in_child(stdin_twice) == 1 && err_has("standard input ('-') named for two inputs"), "stdin named twice");
    int r = in_child(removed_then_reused_inode);
    if (r == 3) printf("note: no inode number reused on this filesystem; the reuse case did not run\n");
    CHECK(r == 0 || r == 3, "an output removed, a new output with its inode number: accepted (exit %d)", r);
    CHECK(!count_tmp(), "no temporary file left by the registry cases");
}

static void test_commit_all(void)
{
    write_file("a.txt", "old a\n");
    CHECK(in_child(commit_two_second_fails) == 1 && err_has("/dev/full: write error: No space left on device"),
          "two outputs, the second fails at commit");
    CHECK(strcmp(read_all("a.txt"), "old a\n") == 0, "  ... the first is left as it was");
    CHECK(!count_tmp(), "  ... no temporary file left");
    CHECK(in_child(commit_two) == 0, "two outputs (and a NULL) committed together");
    CHECK(strcmp(read_all("a.txt"), "new a\n") == 0 && strcmp(read_all("b.txt"), "new b\n") == 0, "  ... both new");
    /* a target name of NAME_MAX bytes: its temporary name is cut to fit */
    long nm = pathconf(".", _PC_NAME_MAX);
    if (nm <= 0 || nm > 255) nm = 255;
    memset(long_name, 'x', (size_t)nm);
    long_name[nm] = 0;
    CHECK(in_child(long_output) == 0, "an output name of NAME_MAX (%ld) bytes", nm);
    CHECK(strcmp(read_all(long_name), "long\n") == 0, "  ... is written");
    long_name[nm] = 'x';
    long_name[nm + 1] = 0;
    CHECK(in_child(long_output) == 1 && err_has("File name too long"), "one byte more is refused");
    CHECK(!count_tmp(), "  ... no temporary file left");
}

int main(void)
{
    cli_init("test_cli");
    snprintf(dir, sizeof dir, "/tmp/test_cli.XXXXXX");
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("test_cli: temporary directory");
        return 1;
    }
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    test_eta();
    test_registry();
    test_commit_all();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (chdir("/") != 0 || system(cmd) != 0) fprintf(stderr, "test_cli: could not remove %s\n", dir);
    return check_report();
}

/* from-imdb.c - senti-from-imdb: converts the Large Movie Review Dataset
 * (Maas et al. 2011, aclImdb/{train,test}/{pos,neg}, train/unsup) to the
 * canonical rating<TAB>text lines.
 *
 * Each review is one file named <id>_<rating>.txt; the rating (1-10) comes
 * from the name, and rating 0 (the unsup part) means unknown, written "?".
 * HTML line breaks (<br />) become spaces unless --keep-html.  Directories
 * are walked recursively in a fixed order: first the review files of a
 * directory by numeric id, then its subdirectories in byte order of their
 * names.  Other files in a directory (urls_*.txt, *.feat, README) are not
 * reviews and are passed over with a note.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "convert.h"

static int keep_html = 0;

static char *buf;      /* contents of the current file */
static size_t buf_cap;
static conv_text text;
static long n_reviews, n_ignored, n_dir_links;

static void usage(void)
{
    printf("Usage: %s [OPTION]... PATH...\n"
           "Convert Large Movie Review Dataset files (Maas et al. 2011) to\n"
           "'rating<TAB>text' lines on standard output.  PATH is a review file named\n"
           "<id>_<rating>.txt or a directory, walked recursively: review files by\n"
           "numeric id, then subdirectories by name.  Rating 0 in a name (the unsup\n"
           "part) gives the label '?'.  Every run of blanks becomes one space.\n"
           "Symbolic links to files are read; links to directories inside PATH are\n"
           "passed over (with a note), as find(1) does.\n"
           "\n"
           "  -k, --keep-html  keep <br /> line breaks instead of turning them\n"
           "                   into spaces [%s]\n"
           "  -q, --quiet      no notes on standard error\n"
           "  -h, --help       show this help and exit\n"
           "  -V, --version    show the version and exit\n"
           "\n"
           "Exit status: 0 on success, 1 on unreadable or malformed input,\n"
           "2 on misuse.\n",
           cli_prog, keep_html ? "keep" : "replace");
}

/* Parses "<id>_<rating>.txt"; returns 1 and the numbers, else 0. */
static int review_name(const char *name, unsigned long long *id, unsigned long *rating,
                       size_t *rating_off, size_t *rating_len)
{
    const char *p = name;
    unsigned long long v = 0;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') {
        if (v > 100000000000000000ULL) return 0;
        v = v * 10 + (unsigned)(*p++ - '0');
    }
    if (*p++ != '_') return 0;
    const char *r0 = p;
    unsigned long r = 0;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') {
        if (r > 100000000UL) return 0;
        r = r * 10 + (unsigned)(*p++ - '0');
    }
    if (strcmp(p, ".txt") != 0) return 0;
    *id = v;
    *rating = r;
    *rating_off = (size_t)(r0 - name);
    *rating_len = (size_t)(p - r0);
    return 1;
}

static long line_of(const char *s, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off; i++) line += s[i] == '\n';
    return line;
}

/* Converts one review file; name is its last path component. */
static void convert_file(const char *path, const char *name)
{
    unsigned long long id;
    unsigned long rating;
    size_t roff, rlen;
    if (!review_name(name, &id, &rating, &roff, &rlen))
        die("%s: file name is not <id>_<rating>.txt", path);
    char label[CONV_RATING_MAX] = "?";
    if (rating != 0 && conv_rating(name + roff, rlen, label, sizeof label) != 0)
        die("%s: bad rating in file name", path);

    int fd = open(path, O_RDONLY);
    if (fd < 0) die("%s: %s", path, strerror(errno));
    size_t n = 0;
    for (;;) {
        if (n + 4096 > buf_cap) {
            buf_cap = buf_cap ? 2 * buf_cap : 1 << 16;
            buf = xrealloc(buf, buf_cap);
        }
        ssize_t got = read(fd, buf + n, buf_cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            die("%s: %s", path, strerror(errno));
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    close(fd);

    const char *z = memchr(buf, '\0', n);
    if (z) die_at(path, line_of(buf, (size_t)(z - buf)), "NUL byte in review text");
    if (!keep_html) n = conv_strip_br(buf, n);
    conv_text_clear(&text);
    conv_text_add(&text, buf, n);
    conv_emit(label, &text);
    n_reviews++;
}

typedef struct entry {
    char *name;
    unsigned long long id;
    unsigned long rating;
    int is_dir;
} entry;

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->is_dir != b->is_dir) return a->is_dir - b->is_dir; /* files first */
    if (!a->is_dir) {
        if (a->id != b->id) return a->id < b->id ? -1 : 1;
        if (a->rating != b->rating) return a->rating < b->rating ? -1 : 1;
    }
    return strcmp(a->name, b->name);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    size_t o = a;
    if (a && dir[a - 1] != '/') p[o++] = '/';
    memcpy(p + o, name, b + 1);
    return p;
}

static void convert_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) die("%s: %s", path, strerror(errno));
    entry *e = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.') { /* ".", "..", hidden files */
            errno = 0;
            continue;
        }
        int is_dir;
        if (de->d_type == DT_DIR) {
            is_dir = 1;
        } else if (de->d_type == DT_REG) {
            is_dir = 0;
        } else { /* unknown or symlink: ask lstat() and stat() */
            char *full = join(path, nm);
            struct stat st;
            if (lstat(full, &st) != 0) die("%s: %s", full, strerror(errno));
            int link = S_ISLNK(st.st_mode);
            if (link && stat(full, &st) != 0) die("%s: %s", full, strerror(errno));
            is_dir = S_ISDIR(st.st_mode);
            free(full);
            if (link && is_dir) { /* as find(1): links to directories are not walked */
                n_dir_links++;
                errno = 0;
                continue;
            }
        }
        entry x = {NULL, 0, 0, is_dir};
        size_t ro, rl;
        if (!is_dir && !review_name(nm, &x.id, &x.rating, &ro, &rl)) {
            n_ignored++;
            errno = 0;
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            e = xreallocarray(e, cap, sizeof *e);
        }
        x.name = xstrdup(nm);
        e[n++] = x;
        errno = 0;
    }
    if (errno) die("%s: %s", path, strerror(errno));
    closedir(d);
    if (n) qsort(e, n, sizeof *e, cmp_entry); /* e is NULL for an empty directory */
    for (size_t i = 0; i < n; i++) {
        char *full = join(path, e[i].name);
        if (e[i].is_dir)
            convert_dir(full);
        else
            convert_file(full, e[i].name);
        free(full);
        free(e[i].name);
        if (!e[i].is_dir && n_reviews % 1000 == 0) cli_progress("%ld reviews", n_reviews);
    }
    free(e);
}

static void convert_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) die("%s: %s", path, strerror(errno));
    n_ignored = n_dir_links = 0;
    if (S_ISDIR(st.st_mode)) {
        convert_dir(path);
        if (n_ignored)
            note("%s: passed over %ld file%s not named <id>_<rating>.txt", path, n_ignored,
                 n_ignored == 1 ? "" : "s");
        if (n_dir_links)
            note("%s: passed over %ld symbolic link%s to a directory (name the directory to convert it)", path,
                 n_dir_links, n_dir_links == 1 ? "" : "s");
    } else {
        const char *slash = strrchr(path, '/');
        convert_file(path, slash ? slash + 1 : path);
    }
}

static void option(int c, const char *arg)
{
    (void)arg;
    if (c == 'k') keep_html = 1;
}

static void done(void)
{
    cli_progress_end();
    free(buf);
    conv_text_free(&text);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"keep-html", no_argument, NULL, 'k'}, {NULL, 0, NULL, 0}};
    static const conv_prog p = {"senti-from-imdb", "k", opts, usage, option, NULL, convert_path, done,
                                "a review file or a directory"};
    return conv_main(argc, argv, &p);
}

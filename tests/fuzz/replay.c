/*
 * Runs saved inputs through a fuzz target without libFuzzer: link it with
 * one fuzz-*.c and its code under test, then
 *
 *   replay FILE|DIR...
 *
 * feeds each file (each regular file of a directory, in name order) to
 * LLVMFuzzerTestOneInput once.  A broken invariant aborts; otherwise it
 * prints how many inputs ran and exits 0 (1 if a path cannot be read or no
 * input was found).  The top-level meson unit tests replay the checked-in
 * corpus this way, and a crash reproducer from scripts/test.sh --suite fuzz
 * can be replayed under gdb the same way.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "fuzz-common.h"

static int replay_file(const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    FILE *f = fopen(path, "rb");

    if (!f) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            FUZZ_CHECK(buf != NULL);
        }
        got = fread(buf + len, 1, cap - len, f);
        if (got == 0) {
            break;
        }
        len += got;
    }
    if (ferror(f)) {
        perror(path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir)
{
    struct dirent **names;
    struct stat st;
    int n, i, ran = 0, r;

    n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        perror(dir);
        return -1;
    }
    for (i = 0; i < n; i++) {
        char *path;

        if (names[i]->d_name[0] == '.') {
            free(names[i]);
            continue;
        }
        path = malloc(strlen(dir) + strlen(names[i]->d_name) + 2);
        FUZZ_CHECK(path != NULL);
        sprintf(path, "%s/%s", dir, names[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            r = replay_file(path);
            ran = (r < 0 || ran < 0) ? -1 : ran + r;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    struct stat st;
    int i, r, ran = 0;
    bool bad = false;

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            bad = true;
            continue;
        }
        r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
        if (r < 0) {
            bad = true;
        } else {
            ran += r;
        }
    }
    printf("%d input(s) replayed without a broken invariant\n", ran);
    return bad || ran == 0;
}

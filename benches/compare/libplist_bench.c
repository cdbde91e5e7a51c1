/* Times libplist's XML parser (plist_from_xml, building its node tree) on each file named
 * on the command line: prints "name<TAB>nanoseconds per parse", median of 7 samples. */
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void once(const char *xml, long len) {
    plist_t root = NULL;
    plist_from_xml(xml, (uint32_t)len, &root);
    if (!root) {
        fprintf(stderr, "libplist refused the input\n");
        exit(1);
    }
    plist_free(root);
}

int main(int argc, char **argv) {
    for (int a = 1; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        if (!f) { perror(argv[a]); return 1; }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *xml = malloc((size_t)len + 1);
        if (fread(xml, 1, (size_t)len, f) != (size_t)len) { perror("read"); return 1; }
        xml[len] = 0;
        fclose(f);
        long n = 1;
        for (;;) {
            double t = now_ns();
            for (long i = 0; i < n; i++) once(xml, len);
            if (now_ns() - t > 50e6) break;
            n *= 2;
        }
        long per = n * 6;
        double s[7];
        for (int k = 0; k < 7; k++) {
            double t = now_ns();
            for (long i = 0; i < per; i++) once(xml, len);
            s[k] = (now_ns() - t) / (double)per;
        }
        qsort(s, 7, sizeof s[0], cmp);
        const char *base = strrchr(argv[a], '/');
        printf("%s\t%.0f\n", base ? base + 1 : argv[a], s[3]);
        free(xml);
    }
    return 0;
}

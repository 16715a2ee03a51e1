/*
 * Long double arithmetic for INCRBYFLOAT and HINCRBYFLOAT.
 *
 * Redis computes these increments in C's `long double` (80-bit extended
 * precision on x86-64) and prints the result with "%.17Lf", trailing zeros
 * removed. Rust has no such type, and doing the sum in f64 gives visibly
 * different text (1.1 + 0 prints as 1.10000000000000009 instead of 1.1), so
 * this one operation is done here, with the platform's own strtold/printf.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LD_MAX_CHARS 5120

/* Parses `s` (not NUL terminated) like Redis's string2ld. Returns 1 on success. */
static int parse_long_double(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/*
 * Adds `incr` to `current` (absent when has_current is 0, meaning 0) and
 * writes the result in Redis's human-friendly form to `out`.
 * Returns 0 on success, 1 if `current` is not a float, 2 if `incr` is not a
 * float, 3 if the result is NaN or infinite, 4 if `out` is too small.
 */
int lodestone_long_double_incr(const char *current, size_t current_len, int has_current,
                               const char *incr, size_t incr_len,
                               char *out, size_t out_cap, size_t *out_len) {
    long double value = 0, inc;
    char buf[LD_MAX_CHARS];
    int l;

    if (has_current && !parse_long_double(current, current_len, &value)) return 1;
    if (!parse_long_double(incr, incr_len, &inc)) return 2;
    value += inc;
    if (isnan(value) || isinf(value)) return 3;

    l = snprintf(buf, sizeof(buf), "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > sizeof(buf)) return 4;
    if (strchr(buf, '.') != NULL) {
        while (l > 0 && buf[l - 1] == '0') l--;
        if (l > 0 && buf[l - 1] == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    if ((size_t)l > out_cap) return 4;
    memcpy(out, buf, (size_t)l);
    *out_len = (size_t)l;
    return 0;
}

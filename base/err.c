/* base/err.c - df_err_set and the DF_CHECK failure path. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int df_err_set(df_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void df__check_failed(const char *file, int line, const char *expr)
{
    fprintf(stderr, "duckfeed: bug: %s:%d: check failed: %s\n", file, line,
            expr);
    abort();
}

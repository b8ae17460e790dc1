/* base/err.h - one-line errors carried up the stack, and DF_CHECK for bugs. */
#ifndef DF_BASE_ERR_H
#define DF_BASE_ERR_H

typedef struct df_err {
    int code;      /* negative errno, as returned */
    char msg[256]; /* "what: why" on one line, shown to the user as is */
} df_err;

/* Fills err (which may be NULL) and returns code, so a failure is one line:
 *     return df_err_set(err, -errno, "%s: %s", path, strerror(errno)); */
int df_err_set(df_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A broken invariant or a failed pthread call is a bug, not an error:
 * print where and abort. */
#define DF_CHECK(expr)                                   \
    do {                                                 \
        if (!(expr))                                     \
            df__check_failed(__FILE__, __LINE__, #expr); \
    } while (0)
_Noreturn void df__check_failed(const char *file, int line, const char *expr);

#endif /* DF_BASE_ERR_H */

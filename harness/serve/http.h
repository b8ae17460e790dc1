/* harness/serve/http.h - (harness/serve private) one HTTP/1.1 connection's
 * input buffer and http_parser state, and responses formatted into one
 * buffer so each goes out in one write (#14).
 *
 * The request line and headers must fit in DF_HTTP_IN_BYTES (431 if not,
 * as uvicorn's h11 and nginx do for their limits); the parser's callbacks
 * copy nothing: the URL is a span of the input buffer. A pipelined next
 * request stays in the buffer and is parsed after the current one.
 */
#ifndef DF_HARNESS_SERVE_HTTP_H
#define DF_HARNESS_SERVE_HTTP_H

#include <http_parser.h>
#include <stddef.h>

#define DF_HTTP_IN_BYTES  8192 /* gunicorn reads 8192 at a time too */
#define DF_HTTP_OUT_BYTES 512  /* status line, headers and a short body */

typedef struct df_http_conn {
    http_parser parser;
    size_t len;     /* bytes in in[] */
    size_t parsed;  /* bytes of in[] the parser has seen */
    size_t url_off; /* the current request's URL: in[url_off..+url_len] */
    size_t url_len;
    int done; /* the current request is complete */
    int headers_done;
    char in[DF_HTTP_IN_BYTES];
} df_http_conn;

/* What df_http_conn_parse found. */
#define DF_HTTP_MORE    0 /* a request is incomplete: read more */
#define DF_HTTP_REQUEST 1 /* a request is complete (url_off, url_len) */

/* Readies c for a new connection. */
void df_http_conn_init(df_http_conn *c);

/* Where to read into (df_http_conn_space bytes, 0 when full). */
static inline char *df_http_conn_tail(df_http_conn *c)
{
    return c->in + c->len;
}
static inline size_t df_http_conn_space(const df_http_conn *c)
{
    return sizeof c->in - c->len;
}

/* Parses the bytes added since the last call (n more were read into the
 * tail; 0 to look at what is buffered). DF_HTTP_MORE, DF_HTTP_REQUEST, or
 * the HTTP status to answer before closing: 400 (malformed), 431 (the
 * request line and headers do not fit), 413 (a body that does not fit). */
int df_http_conn_parse(df_http_conn *c, size_t n);

/* After the response to a complete request: drops it from the buffer,
 * keeping any pipelined bytes, and readies the parser for the next one. */
void df_http_conn_next(df_http_conn *c);

/* Whether the complete request lets the connection stay open. */
int df_http_conn_keep_alive(const df_http_conn *c);

/* Writes a whole response into out (DF_HTTP_OUT_BYTES): status, reason,
 * Content-Type text/plain, Content-Length, Connection: keep-alive or
 * close, and body (cut to fit). Returns its length. No allocation. */
size_t df_http_format(char *out, int status, int keep_alive, const char *body);

#endif /* DF_HARNESS_SERVE_HTTP_H */

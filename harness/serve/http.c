/* harness/serve/http.c - http_parser glue for duckfeed serve (#14).
 *
 * http_parser is a push parser: it sees each byte once, and calls back with
 * spans of the buffer it was given. The input buffer is one array per
 * connection, so the URL's spans of successive reads are contiguous: the
 * callback only records where the URL starts and how long it is. On
 * message complete the parser is paused, so that a pipelined request is
 * left for after the response (HPE_PAUSED, which is not an error).
 */
#include "harness/serve/http.h"

#include <stdio.h>
#include <string.h>

static int on_url(http_parser *p, const char *at, size_t len)
{
    df_http_conn *c = p->data;
    if (c->url_len == 0)
        c->url_off = (size_t)(at - c->in);
    c->url_len += len;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    df_http_conn *c = p->data;
    c->headers_done = 1;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    df_http_conn *c = p->data;
    c->done = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_headers_complete = on_headers_complete,
    .on_message_complete = on_message_complete,
};

static void reset_request(df_http_conn *c)
{
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->url_off = c->url_len = 0;
    c->done = c->headers_done = 0;
}

void df_http_conn_init(df_http_conn *c)
{
    c->len = c->parsed = 0;
    reset_request(c);
}

int df_http_conn_parse(df_http_conn *c, size_t n)
{
    c->len += n;
    if (!c->done && c->parsed < c->len) {
        size_t got = http_parser_execute(&c->parser, &settings,
                                         c->in + c->parsed, c->len - c->parsed);
        c->parsed += got;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_HEADER_OVERFLOW)
            return 431;
        if (e != HPE_OK && e != HPE_PAUSED)
            return 400;
    }
    if (c->done)
        return DF_HTTP_REQUEST;
    if (c->len == sizeof c->in)
        return c->headers_done ? 413 : 431;
    return DF_HTTP_MORE;
}

void df_http_conn_next(df_http_conn *c)
{
    size_t rest = c->len - c->parsed;
    /* Only a pipelining client leaves bytes behind; wrk does not. */
    if (rest)
        memmove(c->in, c->in + c->parsed, rest);
    c->len = rest;
    c->parsed = 0;
    reset_request(c);
}

int df_http_conn_keep_alive(const df_http_conn *c)
{
    return http_should_keep_alive(&c->parser);
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

size_t df_http_format(char *out, int status, int keep_alive, const char *body)
{
    /* The head is at most ~150 bytes; the body is cut to what is left. */
    size_t blen = strlen(body);
    if (blen > DF_HTTP_OUT_BYTES - 200)
        blen = DF_HTTP_OUT_BYTES - 200;
    int n = snprintf(out, DF_HTTP_OUT_BYTES,
                     "HTTP/1.1 %d %s\r\n"
                     "Server: duckfeed\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, reason(status), blen,
                     keep_alive ? "keep-alive" : "close");
    memcpy(out + n, body, blen);
    return (size_t)n + blen;
}

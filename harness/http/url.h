/* harness/http/url.h - the --target URL: http, on loopback only.
 *
 * #14: duckfeed's load generator sends only to this machine. A load test
 * over a real network measures the network and other people's links as
 * much as the server, and pointed at someone else's host it is a flood:
 * both are refused here, with one line saying why.
 */
#ifndef DF_HARNESS_HTTP_URL_H
#define DF_HARNESS_HTTP_URL_H

#include <stdint.h>

#include "base/err.h"

#define DF_HTTP_URL_MAX_PATH 1024 /* path and query, bytes */

typedef struct df_http_url {
    uint32_t addr_be; /* IPv4 address, network order (127.x.x.x) */
    uint16_t port;    /* host order; 80 when the URL gives none */
    char host[64];    /* as written, for the Host header */
    char path[DF_HTTP_URL_MAX_PATH + 1]; /* "/" when the URL gives none */
} df_http_url;

/* Parses "http://HOST[:PORT][/PATH[?QUERY]]" where HOST is localhost or
 * an IPv4 address in 127.0.0.0/8. 0, or -EINVAL with err saying what is
 * wrong (not http, not loopback, a bad port...); *out is set only on
 * success. */
int df_http_url_parse(const char *url, df_http_url *out, df_err *err);

#endif /* DF_HARNESS_HTTP_URL_H */

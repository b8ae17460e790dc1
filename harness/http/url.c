/* harness/http/url.c - the --target URL, parsed and held to loopback. */
#include "harness/http/url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SCHEME "http://"

/* host (len bytes, not terminated) as a loopback IPv4 address in *addr_be;
 * 0, or -EINVAL when it is another host. */
static int loopback_addr(const char *host, size_t len, uint32_t *addr_be)
{
    char buf[64];
    struct in_addr a;

    if (len == 0 || len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (strcmp(buf, "localhost") == 0) {
        *addr_be = htonl(INADDR_LOOPBACK);
        return 0;
    }
    if (inet_pton(AF_INET, buf, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        return -EINVAL;
    *addr_be = a.s_addr;
    return 0;
}

/* ":PORT" at s, up to end; 0 and *port, or -EINVAL. */
static int parse_port(const char *s, const char *end, uint16_t *port)
{
    long v = 0;

    if (s == end)
        return -EINVAL;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9' || v > 65535)
            return -EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > 65535)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int df_http_url_parse(const char *url, df_http_url *out, df_err *err)
{
    df_http_url u = { .port = 80 };

    if (strncmp(url, SCHEME, strlen(SCHEME)) != 0)
        return df_err_set(err, -EINVAL,
                          "--target %s: not an http:// URL (https and "
                          "other schemes are not spoken)",
                          url);
    const char *host = url + strlen(SCHEME);
    const char *slash = strchr(host, '/');
    const char *hend = slash ? slash : host + strlen(host);
    const char *colon = memchr(host, ':', (size_t)(hend - host));
    const char *nend = colon ? colon : hend;

    if (memchr(host, '@', (size_t)(hend - host)) || strchr(url, '#'))
        return df_err_set(err, -EINVAL,
                          "--target %s: user info and fragments are not "
                          "supported",
                          url);
    if (loopback_addr(host, (size_t)(nend - host), &u.addr_be) < 0)
        return df_err_set(err, -EINVAL,
                          "--target %s: only localhost or 127.x.x.x (the "
                          "load must stay on this machine's loopback)",
                          url);
    if (colon && parse_port(colon + 1, hend, &u.port) < 0)
        return df_err_set(err, -EINVAL, "--target %s: bad port (1-65535)", url);
    if ((size_t)(hend - host) >= sizeof u.host)
        return df_err_set(err, -EINVAL, "--target %s: host too long", url);
    memcpy(u.host, host, (size_t)(hend - host));
    const char *path = slash ? slash : "/";
    if (strlen(path) > DF_HTTP_URL_MAX_PATH)
        return df_err_set(err, -EINVAL, "--target: path longer than %d bytes",
                          DF_HTTP_URL_MAX_PATH);
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return df_err_set(err, -EINVAL,
                              "--target %s: spaces or control characters in "
                              "the path",
                              url);
    strcpy(u.path, path);
    *out = u;
    return 0;
}

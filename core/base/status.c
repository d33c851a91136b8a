#include "status.h"

static const struct {
    int http;
    stoa_log_level level;
    const char *name;
} table[] = {
    [STOA_OK] = {200, STOA_LOG_DEBUG, "ok"},
    [STOA_NOTFOUND] = {404, STOA_LOG_DEBUG, "not found"},
    [STOA_GONE] = {410, STOA_LOG_INFO, "gone"},
    [STOA_DECLINED] = {404, STOA_LOG_DEBUG, "declined"},
    [STOA_UNAUTHORIZED] = {401, STOA_LOG_INFO, "unauthorized"},
    [STOA_DENIED] = {403, STOA_LOG_INFO, "denied"},
    [STOA_INVALID] = {400, STOA_LOG_INFO, "invalid"},
    [STOA_UNPROCESSABLE] = {422, STOA_LOG_INFO, "unprocessable"},
    [STOA_CONFLICT] = {409, STOA_LOG_WARN, "conflict"},
    [STOA_TOOLARGE] = {413, STOA_LOG_INFO, "too large"},
    [STOA_THROTTLED] = {429, STOA_LOG_WARN, "throttled"},
    [STOA_UNAVAILABLE] = {503, STOA_LOG_ERROR, "unavailable"},
    [STOA_NOSPACE] = {507, STOA_LOG_ERROR, "no space"},
    [STOA_BADGATEWAY] = {502, STOA_LOG_WARN, "bad gateway"},
    [STOA_TIMEOUT] = {504, STOA_LOG_WARN, "timeout"},
    [STOA_INTERNAL] = {500, STOA_LOG_ERROR, "internal error"},
};

static int known(stoa_status s)
{
    return (unsigned)s < sizeof(table) / sizeof(table[0]) && table[s].http != 0;
}

int status_http(stoa_status s)
{
    return known(s) ? table[s].http : 500;
}

stoa_log_level status_log_level(stoa_status s)
{
    return known(s) ? table[s].level : STOA_LOG_ERROR;
}

const char *status_name(stoa_status s)
{
    return known(s) ? table[s].name : "unknown status";
}

const char *status_reason(int http)
{
    switch (http) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
    }
}

#include "html.h"

#include <string.h>

void html_text(strbuf *b, const char *s)
{
    for (const char *p = s; *p != '\0';) {
        size_t n = strcspn(p, "&<>\"'");
        if (n > 0)
            strbuf_put(b, "%.*s", (int)n, p);
        p += n;
        if (*p == '\0')
            break;
        switch (*p++) {
        case '&': strbuf_put(b, "&amp;"); break;
        case '<': strbuf_put(b, "&lt;"); break;
        case '>': strbuf_put(b, "&gt;"); break;
        case '"': strbuf_put(b, "&quot;"); break;
        default: strbuf_put(b, "&#39;"); break;
        }
    }
}

void html_query(strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; ++p) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
            strbuf_put(b, "%c", *p);
        else
            strbuf_put(b, "%%%02X", *p);
    }
}

static const char style[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}"
    "header{background:#1d2430;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center}"
    "header a{color:#fff;text-decoration:none;font-weight:600;font-size:18px}"
    "form{display:flex;gap:8px;flex:1}input[type=search]{flex:1;max-width:480px;padding:6px 10px;border-radius:4px;"
    "border:1px solid #8a94a6}button{padding:6px 14px}"
    "main{padding:16px 24px}table{border-collapse:collapse;background:#fff;width:100%;margin:8px 0 20px}"
    "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e6eb;vertical-align:top}"
    "th{background:#eef0f3;font-weight:600}code{font:13px ui-monospace,monospace;word-break:break-all}"
    ".badge{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#e3e6eb}"
    ".ok{background:#d5f2dc}.bad{background:#f8d7d7}.muted{color:#5f6b7d}h1 code{font-size:24px}"
    "p code{background:#eef0f3;padding:3px 8px;border-radius:3px}";

void html_begin(strbuf *b, const char *title, const char *q)
{
    strbuf_put(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    html_text(b, title);
    strbuf_put(b, " · stoa</title><style>%s</style></head><body><header><a href=\"/\">stoa</a>"
                  "<form action=\"/\" method=\"get\" role=\"search\"><input type=\"search\" name=\"q\" "
                  "placeholder=\"Search modules\" aria-label=\"Search modules\" value=\"", style);
    html_text(b, q != NULL ? q : "");
    strbuf_put(b, "\"><button type=\"submit\">Search</button></form></header><main>\n");
}

void html_end(strbuf *b)
{
    strbuf_put(b, "</main></body></html>\n");
}

#!/usr/bin/env bash
# Issue 20: the read-only web UI. Anonymous visitors see public modules and upstream
# health, never a private module (not listed, its page is "not found"); a read token
# sees both; search is case-insensitive and pages; every shown string is escaped; every
# page view is audited; the pages load and render in headless Chromium (Debian's
# chromium), checked on screenshots.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_pg.sh"

mods=()
for i in $(seq -w 1 55); do mods+=("example.com/many/m$i@v1.0.0"); done
genmod -out "$TMP/up" example.com/pub@v1.0.0 example.com/pub@v1.1.0 "${mods[@]}"
genmod -out "$TMP/priv" corp.example.com/secret@v1.0.0 corp.example.com/other@v1.0.0 corp.example.com/other@v1.1.0
start_upstream "$TMP/up"
fixture_config "auth: {require: {read: false}, plugins: [{plugin: token, options: {path: \"$TMP/tokens\", refresh: 100ms}}]}"
tok() { "$STOA_BIN" token --config "$CONFIG_FILE" create "$@" | head -1; }
PUBT=$(tok --name pub --scope publish:corp.example.com)
READT=$(tok --name reader --scope read)
start_stoa
answer=$(curl -sf -X PUT -H "Authorization: Bearer $PUBT" --data-binary @"$TMP/priv/corp.example.com/secret/@v/v1.0.0.zip" \
    "$STOA_URL/corp.example.com/secret/@v/v1.0.0.zip") || fail "publish"
h1=$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["zip_h1"])' 2>/dev/null ||
    printf '%s' "$answer" | grep -o 'h1:[A-Za-z0-9+/=]*' | head -1)
[ -n "$h1" ] || fail "no h1 in the publish answer: $answer"
for v in v1.0.0 v1.1.0; do for f in info mod zip; do
    curl -sf -o /dev/null "$STOA_URL/example.com/pub/@v/$v.$f" || fail "fill pub $v.$f"
done; done
for m in "${mods[@]}"; do curl -sf -o /dev/null "$STOA_URL/${m%@*}/@v/v1.0.0.info" || fail "fill $m"; done
settle
page() { curl -s -D "$TMP/hdr" -o "$TMP/page" -w '%{http_code}' "$@"; }

# 1. Anonymous: public modules and health, nothing of a private module.
assert_eq "$(page "$STOA_URL/")" 200 "/ for an anonymous visitor"
hdr=$(tr -d '\r' <"$TMP/hdr")
assert_contains "$hdr" "content-type: text/html; charset=utf-8"
assert_contains "$hdr" "content-security-policy: default-src 'none'"
body=$(cat "$TMP/page")
assert_contains "$body" 'href="/ui/module/example.com/many/m01">example.com/many/m01</a>'
assert_eq "$(grep -o 'example.com/many/m[0-9]*</a>' "$TMP/page" | wc -l)" 50 "a full first page, the private one hidden"
assert_contains "$body" "<td>fixture</td>" "the upstream's health row"
assert_not_contains "$body" "corp.example.com" "the private module on the anonymous home page"
page "$STOA_URL/?q=example.com/pub" >/dev/null
assert_contains "$(cat "$TMP/page")" 'href="/ui/module/example.com/pub">example.com/pub</a></td><td><code>v1.1.0</code></td><td>2</td>' \
    "pub, its latest version and count"
# A module page goes through the auth chain as the module's files do: 401 with the challenge.
assert_eq "$(page "$STOA_URL/ui/module/corp.example.com/secret")" 401 "the private module's page, anonymous"
assert_not_contains "$(cat "$TMP/page")" "$h1" "the private module's hash, anonymous"
pass "anonymous visitors see public modules and upstream health, and nothing of a private module"

# 2. A read token sees the private module, its versions and its hash.
assert_eq "$(page -H "Authorization: Bearer $READT" "$STOA_URL/")" 200 "/ with a read token"
assert_contains "$(cat "$TMP/page")" 'corp.example.com/secret</a> <span class="badge">private</span>'
assert_eq "$(page -H "Authorization: Bearer $READT" "$STOA_URL/ui/module/corp.example.com/secret")" 200 "the page"
body=$(cat "$TMP/page")
assert_contains "$body" "<code>$h1</code>" "the zip's h1 on the module page"
assert_contains "$body" "<td>published</td>"
assert_eq "$(page -u "me:$READT" "$STOA_URL/")" 200 "/ with the token as Basic auth's password (a browser)"
assert_contains "$(cat "$TMP/page")" '>corp.example.com/secret</a>'
assert_eq "$(page "$STOA_URL/ui/module/example.com/pub")" 200 "pub's page"
body=$(tr -d '\n' <"$TMP/page")
[[ "$body" == *"v1.1.0"*"v1.0.0"* ]] || fail "versions not newest first: $body"
assert_contains "$body" "<td>fixture</td>" "origin of a proxied version"
assert_eq "$(page "$STOA_URL/ui/module/example.com/none")" 404 "a module not stored"
pass "a read token sees the private module; a module page lists versions newest first with origin and h1"

# 3. Search: case-insensitive, paged, escaped.
assert_eq "$(page "$STOA_URL/?q=PUB")" 200 "search"
assert_contains "$(cat "$TMP/page")" ">example.com/pub</a>"
assert_not_contains "$(cat "$TMP/page")" "example.com/many/m01" "a module that does not match"
page "$STOA_URL/?q=many" >/dev/null
first=$(grep -o 'example.com/many/m[0-9]*</a>' "$TMP/page" | wc -l)
assert_eq "$first" 50 "modules on the first page"
next=$(grep -o 'rel="next" href="[^"]*"' "$TMP/page" | sed 's/.*href="//; s/"$//; s/&amp;/\&/g')
[ -n "$next" ] || fail "no next link"
page "$STOA_URL$next" >/dev/null
assert_eq "$(grep -o 'example.com/many/m[0-9]*</a>' "$TMP/page" | tr '\n' ' ')" \
    "example.com/many/m51</a> example.com/many/m52</a> example.com/many/m53</a> example.com/many/m54</a> example.com/many/m55</a> " \
    "the second page"
assert_not_contains "$(cat "$TMP/page")" 'rel="next"' "a next link on the last page"
page "$STOA_URL/?q=%3Cscript%3Ealert(1)%3C/script%3E%22" >/dev/null
assert_contains "$(cat "$TMP/page")" 'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;"'
assert_not_contains "$(cat "$TMP/page")" "<script>" "markup from the query"
assert_contains "$(cat "$TMP/page")" "No module matches here."
pass "search is case-insensitive, pages 50 modules at a time, and escapes what it shows"

# Page views are audited as /catalog is: action "ui", kind home or module (the file sink).
ui_audited() {
    python3 - "$DATA/audit.jsonl" <<'PY'
import json, sys
ui = [e for e in map(json.loads, open(sys.argv[1])) if e.get("action") == "ui"]
def seen(**want):
    assert any(all(e.get(k) == v for k, v in want.items()) for e in ui), ("no ui event with", want, ui[-3:])
seen(kind="home", method="GET", path="/?q=PUB", status=200, auth="anonymous")
seen(kind="module", module="corp.example.com/secret", identity="token:reader", status=200)
seen(kind="module", module="corp.example.com/secret", auth="deny", status=401)
seen(kind="module", module="example.com/none", status=404)
PY
}
wait_for ui_audited || { ui_audited; fail "the UI's page views are not in the audit file"; }
pass "UI page views are audit events (action ui), the denied and the not found ones too"

# 4. Headless Chromium: the pages load, render, and say what curl saw.
command -v chromium >/dev/null || fail "chromium is not installed (docker/install-deps.sh --test)"
chrome() {
    timeout 60 chromium --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-dev-shm-usage --user-data-dir="$TMP/chrome" --window-size=1280,800 "$@" 2>>"$TMP/chrome.log"
}
dom=$(chrome --dump-dom "$STOA_URL/?q=pub") || fail "chromium --dump-dom: $(tail -5 "$TMP/chrome.log")"
assert_contains "$dom" ">example.com/pub</a>" "the search result in Chromium's DOM"
assert_not_contains "$dom" "corp.example.com" "the private module in Chromium's DOM"
assert_contains "$(chrome --dump-dom "$STOA_URL/ui/module/example.com/pub")" "go get example.com/pub@latest"
chrome --screenshot="$TMP/home.png" "$STOA_URL/" >/dev/null || fail "screenshot: $(tail -5 "$TMP/chrome.log")"
chrome --screenshot="$TMP/module.png" "$STOA_URL/ui/module/example.com/pub" >/dev/null || fail "screenshot 2"
python3 - "$TMP/home.png" "$TMP/module.png" <<'PY' || fail "screenshots"
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path + ": not a PNG"
    w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and ctype in (2, 6), (path, depth, ctype)
    bpp = 3 if ctype == 2 else 4
    idat, i = b"", 8
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind == b"IDAT":
            idat += data[i + 8:i + 8 + n]
        i += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):  # undo the PNG filters (RFC 2083 6.2)
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            p = a + b - c
            pred = [0, a, b, (a + b) // 2, a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
                    else b if abs(p - b) <= abs(p - c) else c][f]
            line[x] = (line[x] + pred) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows

for path in sys.argv[1:]:
    w, h, bpp, rows = pixels(path)
    assert (w, h) == (1280, 800), (path, w, h)
    px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
    # The header bar is #1d2430, the page #f6f7f9, tables white with dark text.
    assert max(px(w // 2 + 100, 5)) < 60, (path, "header bar", px(w // 2 + 100, 5))
    assert min(px(10, 80)) > 230, (path, "page background", px(10, 80))
    dark = sum(1 for y in range(60, 400, 2) for x in range(20, 600, 2) if max(px(x, y)) < 100)
    assert dark > 500, (path, "no text on the page", dark)
PY
pass "the home and module pages load and render in headless Chromium (DOM and 1280x800 screenshots checked)"

# 5. Who published, from the audit trail in PostgreSQL (audit.sink: postgres).
stop_stoa
start_postgres
"$STOA_BIN" migrate --dsn "$PG_DSN" --dir "$STOA_SRC/migrations" >"$TMP/migrate.log" 2>&1 || fail "migrate: $(cat "$TMP/migrate.log")"
cat >>"$CONFIG_FILE" <<YAML
audit: {sink: postgres, dsn: "$PG_DSN", interval: 100ms}
YAML
start_stoa
for v in v1.0.0 v1.1.0; do
    assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/other/@v/$v.zip" -H "Authorization: Bearer $PUBT" \
        --data-binary @"$TMP/priv/corp.example.com/other/@v/$v.zip")" 201 "publish other $v"
done
assert_eq "$(http_status PUT "$STOA_URL/corp.example.com/other/@v/v1.0.0.zip" -H "Authorization: Bearer $PUBT" \
    --data-binary @"$TMP/priv/corp.example.com/other/@v/v1.0.0.zip")" 200 "the same bytes again (not a publish)"
published() { [ "$(psqlc -c "SELECT count(*) FROM audit_events WHERE action = 'publish' AND module = 'corp.example.com/other'")" -ge 3 ]; }
wait_for published || fail "the publishes did not reach the audit table"
assert_eq "$(page -H "Authorization: Bearer $READT" "$STOA_URL/ui/module/corp.example.com/other")" 200 "other's page"
body=$(tr -d '\n' <"$TMP/page")
assert_eq "$(grep -o '<td>published by token:pub</td>' <<<"$body" | wc -l)" 2 "a publisher per version"
assert_not_contains "$body" "cannot be read now"
pg_ctl_stop
assert_eq "$(page -H "Authorization: Bearer $READT" "$STOA_URL/ui/module/corp.example.com/other")" 200 "the page, database down"
assert_contains "$(cat "$TMP/page")" "Who published: the audit trail cannot be read now."
assert_not_contains "$(cat "$TMP/page")" "127.0.0.1:$PG_PORT" "the database's address on the page"
pass "a module page names who published each version (audit.sink postgres), and says so when the trail cannot be read"

# Helpers of the scale benchmarks (scale.sh, scale_pgs3.sh); sourced after lib.sh.
now() { date +%s.%N; }
# whole_catalog: reads /catalog page by page (1000 a page, by token); prints the entries.
whole_catalog() {
    local token="" n=0 body
    while :; do
        body=$(curl -sf "$STOA_URL/catalog?pagesize=1000&token=$token")
        n=$((n + $(grep -o '"module"' <<<"$body" | wc -l)))
        token=$(sed 's/.*"next":"\([^"]*\)".*/\1/' <<<"$body")
        [ -z "$token" ] && break
    done
    echo "$n"
}

#!/usr/bin/python3
"""Parses Prometheus text exposition from stdin with the reference parser
(python3-prometheus-client), checks every histogram's invariants, then prints the
value of each sample named on the command line ('name{k="v",...}'; 0 when absent).
Exits 1 on a parse error or a broken histogram."""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
samples = {}
try:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            key = s.name + "{" + ",".join('%s="%s"' % kv for kv in sorted(s.labels.items())) + "}"
            samples[key] = s.value
except Exception as e:  # the parser raises ValueError and friends
    sys.exit("metrics do not parse: %s" % e)

# Histograms: cumulative buckets never decrease and +Inf equals _count.
buckets = {}
for key, v in samples.items():
    m = re.match(r'(.*)_bucket\{(.*)\}$', key)
    if m:
        labels = [l for l in m.group(2).split(",") if not l.startswith("le=")]
        le = re.search(r'le="([^"]*)"', m.group(2)).group(1)
        buckets.setdefault((m.group(1), ",".join(labels)), []).append((float(le), v))
for (name, labels), bs in buckets.items():
    bs.sort()
    vals = [v for _, v in bs]
    if vals != sorted(vals):
        sys.exit("histogram %s{%s}: buckets decrease" % (name, labels))
    if samples.get("%s_count{%s}" % (name, labels)) != vals[-1]:
        sys.exit("histogram %s{%s}: +Inf bucket differs from _count" % (name, labels))

def norm(q):
    m = re.match(r'([^{]*)(?:\{(.*)\})?$', q)
    labels = re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")
    return m.group(1) + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels)) + "}"

for q in sys.argv[1:]:
    v = samples.get(norm(q), 0)
    print(int(v) if v == int(v) else v)

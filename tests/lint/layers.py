#!/usr/bin/env python3
"""The core's layering, checked from the sources (docs/design.md, "Layers").

The build already refuses an include of a higher layer's header (it is not on the
include path); this also catches what the include path cannot: a relative include
that climbs out of its folder, and dependency loops between files of one folder or
of a plugin. Units are file stems: x.c and x.h are one unit. Exit 1 with every
violation listed."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
core = os.path.join(root, "core")
cmake = open(os.path.join(core, "CMakeLists.txt")).read()
layers = re.findall(r"^stoa_layer\((\w+)", cmake, re.M)
rank = {name: i for i, name in enumerate(layers)}
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
problems = []

def sources(folder):
    for dirpath, _, files in os.walk(folder):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)

home = {}  # header name -> layer
for layer in layers:
    for path in sources(os.path.join(core, layer)):
        if path.endswith(".h"):
            home[os.path.basename(path)] = layer

def edges(paths):
    graph = {}
    for path in paths:
        unit = os.path.splitext(os.path.relpath(path, root))[0]
        for h in inc.findall(open(path, encoding="utf-8").read()):
            if "/" in h and not h.startswith("stoa/"):
                problems.append(f"{os.path.relpath(path, root)}: include \"{h}\" names a path; "
                                "name a header of this folder or one below")
            target = os.path.join(os.path.dirname(unit), os.path.splitext(h)[0])
            if target != unit:
                graph.setdefault(unit, set()).add(target)
    return graph

def loops(graph):
    seen, stack, on, found = set(), [], set(), []
    def visit(n):
        seen.add(n); stack.append(n); on.add(n)
        for m in sorted(graph.get(n, ())):
            if m in on:
                found.append(stack[stack.index(m):] + [m])
            elif m not in seen and m in graph:
                visit(m)
        stack.pop(); on.discard(n)
    for n in sorted(graph):
        if n not in seen:
            visit(n)
    return found

for layer in layers:
    paths = list(sources(os.path.join(core, layer)))
    for path in paths:
        for h in inc.findall(open(path, encoding="utf-8").read()):
            there = home.get(os.path.basename(h))
            if there is not None and rank[there] > rank[layer]:
                problems.append(f"{os.path.relpath(path, root)}: includes {h} of layer {there}, above {layer}")
    for cycle in loops(edges(paths)):
        problems.append("loop: " + " -> ".join(os.path.basename(u) for u in cycle))

plugins = os.path.join(root, "plugins")
for kind in sorted(os.listdir(plugins)):
    for name in sorted(os.listdir(os.path.join(plugins, kind))):
        for cycle in loops(edges(list(sources(os.path.join(plugins, kind, name))))):
            problems.append("loop: " + " -> ".join(os.path.basename(u) for u in cycle))

for p in problems:
    print(p)
print(f"{len(layers)} layers, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)

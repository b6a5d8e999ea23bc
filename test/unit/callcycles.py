#!/usr/bin/env python3
"""callcycles.py - call cycles between the object files of a library

usage: callcycles.py [-v] FILE.o...

An edge A -> B is a symbol A uses (nm: U) that B defines (T, D, R, B,
C).  Prints each cycle (a strongly connected set of more than one file)
with the symbols that make its edges, then "N cycles"; exits 1 when
there is one.  -v prints every edge first.
"""
import collections
import os
import subprocess
import sys


def name_of(path):
    """lib/store.c.o -> store"""
    base = os.path.basename(path)
    for ext in ('.c.o', '.o'):
        if base.endswith(ext):
            return base[:-len(ext)]
    return base


def graph(objs):
    """edges[a] = {b}, why[(a, b)] = {symbols}"""
    defs, uses = {}, collections.defaultdict(set)
    for o in objs:
        out = subprocess.run(['nm', o], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in 'TDRBC':
                defs[f[2]] = name_of(o)
            elif len(f) == 2 and f[0] == 'U':
                uses[name_of(o)].add(f[1])
    edges, why = collections.defaultdict(set), collections.defaultdict(set)
    for a, syms in uses.items():
        for s in syms:
            b = defs.get(s)
            if b is not None and b != a:
                edges[a].add(b)
                why[(a, b)].add(s)
    return sorted(set(defs.values()) | set(uses)), edges, why


def cycles(nodes, edges):
    """Tarjan's strongly connected components of more than one node"""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main(argv):
    verbose = argv[:1] == ['-v']
    nodes, edges, why = graph(argv[1:] if verbose else argv)
    if verbose:
        for a in nodes:
            for b in sorted(edges[a]):
                print('%s -> %s: %s' % (a, b, ' '.join(sorted(why[(a, b)]))))
    found = cycles(nodes, edges)
    for comp in found:
        print('cycle:', ' '.join(comp))
        for a in comp:
            for b in sorted(edges[a] & set(comp)):
                print('    %s -> %s: %s' %
                      (a, b, ' '.join(sorted(why[(a, b)]))))
    print('%d files, %d cycles' % (len(nodes), len(found)))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

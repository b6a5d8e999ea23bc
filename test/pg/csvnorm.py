#!/usr/bin/env python3
"""csvnorm.py - CSV on stdin, normalised and sorted, on stdout.

sqlite3 -csv and psql --csv quote different fields (sqlite3 also those
with a space); this reads either and writes every field quoted, rows in
byte order, so that the two can be compared with cmp.  NULL and the
empty string both read as empty: neither tool's output tells them apart
the same way.
"""
import csv
import sys

rows = ['\x1f'.join(r) for r in csv.reader(sys.stdin)]
out = csv.writer(sys.stdout, quoting=csv.QUOTE_ALL, lineterminator='\n')
for r in sorted(rows):
    out.writerow(r.split('\x1f') if r else [])

#!/usr/bin/env python3
# NAME
#	scrape-hammer.py - GET /metrics as fast as it answers, until killed
# SYNOPSIS
#	scrape-hammer.py PORT [THREADS]
# DESCRIPTION
#	THREADS (default 4) threads each keep one HTTP/1.1 connection to
#	127.0.0.1:PORT and GET /metrics over it again and again, opening
#	a new one when the server closes it.  On SIGTERM or SIGINT it
#	prints one line
#	  RESULT scrapes=N errors=E secs=S scrapes_per_s=R
#	and exits 0.  For run-bench.sh METRICS=1: the daemon's mail path
#	measured while its metrics are scraped without pause.
import http.client
import signal
import sys
import threading
import time

stop = threading.Event()
lock = threading.Lock()
counts = {"ok": 0, "err": 0}


def worker(port):
    conn = None
    ok = err = 0
    while not stop.is_set():
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=10)
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
            else:
                err += 1
            if r.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            err += 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.01)
    with lock:
        counts["ok"] += ok
        counts["err"] += err


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: scrape-hammer.py PORT [THREADS]", file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 4
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(port,))
               for _ in range(n)]
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.2)
    for t in threads:
        t.join()
    secs = time.monotonic() - start
    print("RESULT scrapes=%d errors=%d secs=%.1f scrapes_per_s=%.0f" %
          (counts["ok"], counts["err"], secs, counts["ok"] / secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

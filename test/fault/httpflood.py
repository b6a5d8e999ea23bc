#!/usr/bin/env python3
# NAME
#	httpflood.py - many hostile HTTP connections at once, held open
# SYNOPSIS
#	httpflood.py HOST PORT N READY_FILE
# DESCRIPTION
#	Opens N TCP connections to HOST:PORT (loopback) at once and keeps
#	them open: a third send half a request line and stall (slow
#	clients), a third send garbage bytes, a third send a whole
#	"GET /metrics".  When every connection is made (or refused), it
#	writes "opened=K refused=R" to READY_FILE and waits until its
#	stdin closes; then it reads what each connection got within a
#	second, closes them all and prints one line:
#	  RESULT opened=K refused=R answered=A ok200=B none=C
#	(answered: an HTTP status line came back; none: nothing or
#	not HTTP came back).  The soft limit on open files is raised to
#	the hard limit first.
# DIAGNOSTICS
#	Exit 0 when it ran, 2 on usage errors.  Nothing here is asserted:
#	the test checks that the server and the mail path live on.
import resource
import selectors
import socket
import sys
import time


def main():
    if len(sys.argv) != 5:
        print("usage: httpflood.py HOST PORT N READY_FILE", file=sys.stderr)
        return 2
    host, port, n, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64 and (hard == resource.RLIM_INFINITY or hard > soft):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks, refused = [], 0
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        kind = i % 3
        try:
            if kind == 0:
                s.send(b"GET /metr")
            elif kind == 1:
                s.send(b"\x00\xff\xfe GARBAGE \x16\x03\x01\r\n\r\n")
            else:
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
        socks.append((kind, s))
    with open(ready, "w") as f:
        f.write("opened=%d refused=%d\n" % (len(socks), refused))
    sys.stdin.read()
    sel = selectors.DefaultSelector()
    got = {}
    for kind, s in socks:
        sel.register(s, selectors.EVENT_READ, kind)
        got[s] = b""
    end = time.monotonic() + 1.0
    while time.monotonic() < end and got:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                got[s] += data
            if not data or len(got[s]) > 65536:
                sel.unregister(s)
    answered = sum(1 for v in got.values() if v.startswith(b"HTTP/1."))
    ok200 = sum(1 for v in got.values() if v.startswith(b"HTTP/1.1 200"))
    none = sum(1 for v in got.values() if not v.startswith(b"HTTP/1."))
    for _, s in socks:
        s.close()
    print("RESULT opened=%d refused=%d answered=%d ok200=%d none=%d" %
          (len(socks), refused, answered, ok200, none))
    return 0


if __name__ == "__main__":
    sys.exit(main())

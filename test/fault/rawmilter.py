#!/usr/bin/env python3
# NAME
#	rawmilter.py - a byte-exact milter client for hostile-input tests
# SYNOPSIS
#	rawmilter.py SOCKET < SCRIPT
# DESCRIPTION
#	Speaks milter protocol 6 to SOCKET (unix:PATH) the way Postfix
#	does: it offers every action and protocol flag and honours the
#	filter's SMFIP_NO* and SMFIP_NR_* answers; it sends the macros
#	outguard asks for whatever the filter's lists say.  Unlike
#	miltertest it sends any bytes in commands and headers: NUL, 8-bit,
#	invalid UTF-8, values of a megabyte.  Macro values stop at a NUL,
#	as an MTA's C strings do.
#
#	SCRIPT has one step a line; arguments are Python bytes escapes
#	(\x00, \xff, \r ...).  "#" lines and empty lines are skipped.
#	  connect HOST ADDR        negotiate, CONNECT and HELO
#	  login [LOGIN]            {auth_authen} for the next MAIL (none:
#	                           unauthenticated)
#	  qid QUEUEID              the macro i, sent from RCPT on
#	  mail ARG                 MAIL FROM (ARG as given, e.g. <a@b>)
#	  rcpt ARG                 one RCPT TO
#	  rcpts N DOMAIN           N RCPT TO <rN@DOMAIN>, one line of totals
#	  header NAME VALUE        one header (VALUE is the rest of the line)
#	  bigheader NAME BYTE N    one header of N times BYTE
#	  eom [QUEUEID]            end of headers, a small body, end of message
#	  abort                    SMFIC_ABORT
#	  quit                     SMFIC_QUIT and close
#
#	Each step that gets a reply prints one line: the step, then the
#	reply ("continue", "accept", "tempfail", "reject", "discard",
#	"reply CODE TEXT", "closed" when the filter dropped the connection).
#	"rcpts" prints "rcpts N: continue=A reply452=B ... first refusal:
#	TEXT" (counts by reply code, and the first refusal in full).
#	Header additions and quarantine at end of message are printed as
#	"eom: continue +header NAME" and "... +quarantine".
# DIAGNOSTICS
#	Exit 0 when the script ran to its end, 1 when the connection
#	failed or closed (the rest is skipped), 2 on a bad script.
import socket
import struct
import sys
from codecs import escape_decode

SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL = 0x1, 0x2, 0x4
SMFIP_NORCPT, SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH = 0x8, 0x10, 0x20, 0x40
SMFIP_NR_HDR, SMFIP_NODATA = 0x80, 0x200
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL = 0x1000, 0x2000, 0x4000
SMFIP_NR_RCPT, SMFIP_NR_DATA, SMFIP_NR_EOH = 0x8000, 0x10000, 0x40000
SMFIP_NR_BODY = 0x80000
ALL_PROTO = 0x1FFFFF
ALL_ACTS = 0x1FF
TIMEOUT = 30


def cstr(b):
    """b up to its first NUL, as an MTA written in C would send a macro
    (a NUL inside a macro value makes libmilter 8.17's smfi_getsymval
    read past its array and crash the filter: not a case to send)"""
    return b.split(b"\0")[0]


class Closed(Exception):
    """The filter closed the connection or did not answer."""


class Milter:
    """One connection to the filter."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(path)
        self.proto = 0
        self.login = None
        self.qid = None

    def send(self, cmd, data=b""):
        """one packet"""
        pkt = struct.pack(">I", len(data) + 1) + cmd + data
        try:
            self.sock.sendall(pkt)
        except OSError as e:
            raise Closed(str(e))

    def recv_exact(self, n):
        """n bytes, or Closed"""
        buf = b""
        while len(buf) < n:
            try:
                part = self.sock.recv(n - len(buf))
            except OSError as e:
                raise Closed(str(e))
            if not part:
                raise Closed("connection closed")
            buf += part
        return buf

    def read(self):
        """one reply packet: (cmd, data)"""
        (n,) = struct.unpack(">I", self.recv_exact(4))
        body = self.recv_exact(n)
        return body[:1], body[1:]

    def decision(self, what):
        """read up to a decision; returns its printable form"""
        extra = []
        while True:
            cmd, data = self.read()
            if cmd == b"h":
                extra.append("+header " + data.split(b"\0")[0].decode(
                    "latin-1"))
                continue
            if cmd == b"q":
                extra.append("+quarantine")
                continue
            if cmd == b"p":
                continue
            names = {b"c": "continue", b"a": "accept", b"t": "tempfail",
                     b"r": "reject", b"d": "discard"}
            if cmd in names:
                out = names[cmd]
            elif cmd == b"y":
                out = "reply " + data.rstrip(b"\0").decode("latin-1")
            else:
                out = "unexpected %r" % cmd
            return " ".join([out] + extra)

    def event(self, cmd, data, nosend, noreply, what):
        """send an event unless skipped; its reply or None"""
        if self.proto & nosend:
            return None
        self.send(cmd, data)
        if self.proto & noreply:
            return None
        return self.decision(what)

    def macro(self, stage, pairs):
        """SMFIC_MACRO for stage"""
        self.send(b"D", stage + b"".join(k + b"\0" + v + b"\0"
                                        for k, v in pairs))

    def connect(self, host, addr):
        """negotiate, CONNECT, HELO"""
        self.send(b"O", struct.pack(">III", 6, ALL_ACTS, ALL_PROTO))
        cmd, data = self.read()
        if cmd != b"O" or len(data) < 12:
            raise Closed("bad negotiation reply")
        _, _, self.proto = struct.unpack(">III", data[:12])
        self.macro(b"C", [(b"{client_addr}", addr), (b"j", b"mx.test")])
        r = self.event(b"C", host + b"\0" + b"4" + struct.pack(">H", 2525)
                       + addr + b"\0", SMFIP_NOCONNECT, SMFIP_NR_CONN,
                       "connect")
        if r is not None and r != "continue":
            return r
        return self.event(b"H", b"client.test\0", SMFIP_NOHELO,
                          SMFIP_NR_HELO, "helo")

    def mail(self, arg):
        pairs = [(b"{mail_addr}", cstr(arg).strip(b"<>"))]
        if self.login is not None:
            pairs += [(b"{auth_authen}", self.login),
                      (b"{auth_type}", b"PLAIN")]
        self.macro(b"M", pairs)
        return self.event(b"M", arg + b"\0", SMFIP_NOMAIL, SMFIP_NR_MAIL,
                          "mail")

    def rcpt(self, arg):
        pairs = [(b"{rcpt_addr}", cstr(arg).strip(b"<>"))]
        if self.qid is not None:
            pairs.append((b"i", self.qid))
        self.macro(b"R", pairs)
        return self.event(b"R", arg + b"\0", SMFIP_NORCPT, SMFIP_NR_RCPT,
                          "rcpt")

    def header(self, name, value):
        lead = b" " if self.proto & 0x100000 else b""
        return self.event(b"L", name + b"\0" + lead + value + b"\0",
                          SMFIP_NOHDRS, SMFIP_NR_HDR, "header")

    def eom(self, qid):
        self.event(b"N", b"", SMFIP_NOEOH, SMFIP_NR_EOH, "eoh")
        self.event(b"B", b"Hello.\r\n", SMFIP_NOBODY, SMFIP_NR_BODY, "body")
        self.macro(b"E", [(b"i", qid or self.qid or b"")])
        self.send(b"E")
        return self.decision("eom")


def arg(s):
    """a script argument with its escapes decoded"""
    return escape_decode(s.encode("utf-8"))[0]


def run(m, line):
    """one script line; prints the reply"""
    word, _, rest = line.partition(" ")
    if word == "connect":
        host, addr = rest.split(" ", 1)
        r = m.connect(arg(host), arg(addr))
    elif word == "login":
        m.login = arg(rest)
        return
    elif word == "qid":
        m.qid = arg(rest)
        return
    elif word == "mail":
        r = m.mail(arg(rest))
    elif word == "rcpt":
        r = m.rcpt(arg(rest))
    elif word == "rcpts":
        n, domain = rest.split(" ", 1)
        counts, first = {}, None
        for i in range(1, int(n) + 1):
            got = m.rcpt(b"<r%d@%s>" % (i, arg(domain))) or "noreply"
            key = got
            if got.startswith("reply "):
                key = "reply" + got.split(" ")[1]
                first = first or got[6:]
            counts[key] = counts.get(key, 0) + 1
        r = " ".join("%s=%d" % kv for kv in sorted(counts.items()))
        if first is not None:
            r += " first refusal: " + first
        word = "rcpts " + n
    elif word == "header":
        name, _, value = rest.partition(" ")
        r = m.header(arg(name), arg(value))
    elif word == "bigheader":
        name, byte, n = rest.split(" ")
        r = m.header(arg(name), arg(byte) * int(n))
    elif word == "eom":
        r = m.eom(arg(rest))
    elif word == "abort":
        m.send(b"A")
        return
    elif word == "quit":
        m.send(b"Q")
        m.sock.close()
        return
    else:
        print("rawmilter: bad script line: %s" % line, file=sys.stderr)
        sys.exit(2)
    print("%s: %s" % (word, r if r is not None else "noreply"), flush=True)


def main():
    if len(sys.argv) != 2 or not sys.argv[1].startswith("unix:"):
        print("usage: rawmilter.py unix:PATH < SCRIPT", file=sys.stderr)
        sys.exit(2)
    try:
        m = Milter(sys.argv[1][5:])
        for line in sys.stdin.read().splitlines():
            if line.strip() and not line.startswith("#"):
                run(m, line)
    except Closed as e:
        print("closed: %s" % e, flush=True)
        sys.exit(1)
    except OSError as e:
        print("closed: %s" % e, flush=True)
        sys.exit(1)


if __name__ == "__main__":  # dayreplay.py imports the client
    main()

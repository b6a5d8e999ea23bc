#!/usr/bin/env python3
# NAME
#	rawsmtp.py - a byte-exact SMTP client for hostile-input tests
# SYNOPSIS
#	rawsmtp.py PORT < SCRIPT
# DESCRIPTION
#	Talks SMTP to 127.0.0.1:PORT one command at a time (no pipelining)
#	and prints each reply.  SCRIPT has one step a line; arguments are
#	Python bytes escapes (\x00, \xff ...); "#" and empty lines are
#	skipped:
#	  ehlo NAME                EHLO
#	  auth USER PASSWORD       AUTH PLAIN
#	  mail ARG                 MAIL FROM:ARG
#	  rcpt ARG                 RCPT TO:ARG
#	  rcpts N DOMAIN           N RCPT TO:<rN@DOMAIN>, one line of totals
#	  data                     DATA
#	  header NAME VALUE        a header line of the message
#	  bigheader NAME BYTE N [W]  a header of N times BYTE, in one line,
#	                           or folded every W bytes
#	  eom                      blank line, a body line, "." : end of data
#	  quit                     QUIT
#	Each command prints "STEP: CODE TEXT" (the last line of a multiline
#	reply); "rcpts" prints "rcpts N: 250=A 452=B first refusal: TEXT".
# DIAGNOSTICS
#	Exit 0 when the script ran to its end, 1 when the server closed the
#	connection, 2 on a bad script.
import base64
import socket
import sys
from codecs import escape_decode


class Closed(Exception):
    """The server closed the connection."""


class Smtp:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 60)
        self.f = self.sock.makefile("rb")
        self.message = []

    def reply(self):
        """one reply: (code, last line's text)"""
        while True:
            line = self.f.readline()
            if not line:
                raise Closed("connection closed")
            if line[3:4] != b"-":
                text = line.decode("latin-1").rstrip("\r\n")
                return text[:3], text

    def cmd(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()


def arg(s):
    """a script argument with its escapes decoded"""
    return escape_decode(s.encode("utf-8"))[0]


def folded(name, byte, n, width):
    """a header of n times byte, folded every width bytes (0: never)"""
    value = byte * n
    if width <= 0:
        return name + b": " + value
    parts = [value[i:i + width] for i in range(0, len(value), width)]
    return name + b": " + b"\r\n ".join(parts)


def run(c, line):
    """one script line; prints the reply"""
    word, _, rest = line.partition(" ")
    if word == "ehlo":
        code, text = c.cmd(b"EHLO " + arg(rest))
    elif word == "auth":
        user, pw = rest.split(" ", 1)
        token = base64.b64encode(b"\0" + arg(user) + b"\0" + arg(pw))
        code, text = c.cmd(b"AUTH PLAIN " + token)
    elif word == "mail":
        code, text = c.cmd(b"MAIL FROM:" + arg(rest))
    elif word == "rcpt":
        code, text = c.cmd(b"RCPT TO:" + arg(rest))
    elif word == "rcpts":
        n, domain = rest.split(" ", 1)
        counts, first = {}, None
        for i in range(1, int(n) + 1):
            code, text = c.cmd(b"RCPT TO:<r%d@%s>" % (i, arg(domain)))
            counts[code] = counts.get(code, 0) + 1
            if code[0] != "2" and first is None:
                first = text
        text = " ".join("%s=%d" % kv for kv in sorted(counts.items()))
        if first is not None:
            text += " first refusal: " + first
        print("rcpts %s: %s" % (n, text), flush=True)
        return
    elif word == "data":
        code, text = c.cmd(b"DATA")
    elif word == "header":
        name, _, value = rest.partition(" ")
        c.message.append(arg(name) + b": " + arg(value))
        return
    elif word == "bigheader":
        words = rest.split(" ")
        width = int(words[3]) if len(words) > 3 else 0
        c.message.append(folded(arg(words[0]), arg(words[1]),
                                int(words[2]), width))
        return
    elif word == "eom":
        c.sock.sendall(b"\r\n".join(c.message) +
                       b"\r\n\r\nHello.\r\n.\r\n")
        c.message = []
        code, text = c.reply()
    elif word == "quit":
        code, text = c.cmd(b"QUIT")
    else:
        print("rawsmtp: bad script line: %s" % line, file=sys.stderr)
        sys.exit(2)
    print("%s: %s" % (word, text), flush=True)


def main():
    if len(sys.argv) != 2:
        print("usage: rawsmtp.py PORT < SCRIPT", file=sys.stderr)
        sys.exit(2)
    try:
        c = Smtp(int(sys.argv[1]))
        print("greeting: %s" % c.reply()[1], flush=True)
        for line in sys.stdin.read().splitlines():
            if line.strip() and not line.startswith("#"):
                run(c, line)
    except (Closed, OSError) as e:
        print("closed: %s" % e, flush=True)
        sys.exit(1)


main()

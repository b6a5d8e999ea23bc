#!/usr/bin/env python3
"""
NAME
	replytap - record a milter's replies on their way to miltertest
SYNOPSIS
	replytap.py LISTEN_PATH FILTER_PATH LOG_PATH
DESCRIPTION
	miltertest hands a scenario only the reply's command byte for RCPT
	(SMFIR_REPLYCODE, never its "452 4.5.3 ..." text).  replytap sits
	between miltertest and the filter on unix sockets and passes every
	byte through unchanged in both directions; on the way back it splits
	the filter's stream into milter frames and appends one line per frame
	to LOG_PATH before forwarding the frame:

		CONN <TAB> CMD <TAB> TEXT

	CONN numbers the connections from 1, CMD is the reply's command
	character (c, y, h, q, O, ...), TEXT is the frame's data with NULs
	turned into tabs and CR/LF escaped ("451 4.7.1 Your account ...";
	"X-Outguard<TAB>rcpt 3>2/3600s").  The option-negotiation reply is
	decoded as "version=6 actions=0x... protocol=0x..." followed by the macro
	lists the filter asked for, " symlistSTAGE=NAME,NAME" (STAGE as in
	SMFIM_*: 0 connect, 1 helo, 2 mail, 3 rcpt, 4 data, 5 eom, 6 eoh).

	Because a line is written and flushed before miltertest can read the
	frame, a scenario that notes the log's size before a command finds
	exactly that command's replies after it (lib/og.lua does this).
DIAGNOSTICS
	Exits 2 on bad arguments; a broken connection only ends that
	connection.  SIGTERM ends the tap.
"""
import os
import signal
import socket
import struct
import sys
import threading

MAX_FRAME = 64 * 1024 * 1024


def recv_exact(sock, n):
    """recv_exact - n bytes, or None at end of stream"""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def describe(cmd, data):
    """describe - one frame's data as printable text"""
    if cmd == "O" and len(data) >= 12:
        ver, act, proto = struct.unpack(">III", data[:12])
        text = "version=%d actions=0x%x protocol=0x%x" % (ver, act, proto)
        rest = data[12:]
        while len(rest) > 4:
            (stage,) = struct.unpack(">I", rest[:4])
            names, _, rest = rest[4:].partition(b"\0")
            text += " symlist%d=%s" % (
                stage, names.decode("latin-1").replace(" ", ","))
        return text
    text = data.rstrip(b"\0").replace(b"\0", b"\t")
    text = text.replace(b"\r", b"\\r").replace(b"\n", b"\\n")
    return text.decode("latin-1")


class Tap:
    def __init__(self, filter_path, log_path):
        self.filter_path = filter_path
        self.log = open(log_path, "ab", buffering=0)
        self.lock = threading.Lock()
        self.count = 0

    def record(self, conn_no, cmd, data):
        line = "%d\t%s\t%s\n" % (conn_no, cmd, describe(cmd, data))
        with self.lock:
            self.log.write(line.encode("latin-1", "replace"))

    def mta_to_filter(self, mta, flt):
        """mta_to_filter - copy miltertest's bytes to the filter"""
        try:
            while True:
                data = mta.recv(65536)
                if not data:
                    break
                flt.sendall(data)
        except OSError:
            pass
        finally:
            try:
                flt.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def filter_to_mta(self, conn_no, flt, mta):
        """filter_to_mta - log each of the filter's frames, then pass it"""
        try:
            while True:
                head = recv_exact(flt, 4)
                if head is None:
                    break
                (n,) = struct.unpack(">I", head)
                if n < 1 or n > MAX_FRAME:
                    self.record(conn_no, "!", b"bad frame length %d" % n)
                    break
                body = recv_exact(flt, n)
                if body is None:
                    self.record(conn_no, "!", b"truncated frame")
                    break
                self.record(conn_no, chr(body[0]), body[1:])
                mta.sendall(head + body)
        except OSError:
            pass
        finally:
            try:
                mta.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def serve(self, mta):
        self.count += 1
        conn_no = self.count
        flt = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            flt.connect(self.filter_path)
        except OSError as e:
            self.record(conn_no, "!", ("connect: %s" % e).encode())
            mta.close()
            return
        up = threading.Thread(target=self.mta_to_filter, args=(mta, flt),
                              daemon=True)
        up.start()
        self.filter_to_mta(conn_no, flt, mta)
        up.join(timeout=5)
        mta.close()
        flt.close()


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: replytap.py LISTEN FILTER LOG\n")
        return 2
    listen_path, filter_path, log_path = argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    tap = Tap(filter_path, log_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(listen_path):
        os.unlink(listen_path)
    srv.bind(listen_path)
    srv.listen(64)
    while True:
        mta, _ = srv.accept()
        threading.Thread(target=tap.serve, args=(mta,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))

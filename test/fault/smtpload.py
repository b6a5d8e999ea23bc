#!/usr/bin/env python3
# NAME
#	smtpload.py - authenticated SMTP load that records every reply
# SYNOPSIS
#	smtpload.py --port PORT --user USER --password PW --sender ADDR
#	    --rcpt ADDR --messages N [--threads T] [--per-session K]
#	    [--tag TAG] [--first I] > OUT
# DESCRIPTION
#	T threads send N messages to 127.0.0.1:PORT with SMTP AUTH PLAIN,
#	K messages per session (a new session after any refusal or
#	error), one recipient each.  Message I (counted from --first) has
#	"Subject: smtpload TAG I" and "Message-Id: <TAG.I@smtpload.test>".
#	Every message gets one output line, flushed at once:
#	    I CODE TEXT
#	CODE is the reply that decided it: 250 for end of data accepted
#	(TEXT "queued as ID"), else the 4xx/5xx reply to MAIL, RCPT, DATA
#	or end of data, or "ERR" when no reply came (connection failed);
#	TEXT then starts with the command, e.g. "RCPT 451 4.7.1 ...".
# DIAGNOSTICS
#	Exit 0 when every message got a line.
import argparse
import smtplib
import threading


def outcome(num, code, text):
    """print one message's line"""
    with LOCK:
        print("%d %s %s" % (num, code, " ".join(text.split())), flush=True)


def body(args, num):
    """the message, CRLF"""
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: smtpload %s %d\r\n"
            "Message-Id: <%s.%d@smtpload.test>\r\n\r\nLoad message %d.\r\n"
            % (args.sender, args.rcpt, args.tag, num, args.tag, num, num))


def send_one(s, args, num):
    """one transaction; True when the session can go on"""
    code, resp = s.mail(args.sender)
    if code != 250:
        outcome(num, code, "MAIL " + resp.decode("latin-1"))
        return False
    code, resp = s.rcpt(args.rcpt)
    if code not in (250, 251):
        outcome(num, code, "RCPT " + resp.decode("latin-1"))
        return False
    try:
        code, resp = s.data(body(args, num))
    except smtplib.SMTPDataError as e:
        outcome(num, e.smtp_code, "DATA " + e.smtp_error.decode("latin-1"))
        return False
    text = resp.decode("latin-1")
    if code == 250:
        outcome(num, 250, text[text.find("queued"):] or text)
        return True
    outcome(num, code, "EOD " + text)
    return False


def worker(args, next_num):
    """take message numbers until none are left"""
    s, on_session, num = None, 0, None
    while True:
        with LOCK:
            num = next_num[0]
            if num >= args.first + args.messages:
                break
            next_num[0] += 1
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", args.port, timeout=120)
                s.ehlo("smtpload.test")
                s.login(args.user, args.password)
                on_session = 0
            ok = send_one(s, args, num)
            on_session += 1
            if not ok or on_session >= args.per_session:
                try:
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    pass
                s = None
        except smtplib.SMTPResponseException as e:
            outcome(num, e.smtp_code, "SESSION " +
                    e.smtp_error.decode("latin-1", "replace"))
            s = None
        except (smtplib.SMTPException, OSError) as e:
            outcome(num, "ERR", "%s: %s" % (type(e).__name__, e))
            s = None
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--sender", required=True)
    p.add_argument("--rcpt", required=True)
    p.add_argument("--messages", type=int, required=True)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--per-session", type=int, default=5)
    p.add_argument("--tag", default="load")
    p.add_argument("--first", type=int, default=1)
    args = p.parse_args()
    next_num = [args.first]
    threads = [threading.Thread(target=worker, args=(args, next_num))
               for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


LOCK = threading.Lock()
main()

#!/usr/bin/env python3
# NAME
#	dayreplay.py - a recorded day of traffic for simulate_equals_daemon
# SYNOPSIS
#	dayreplay.py drive unix:SOCKET TIMEFILE BASE DB >PLAN.json
#	dayreplay.py daemon DB PLAN.json >DAEMON.json
#	dayreplay.py sim SIM.json PLAN.json >SIM_VIEW.json
# DESCRIPTION
#	drive: sends the day's messages to the daemon over the milter
#	protocol (rawmilter.py's client), one connection per message, as
#	an MTA would: CONNECT, HELO, MAIL with {auth_authen}, each RCPT,
#	then end-of-message when a recipient was accepted, else an abort.
#	Before each message it sets the daemon's clock (libfaketime,
#	FAKETIME_TIMESTAMP_FILE=TIMEFILE, re-read on every call) to the
#	message's planned time, BASE + its second of the day, and after it
#	waits until the daemon's writer has committed what the message
#	wrote to DB (the next message is minutes later on the day's
#	clock: the network counts and a block, read from committed rows,
#	must be there).  The
#	logins:
#	  hana  an honest user: six messages of 2-5 recipients
#	  sam   a spray: 100 one-recipient messages 70 s apart
#	  lena  a list moderator: 36 messages of 12 recipients 610 s apart
#	  nina  a stolen login from five networks in ten minutes, then
#	        once more three hours later
#	  vic   a stolen login writing to strangers: 50 one-recipient
#	        messages 75 s apart, each to someone new (new_rcpt, then
#	        the msg limit's refusals escalate to a block)
#	Prints the plan with what the daemon replied: JSON list of
#	{"t", "login", "addr", "rcpts", "accepted", "eom"}.
#
#	daemon: what the daemon decided, per login, from its events rows
#	(kinds limit, rcpt_cap, blocked); sim: the same view of
#	"outguardctl --json simulate".  Both print {login: {"trips":
#	{"metric window action": messages}, "first": index of the planned
#	message nearest the first trip, "refused": [messages,
#	recipients], "held": messages, "stamped": messages}}, so the
#	test compares the two with one string comparison.  A trip time is
#	mapped to the nearest planned message because the daemon stamps
#	an event at the end of the message and simulate uses the time
#	msg_log or session_log has, a second apart at most; planned
#	messages of a login are 70 s or more apart.
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fault"))
import rawmilter  # noqa: E402


def plan():
    """(second of the day, login, client address, recipients)"""
    p = []
    for i, (t, n) in enumerate([(300, 3), (3000, 2), (9000, 5),
                                (20000, 4), (40000, 2), (70000, 3)]):
        p.append((t, "hana", "192.0.2.10", n))
    for i in range(100):
        p.append((3600 + i * 70, "sam", "198.51.100.20", 1))
    for i in range(36):
        p.append((7200 + i * 610 + 5, "lena", "203.0.113.30", 12))
    for i in range(5):
        p.append((30000 + i * 120, "nina", "10.%d.0.40" % (i + 1), 1))
    p.append((30000 + 3 * 3600, "nina", "10.1.0.40", 1))
    for i in range(50):
        p.append((50000 + i * 75, "vic", "192.0.2.99", 1))
    p.sort()
    return p


def set_clock(timefile, when):
    """the daemon's clock to when (plus less than a second)"""
    tmp = timefile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%+d\n" % (when - int(time.time())))
    os.rename(tmp, timefile)


def one(sock, login, addr, rcpts, t):
    """one connection, one message; (recipients accepted, eom reply);
    vic writes to new people every time, the others to r0, r1, ..."""
    m = rawmilter.Milter(sock)
    m.connect(b"client.test", addr.encode())
    m.login = login.encode()
    m.qid = None
    m.mail(b"<" + login.encode() + b"@example.org>")
    ok = 0
    for i in range(rcpts):
        if login == "vic":
            r = m.rcpt(b"<s%d.%d@example.net>" % (t, i))
        else:
            r = m.rcpt(b"<r%d@example.net>" % i)
        ok += r in ("continue", None)
    eom = None
    if ok > 0:
        eom = m.eom(b"")
    else:
        m.send(b"A")
    m.send(b"Q")
    m.sock.close()
    return ok, eom


def count(con, sql, *args):
    return con.execute(sql, args).fetchone()[0]


def committed(con, sessions, msgs, login, events):
    """wait (up to 30 s) until the writer has committed the message:
    its session, its msg_log row, and when it was refused its events
    row, the last of its writes (the queue is in order)"""
    for _ in range(3000):
        if (count(con, "SELECT count(*) FROM session_log") >= sessions
                and count(con, "SELECT count(*) FROM msg_log") >= msgs
                and (events is None or count(
                    con, "SELECT count(*) FROM events WHERE login = ?",
                    login) > events)):
            return
        time.sleep(0.01)


def drive(sock, timefile, base, db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    out = []
    stored = 0
    for t, login, addr, rcpts in plan():
        set_clock(timefile, base + t)
        ev = count(con, "SELECT count(*) FROM events WHERE login = ?", login)
        ok, eom = one(sock, login, addr, rcpts, t)
        stored += ok > 0
        committed(con, len(out) + 1, stored, login,
                  ev if ok < rcpts else None)
        out.append({"t": base + t, "login": login, "addr": addr,
                    "rcpts": rcpts, "accepted": ok, "eom": eom})
    con.close()
    json.dump(out, sys.stdout, indent=1)


def nearest(planned, login, ts):
    """index (among login's planned messages) of the one nearest ts"""
    times = [p["t"] for p in planned if p["login"] == login]
    return min(range(len(times)), key=lambda i: abs(times[i] - ts))


def view():
    return {"trips": {}, "first": None, "refused": [0, 0], "held": 0,
            "stamped": 0}


def daemon(db, planned):
    """the daemon's decisions from events"""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    logins = {}
    first = {}
    for ts, login, kind, action, detail in con.execute(
            "SELECT ts, login, kind, action, detail FROM events WHERE "
            "kind IN ('limit', 'rcpt_cap', 'blocked') ORDER BY id"):
        v = logins.setdefault(login, view())
        first[login] = min(first.get(login, ts), ts)
        if kind == "blocked":
            key = "blocked 0 " + action
        else:
            m = re.match(r"(\w+) \d+>\d+(?:/(\d+)s)?", detail)
            key = "%s %s %s" % (m.group(1), m.group(2) or 0, action)
        v["trips"][key] = v["trips"].get(key, 0) + 1
        r = re.search(r"refused (\d+) of \d+ recipients", detail)
        if r:
            v["refused"][0] += 1
            v["refused"][1] += int(r.group(1))
        v["held"] += action == "quarantine"
        v["stamped"] += action == "header"
    for login, ts in first.items():
        logins[login]["first"] = nearest(planned, login, ts)
    return logins


def sim(out, planned):
    """the same view of simulate's JSON"""
    logins = {}
    for t in out["trips"]:
        v = logins.setdefault(t["login"], view())
        key = "%s %d %s" % (t["metric"], t["window_s"], t["action"])
        v["trips"][key] = t["msgs"]
    for r in out["logins"]:
        v = logins.setdefault(r["login"], view())
        v["first"] = nearest(planned, r["login"], r["first_epoch"])
        v["refused"] = [r["refused_msgs"], r["refused_rcpts"]]
        v["held"] = r["held_msgs"]
        v["stamped"] = r["stamped_msgs"]
    return logins


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "drive":
        drive(sys.argv[2][5:], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 4 and sys.argv[1] in ("daemon", "sim"):
        with open(sys.argv[3]) as f:
            planned = json.load(f)
        if sys.argv[1] == "daemon":
            v = daemon(sys.argv[2], planned)
        else:
            with open(sys.argv[2]) as f:
                v = sim(json.load(f), planned)
        json.dump(v, sys.stdout, sort_keys=True)
        print()
    else:
        print("usage: see the header of dayreplay.py", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

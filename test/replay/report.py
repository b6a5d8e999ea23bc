#!/usr/bin/env python3
# NAME
#	report.py - the replay's clock check, table and harness checks
# SYNOPSIS
#	report.py --logs DIR --db DB --speed X --speed-only [--label L]
#	report.py --logs DIR --db DB --speed X --maillog FILE --sink DIR
#	    --hold FILE [--check]
# DESCRIPTION
#	Reads what test/replay/run-replay.sh collected: the senders' logs
#	(DIR/SHAPE.jsonl, written by replay.py), the daemon's database,
#	the private Postfix's maillog, smtp-sink's dump files and
#	"postqueue -j" of the end of the run (FILE).
#
#	The daemon's clock: every message the daemon stored in msg_log
#	is matched by queue id to the real times its sender started it
#	(t0) and saw "queued as" (t); a least-squares line through the
#	middles gives simulated = A + B x real, B the effective speed-up.
#	The first and the last message bound B whatever the delays inside
#	their [t0, t] (a loaded machine): when no B within 10% of --speed
#	fits them, the run is not to be trusted (exit 3).  --speed-only stops there (after
#	the calibration shape "clock").  The line also turns a shape's
#	real start into the daemon's time, for the time to block.
#
#	The table, one row per shape (simulated minutes since the
#	shape's start):
#	  sent       messages / recipients the sender tried
#	  delivered  messages / recipients Postfix delivered to smtp-sink
#	             (status=sent in the maillog, by envelope sender)
#	  1st ref    first reply refusing a recipient or the message
#	  blocked    users.changed of a blocked login, or the first
#	             events row with action block, whichever is first
#	  refused    messages with any refusal / recipients refused
#	  held       messages in Postfix's hold queue at the end
#	  stamped    delivered messages with the X-Outguard header
#	  events     the login's rows in events
#	  target     attacks: <= 300 recipients delivered and blocked
#	             within 15 minutes; honest: nothing refused, held or
#	             stamped.  PASS or MISS with the reasons: data, never
#	             the exit status.
#	Then the daemon's own counts per login (msg_log, session_log,
#	users.status) and the senders' delays.
#
#	--check: the harness checks of the smoke test, one "ok"/"FAIL"
#	line each: every planned message of every shape got a reply, no
#	session failed to connect or authenticate, the daemon recorded
#	sessions of every shape, the calibration messages were delivered
#	and stamped nothing unexpected.  Exit 1 when one fails.
# DIAGNOSTICS
#	Exit 0, 1 (a --check failed), 3 (the clock is off), 2 (usage).
import argparse
import glob
import json
import os
import re
import sqlite3
import sys

DOMAIN = "example.test"
ATTACK_RCPTS = 300
ATTACK_BLOCK_MIN = 15.0
TOLERANCE = 0.10


def load_logs(d):
    """{shape: {"start", "end", "late", "planned", "msgs": [...]}}"""
    shapes = {}
    for f in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
        name = os.path.basename(f)[:-len(".jsonl")]
        sh = {"msgs": [], "start": None, "end": None, "late": 0,
              "planned": 0}
        with open(f) as fh:
            for line in fh:
                try:
                    o = json.loads(line)
                except ValueError:
                    continue
                if "start" in o:
                    sh["start"] = o["start"]
                    sh["planned"] = o.get("planned", 0)
                elif "end" in o:
                    sh["end"], sh["late"] = o["end"], o.get("late", 0)
                else:
                    sh["msgs"].append(o)
        shapes[name] = sh
    return shapes


def fit_clock(shapes, db):
    """the daemon's clock against real time, from msg_log.ts and the
    senders' times of the same queue ids: a dict with the line
    simulated = a + b x real (least squares on the middle of each
    message's [t0, t]), its worst residual, and the bounds lo..hi of
    the slope that the first and last message allow whatever the
    delays inside their [t0, t] (ts is whole seconds: +-1); None
    without two messages"""
    real = {}
    for sh in shapes.values():
        for m in sh["msgs"]:
            if m.get("qid"):
                real[m["qid"]] = (m.get("t0", m["t"]), m["t"])
    pts = sorted((real[q], ts) for q, ts in
                 db.execute("SELECT queue_id, ts FROM msg_log")
                 if q in real)
    if len(pts) < 2:
        return None
    xy = [((t0 + t) / 2, ts) for (t0, t), ts in pts]
    n = len(xy)
    mx = sum(p[0] for p in xy) / n
    my = sum(p[1] for p in xy) / n
    sxx = sum((p[0] - mx) ** 2 for p in xy)
    if sxx <= 0:
        return None
    b = sum((p[0] - mx) * (p[1] - my) for p in xy) / sxx
    a = my - b * mx
    (f0, f1), fts = pts[0]
    (l0, l1), lts = pts[-1]
    lo = (lts - fts - 1) / (l1 - f0)
    hi = (lts - fts + 1) / (l0 - f1) if l0 > f1 else float("inf")
    return {"a": a, "b": b, "n": n, "lo": lo, "hi": hi,
            "worst": max(abs(a + b * x - y) for x, y in xy)}


def check_speed(fit, speed, what):
    """print the measured speed-up; False when it is surely more than
    TOLERANCE off (when no slope within TOLERANCE fits the messages)"""
    if fit is None:
        print("faketime: cannot measure the daemon's clock (%s): no "
              "message of the senders in msg_log" % what)
        return False
    ok = (fit["lo"] <= speed * (1 + TOLERANCE) and
          fit["hi"] >= speed * (1 - TOLERANCE))
    print("faketime (%s): the daemon's clock ran x%.2f (x%.2f..x%.2f; want"
          " x%g +-%d%%), %d messages, worst residual %.0f simulated s: %s"
          % (what, fit["b"], fit["lo"], fit["hi"], speed, TOLERANCE * 100,
             fit["n"], fit["worst"],
             "ok" if ok else "OFF, the run cannot be trusted"))
    return ok


def parse_maillog(path):
    """{sender: [delivered messages, delivered recipients]}"""
    sender, sent = {}, {}
    rx_from = re.compile(r" ([0-9A-F]+): from=<([^>]*)>")
    rx_sent = re.compile(r"/smtp\[\d+\]: ([0-9A-F]+): to=<.*status=sent")
    with open(path, errors="replace") as fh:
        for line in fh:
            m = rx_from.search(line)
            if m:
                sender[m.group(1)] = m.group(2).lower()
                continue
            m = rx_sent.search(line)
            if m:
                sent[m.group(1)] = sent.get(m.group(1), 0) + 1
    out = {}
    for qid, n in sent.items():
        s = out.setdefault(sender.get(qid, "?"), [0, 0])
        s[0] += 1
        s[1] += n
    return out


def parse_sink(d):
    """{sender: [dump files, recipients, files with X-Outguard]}"""
    out = {}
    for f in glob.glob(os.path.join(d, "msg.*")):
        sender, rcpts, stamped = "?", 0, 0
        with open(f, errors="replace") as fh:
            for line in fh:
                if line.startswith("X-Mail-Args: <"):
                    sender = line[14:].split(">")[0].lower()
                elif line.startswith("X-Rcpt-Args:"):
                    rcpts += 1
                elif line.lower().startswith("x-outguard:"):
                    stamped = 1
        s = out.setdefault(sender, [0, 0, 0])
        s[0] += 1
        s[1] += rcpts
        s[2] += stamped
    return out


def parse_hold(path):
    """{sender: messages in the hold queue}"""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as fh:
        for line in fh:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get("queue_name") == "hold":
                s = o.get("sender", "?").lower()
                out[s] = out.get(s, 0) + 1
    return out


def db_rows(db, sql, *args):
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.Error:
        return []


def daemon_view(db, login, since):
    """the daemon's counts since then (not the history's), and the
    simulated time of the block"""
    v = {}
    r = db_rows(db, "SELECT count(*), ifnull(sum(rcpts), 0) FROM msg_log "
                "WHERE login = ? COLLATE NOCASE AND ts >= ?", login, since)
    v["msgs"], v["rcpts"] = r[0] if r else (0, 0)
    r = db_rows(db, "SELECT count(*) FROM session_log WHERE login = ? "
                "COLLATE NOCASE AND ts >= ?", login, since)
    v["sessions"] = r[0][0] if r else 0
    r = db_rows(db, "SELECT count(*) FROM events WHERE login = ? "
                "COLLATE NOCASE AND ts >= ?", login, since)
    v["events"] = r[0][0] if r else 0
    r = db_rows(db, "SELECT status, changed FROM users WHERE login = ? "
                "COLLATE NOCASE", login)
    v["status"] = r[0][0] if r else "active"
    blocks = []
    if r and r[0][0] == "blocked" and r[0][1] is not None:
        blocks.append(r[0][1])
    r = db_rows(db, "SELECT min(ts) FROM events WHERE login = ? COLLATE "
                "NOCASE AND action = 'block'", login)
    if r and r[0][0] is not None:
        blocks.append(r[0][0])
    v["block_ts"] = min(blocks) if blocks else None
    return v


def kind_of(name):
    return {"steady": "attack", "sessions": "attack", "bcc": "attack",
            "probe": "attack", "office": "honest", "roaming": "honest",
            "moderator": "honest", "clock": "calib"}.get(name, "?")


def minutes(x):
    return "-" if x is None else "%.1f" % x


def shape_row(name, sh, fit, speed, mail, sink, hold, db, since):
    """the figures of one shape"""
    b = fit["b"] if fit else speed
    a = fit["a"] if fit else 0
    sender = "%s@%s" % (name, DOMAIN)
    msgs = sh["msgs"]
    row = {"name": name, "kind": kind_of(name)}
    row["sent_m"] = len(msgs)
    row["sent_r"] = sum(m["tried"] for m in msgs)
    row["del_m"], row["del_r"] = mail.get(sender, [0, 0])
    s = sink.get(sender, [0, 0, 0])
    row["sink_m"], row["sink_r"], row["stamped"] = s
    row["held"] = hold.get(sender, 0)
    refused = [m for m in msgs if m.get("refused", 0) > 0]
    row["ref_m"] = len(refused)
    row["ref_r"] = sum(m["refused"] for m in refused)
    start = sh["start"]
    row["first_ref"] = (min(m["t"] for m in refused) - start) * b / 60 \
        if refused and start else None
    v = daemon_view(db, name, since)
    row["daemon"] = v
    row["blocked"] = None
    if v["block_ts"] is not None and start:
        row["blocked"] = (v["block_ts"] - (a + b * start)) / 60
    row["errors"] = sum(1 for m in msgs if m.get("stage") in
                        ("ERR", "SESSION"))
    row["late"] = sh["late"]
    row["planned"] = sh["planned"]
    row["ended"] = sh["end"] is not None
    miss = []
    if row["kind"] == "attack":
        if row["del_r"] > ATTACK_RCPTS:
            miss.append("%d rcpts > %d" % (row["del_r"], ATTACK_RCPTS))
        if row["blocked"] is None:
            miss.append("not blocked")
        elif row["blocked"] > ATTACK_BLOCK_MIN:
            miss.append("blocked after %.0f min" % row["blocked"])
    elif row["kind"] == "honest":
        for k, what in (("ref_m", "refused"), ("held", "held"),
                        ("stamped", "stamped")):
            if row[k]:
                miss.append("%d %s" % (row[k], what))
    row["result"] = "MISS: " + ", ".join(miss) if miss else "PASS"
    return row


ORDER = ("steady", "sessions", "bcc", "probe", "office", "roaming",
         "moderator")


def print_table(rows):
    hdr = ("shape", "kind", "sent m/r", "delivered m/r", "1st ref",
           "blocked", "refused m/r", "held", "stamped", "events", "target")
    fmt = "%-9s %-6s %11s %13s %7s %7s %11s %4s %7s %6s  %s"
    print(fmt % hdr)
    for r in rows:
        print(fmt % (r["name"], r["kind"],
                     "%d/%d" % (r["sent_m"], r["sent_r"]),
                     "%d/%d" % (r["del_m"], r["del_r"]),
                     minutes(r["first_ref"]), minutes(r["blocked"]),
                     "%d/%d" % (r["ref_m"], r["ref_r"]), r["held"],
                     r["stamped"], r["daemon"]["events"], r["result"]))
    print("(times in simulated minutes from the shape's start; m/r = "
          "messages/recipients)")
    print()
    fmt = "%-9s %9s %9s %9s %8s %13s %9s"
    print(fmt % ("login", "msg_log m", "msg_log r", "sessions", "status",
                 "sink m/r", "late (s)"))
    for r in rows:
        d = r["daemon"]
        print(fmt % (r["name"], d["msgs"], d["rcpts"], d["sessions"],
                     d["status"], "%d/%d" % (r["sink_m"], r["sink_r"]),
                     "%.0f" % r["late"]))
    print("(the daemon's msg_log, session_log and users.status; the "
          "messages and recipients smtp-sink dumped; the largest delay "
          "of a sender behind its schedule, simulated seconds)")


def harness_checks(rows, clock):
    """the smoke test's checks; the number that failed"""
    failed = 0

    def check(ok, what):
        nonlocal failed
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        failed += 0 if ok else 1

    for r in rows:
        n = r["name"]
        check(r["ended"] and r["sent_m"] >= r["planned"] > 0,
              "%s: every planned message sent (%d of %d)"
              % (n, r["sent_m"], r["planned"]))
        check(r["errors"] == 0, "%s: no session failed to connect or "
              "authenticate (%d did)" % (n, r["errors"]))
        check(r["daemon"]["sessions"] > 0,
              "%s: the daemon recorded its sessions (%d in session_log)"
              % (n, r["daemon"]["sessions"]))
        check(r["del_m"] == r["sink_m"],
              "%s: the maillog and smtp-sink agree on delivered messages "
              "(%d, %d)" % (n, r["del_m"], r["sink_m"]))
    if clock is not None:
        n = clock["planned"]
        check(n > 0 and clock["del_m"] == n and clock["del_r"] == n,
              "clock: the %d calibration messages delivered (%d)"
              % (n, clock["del_m"]))
    return failed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--logs", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--speed", type=float, default=30.0)
    p.add_argument("--speed-only", action="store_true")
    p.add_argument("--label", default="calibration")
    p.add_argument("--maillog")
    p.add_argument("--sink")
    p.add_argument("--hold")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    shapes = load_logs(a.logs)
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=10)
    fit = fit_clock(shapes, db)
    speed_ok = check_speed(fit, a.speed, a.label if a.speed_only
                           else "whole run")
    if a.speed_only:
        return 0 if speed_ok else 3
    if not (a.maillog and a.sink):
        p.print_usage(sys.stderr)
        return 2
    mail = parse_maillog(a.maillog)
    sink = parse_sink(a.sink)
    hold = parse_hold(a.hold)
    names = [n for n in ORDER if n in shapes]
    names += sorted(n for n in shapes if n not in ORDER and n != "clock")
    # the replay's first minute in the daemon's time: what is older is
    # the history (replay.py --history), two simulated days before
    first = min(sh["start"] for sh in shapes.values() if sh["start"])
    since = int(fit["a"] + fit["b"] * first) - 60 if fit else 0
    rows = [shape_row(n, shapes[n], fit, a.speed, mail, sink, hold, db,
                      since) for n in names]
    clock = shape_row("clock", shapes["clock"], fit, a.speed, mail, sink,
                      hold, db, since) if "clock" in shapes else None
    print()
    print_table(rows)
    print()
    if not speed_ok:
        return 3
    if a.check:
        return 1 if harness_checks(rows, clock) else 0
    return 0


sys.exit(main())

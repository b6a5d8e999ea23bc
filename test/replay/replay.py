#!/usr/bin/env python3
# NAME
#	replay.py - one sender shape of the replay, in compressed time
# SYNOPSIS
#	replay.py --list
#	replay.py SHAPE --port PORT --password PW --out FILE
#	    [--speed 30] [--minutes M] [--seed N] [--tag TAG] [--history]
# DESCRIPTION
#	Plays one shape of test/replay/run-replay.sh: an attacker or an
#	honest user, as a schedule of SMTP sessions in simulated time,
#	sent to 127.0.0.1:PORT with AUTH PLAIN as the login named like
#	the shape (envelope sender SHAPE@example.test).  Simulated second
#	S is sent at real second S / SPEED after the start, so that a
#	daemon whose clock runs SPEED times fast (libfaketime) sees the
#	simulated rates.  A session that starts late (the machine is
#	slow) starts at once; the largest delay is reported.  --minutes
#	keeps only the first M simulated minutes (the --quick smoke).
#	Each session binds its own client address in 127.0.0.0/8, so
#	the daemon sees the shape's networks (a /24 each).
#
#	FILE gets one JSON object a line: {"start": T} first, then one
#	per message: planned simulated second (sim), real time before
#	its session or MAIL (t0) and of the outcome (t), client address, recipients tried, accepted (ok)
#	and refused, the reply that decided the message (code, stage
#	MAIL/RCPT/DATA/EOD/SESSION/ERR, text) and the queue id when
#	accepted; last {"end": T, "late": S}, S the largest delay in
#	simulated seconds.  A refused recipient does not stop the
#	message (the other recipients go on, as a spam tool's would); a
#	refused MAIL or a message without any accepted recipient skips
#	DATA.  Honest clients do not retry: the report counts what was
#	refused.
# SHAPES
#	Attacks (after the incidents of SPEC section 1, scaled):
#	  steady     1-recipient messages, 14 a minute for 2.5 h, up to 20
#	             per session, one network, Reply-To a freemail box
#	  sessions   a session per message (AUTH, 1 message, 1 recipient,
#	             QUIT), 20 a minute for 2 h: 2,400 sessions (the
#	             incident's 18,640 in 2 h is 155 a minute, too many
#	             to replay at x30 on a small machine)
#	  bcc        200 Bcc recipients per message, 2 messages a minute for
#	             2 h, rotating over 5 networks, Reply-To freemail
#	  probe      10, 20, 40, 80, 100 recipients, repeating, a message
#	             every 2 minutes for 2 h
#	Honest users:
#	  office     40 messages over 6 h, 1-5 recipients, mostly among 30
#	             contacts (1 in 10 recipients new), one network
#	  roaming    20 messages over 6 h, 1-3 recipients among 15
#	             contacts, from 3 networks (home, mobile, hotel)
#	  moderator  6 messages x 90 recipients (a fixed list), one every
#	             10 minutes
#	And the calibration shape clock: 5 messages, 90 simulated seconds
#	apart, that run-replay.sh uses to check the daemon's clock speed.
#
#	--history plays the day the login had before instead (6 h): an
#	honest shape's own day (another seed: other times, the same
#	contacts), and for an attack the account's owner's: 30 messages of
#	1-3 recipients among 25 contacts, from the shape's first network,
#	without Reply-To.  So that a stolen account has its owner's history
#	and an honest user its own (contacts, usual peaks) before the replay.
# DIAGNOSTICS
#	Exit 0 when the schedule was played (whatever the replies were);
#	2 on bad arguments.
import argparse
import json
import random
import smtplib
import sys
import time

DOMAIN = "example.test"
FREEMAIL = "gmail.com"
STRANGER_DOMAINS = ("example.net", "example.org", "example.com")
# From: display names: people's names (the shape's own name could name a
# protected brand: "Office" is office.com, and would be stamped)
DISPLAY = {"clock": "Clock Check", "steady": "Dana Reyes",
           "sessions": "Lee Park", "bcc": "Kim Novak", "probe": "Alex Moreau",
           "office": "Olga Berg", "roaming": "Rui Costa",
           "moderator": "List Moderator"}


class Session:
    """one SMTP session planned at simulated second sim"""

    def __init__(self, sim, src, msgs, reuse=0):
        self.sim = sim
        self.src = src
        self.msgs = msgs  # a list of recipient lists
        self.reuse = reuse  # keep the connection for up to N messages


def stranger(n):
    """the n-th address an attacker writes to"""
    return "v%d@%s" % (n, STRANGER_DOMAINS[n % len(STRANGER_DOMAINS)])


def shape_clock(rng):
    return [Session(90 * i, "127.9.0.7", [["clock%d@example.net" % i]])
            for i in range(5)]


def shape_steady(rng):
    n = 14 * 150
    return [Session(i * 60.0 / 14, "127.10.0.7", [[stranger(i)]], reuse=20)
            for i in range(n)]


def shape_sessions(rng):
    return [Session(i * 3.0, "127.11.0.7", [[stranger(i)]])
            for i in range(20 * 120)]


def shape_bcc(rng):
    out = []
    for i in range(2 * 120):
        rcpts = [stranger(i * 200 + j) for j in range(200)]
        out.append(Session(i * 30.0, "127.12.%d.7" % (i % 5 + 1), [rcpts]))
    return out


def shape_probe(rng):
    sizes = (10, 20, 40, 80, 100)
    out, k = [], 0
    for i in range(60):
        n = sizes[i % len(sizes)]
        out.append(Session(i * 120.0, "127.13.0.7",
                           [[stranger(k + j) for j in range(n)]]))
        k += n
    return out


def pick_contacts(rng, contacts, n, p_new, new_prefix):
    """n distinct recipients: mostly contacts (the first ones more often)"""
    weights = [1.0 / (i + 1) for i in range(len(contacts))]
    out = []
    while len(out) < n:
        if rng.random() < p_new:
            a = "%s%d@example.org" % (new_prefix, rng.randrange(10 ** 6))
        else:
            a = rng.choices(contacts, weights)[0]
        if a not in out:
            out.append(a)
    return out


def spread(rng, n, first, last):
    """n sorted simulated seconds: first, then random up to last"""
    return [first] + sorted(rng.uniform(first, last) for _ in range(n - 1))


def shape_office(rng):
    contacts = ["colleague%d@partner.example.org" % i for i in range(30)]
    out = []
    for t in spread(rng, 40, 120, 360 * 60):
        n = rng.choices((1, 2, 3, 4, 5), (50, 25, 12, 8, 5))[0]
        out.append(Session(t, "127.20.0.7",
                           [pick_contacts(rng, contacts, n, 0.1, "new")]))
    return out


def shape_roaming(rng):
    contacts = ["friend%d@example.org" % i for i in range(15)]
    nets = ("127.21.1.7", "127.21.2.7", "127.21.3.7")
    out = []
    for i, t in enumerate(spread(rng, 20, 180, 360 * 60)):
        n = rng.choices((1, 2, 3), (60, 30, 10))[0]
        net = nets[i % 3] if i < 3 else rng.choice(nets)
        out.append(Session(t, net, [pick_contacts(rng, contacts, n, 0.1,
                                                  "met")]))
    return out


def shape_moderator(rng):
    members = ["member%d@lists.example.org" % i for i in range(90)]
    return [Session(60 + 600 * i, "127.22.0.7", [members]) for i in range(6)]


def owner_day(rng, src):
    """an account owner's ordinary day: 30 messages to 25 contacts"""
    contacts = ["contact%d@owner.example.org" % i for i in range(25)]
    out = []
    for t in spread(rng, 30, 60, 360 * 60):
        n = rng.choices((1, 2, 3), (60, 30, 10))[0]
        out.append(Session(t, src, [pick_contacts(rng, contacts, n, 0.05,
                                                  "once")]))
    return out


def shape_history(name, rng):
    """the day the shape's login had before: its owner's, for an attack"""
    if SHAPES[name][0] == "honest":
        return SHAPES[name][1](rng)
    return owner_day(rng, SHAPES[name][1](random.Random(0))[0].src)


SHAPES = {
    "clock": ("calibration", shape_clock, False),
    "steady": ("attack", shape_steady, True),
    "sessions": ("attack", shape_sessions, False),
    "bcc": ("attack", shape_bcc, True),
    "probe": ("attack", shape_probe, False),
    "office": ("honest", shape_office, False),
    "roaming": ("honest", shape_roaming, False),
    "moderator": ("honest", shape_moderator, False),
}


class Player:
    """plays one shape's sessions and writes the outcome lines"""

    def __init__(self, args, reply_to):
        self.a = args
        self.reply_to = reply_to
        self.out = open(args.out, "w")
        self.conn = None
        self.conn_src = None
        self.conn_msgs = 0
        self.num = 0
        self.start = time.time()

    def log(self, obj):
        self.out.write(json.dumps(obj, sort_keys=True) + "\n")
        self.out.flush()

    def body(self, rcpts):
        """the message text, CRLF; Bcc mail has no To: recipients"""
        login = self.a.shape
        to = ("undisclosed-recipients:;" if len(rcpts) > 5
              else ", ".join(rcpts))
        h = ["From: %s <%s@%s>" % (DISPLAY.get(login, "Replay"), login,
                                    DOMAIN),
             "To: %s" % to,
             "Subject: replay %s %d" % (login, self.num),
             "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                                        time.gmtime()),
             "Message-Id: <replay.%s.%d.%s@%s>" % (login, self.num,
                                                   self.a.tag, DOMAIN),
             "X-Replay-Shape: %s" % login]
        if self.reply_to:
            h.append("Reply-To: <%s.%d@%s>" % (login, self.num, FREEMAIL))
        return "\r\n".join(h) + "\r\n\r\nReplay message %d.\r\n" % self.num

    def drop(self):
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.conn = None

    def connect(self, src):
        s = smtplib.SMTP(timeout=120, source_address=(src, 0))
        s.connect("127.0.0.1", self.a.port)
        s.ehlo("client.%s" % self.a.shape)
        s.login(self.a.shape, self.a.password)
        self.conn, self.conn_src, self.conn_msgs = s, src, 0

    def send(self, rcpts):
        """one transaction on self.conn: (code, stage, text, ok, qid)"""
        s = self.conn
        sender = "%s@%s" % (self.a.shape, DOMAIN)
        code, resp = s.mail(sender)
        if code != 250:
            return code, "MAIL", resp, 0, None
        ok, first_bad = 0, None
        for r in rcpts:
            c, resp = s.rcpt(r)
            if c in (250, 251):
                ok += 1
            elif first_bad is None:
                first_bad = (c, resp)
        if ok == 0:
            s.rset()
            return first_bad[0], "RCPT", first_bad[1], 0, None
        try:
            code, resp = s.data(self.body(rcpts))
        except smtplib.SMTPDataError as e:
            return e.smtp_code, "DATA", e.smtp_error, 0, None
        text = resp.decode("latin-1")
        if code != 250:
            return code, "EOD", resp, 0, None
        qid = text.split("queued as ")[-1].strip() \
            if "queued as" in text else None
        if first_bad is not None:
            return first_bad[0], "RCPT", first_bad[1], ok, qid
        return 250, "EOD", resp, ok, qid

    def message(self, sess, rcpts):
        self.num += 1
        rec = {"n": self.num, "sim": round(sess.sim, 1), "src": sess.src,
               "tried": len(rcpts), "t0": round(time.time(), 3)}
        try:
            if self.conn is None or self.conn_src != sess.src:
                self.drop()
                self.connect(sess.src)
            code, stage, text, ok, qid = self.send(rcpts)
            self.conn_msgs += 1
            if code == 421:
                self.conn = None
        except smtplib.SMTPResponseException as e:
            code, stage, text, ok, qid = (e.smtp_code, "SESSION",
                                          e.smtp_error, 0, None)
            self.conn = None
        except (smtplib.SMTPException, OSError) as e:
            code, stage, text, ok, qid = ("ERR", "ERR", "%s: %s" % (
                type(e).__name__, e), 0, None)
            self.conn = None
        if isinstance(text, bytes):
            text = text.decode("latin-1", "replace")
        rec.update(t=round(time.time(), 3), code=code, stage=stage,
                   text=" ".join(str(text).split())[:200], ok=ok,
                   refused=len(rcpts) - ok, qid=qid)
        self.log(rec)

    def play(self, sessions):
        self.log({"start": self.start, "shape": self.a.shape,
                  "speed": self.a.speed, "planned": len(sessions)})
        late = 0.0
        for sess in sessions:
            due = self.start + sess.sim / self.a.speed
            now = time.time()
            if now < due:
                time.sleep(due - now)
            else:
                late = max(late, (now - due) * self.a.speed)
            for rcpts in sess.msgs:
                self.message(sess, rcpts)
            if not sess.reuse or self.conn_msgs >= sess.reuse:
                self.drop()
        self.drop()
        self.log({"end": time.time(), "late": round(late, 1)})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shape", nargs="?")
    p.add_argument("--list", action="store_true")
    p.add_argument("--port", type=int)
    p.add_argument("--password", default="secret")
    p.add_argument("--out")
    p.add_argument("--speed", type=float, default=30.0)
    p.add_argument("--minutes", type=float, default=0)
    p.add_argument("--seed", type=int, default=10)
    p.add_argument("--tag", default="run")
    p.add_argument("--history", action="store_true")
    a = p.parse_args()
    if a.list:
        for name, (kind, _, _) in SHAPES.items():
            print(name, kind)
        return 0
    if a.shape not in SHAPES or not a.port or not a.out:
        p.print_usage(sys.stderr)
        return 2
    kind, make, reply_to = SHAPES[a.shape]
    rng = random.Random("%s-%d%s" % (a.shape, a.seed,
                                     "-history" if a.history else ""))
    if a.history:
        if kind == "calibration":
            return 0
        reply_to = False
        sessions = shape_history(a.shape, rng)
    else:
        sessions = make(rng)
    if a.minutes > 0:
        sessions = [s for s in sessions if s.sim < a.minutes * 60]
    Player(a, reply_to).play(sessions)
    return 0


sys.exit(main())

/*
 * NAME
 *	simulate - replay stored history through the limits engine
 * SYNOPSIS
 *	#include "simulate.h"
 * DESCRIPTION
 *	Back-testing (outguardctl simulate): a login's history - the
 *	sessions of session_log and the messages of msg_log, in time order
 *	- goes through engine_decide() with a policy snapshot, the way the
 *	guard sends a live message: the session is counted before its
 *	messages, each recipient is asked with the sliding windows' counts
 *	of what was accepted before it (the message's own accepted
 *	recipients included), a refused recipient is not counted, the most
 *	severe action wins, a login on watch has its thresholds halved and
 *	a block limit blocks the login for the rest of the replay.
 *
 *	The history holds only what was accepted or held: a message the
 *	live policy refused entirely is not in msg_log.  A session with no
 *	stored message (all its mail was refused) is replayed as an
 *	attempt of one recipient; a recipient refused live is unknown.  A
 *	stricter policy therefore shows every extra trip, a looser one
 *	cannot show what refused mail would have done.
 *
 *	The detection metrics (SPEC 6.1): refused counts the replay's own
 *	refusals as the guard counts them (not a block, not a blocked
 *	login's, not the per-message cap), so a stricter policy escalates
 *	sooner; new_rcpt takes each message's new recipients as the live
 *	contact memory had them (msg_log.new_rcpt, at most its accepted
 *	recipients), decided at end-of-message as guard_eom does (a
 *	refusing verdict holds the message); bounce takes the live
 *	bounces of counts.
 *
 *	No I/O and no SQLite: the caller streams one login at a time
 *	(sim_login_begin, sim_add..., sim_login_end), so memory is bounded
 *	by the largest login's history, and reads the results.
 */
#ifndef OUTGUARD_SIMULATE_H
#define OUTGUARD_SIMULATE_H

#include "engine.h"
#include "policy.h"

enum sim_kind { SIM_SESSION = 0, SIM_MESSAGE = 1, SIM_BOUNCE = 2 };

/* One row of history. */
struct sim_record {
	long long ts;
	enum sim_kind kind;
	int rcpts; /* SIM_MESSAGE: the recipients stored; SIM_BOUNCE: bounces */
	const char *client_addr; /* NULL or "": none; copied */
	int new_rcpt; /* SIM_MESSAGE: of its recipients, new to the login */
};

/* A login's users row, as the replay starts. */
struct sim_user {
	const char *class_name; /* NULL: default; copied */
	enum user_status status;
	long long status_from; /* status holds after this (0: always) */
};

/* What one limits row (or a block) did to a login. */
struct sim_trip {
	long limit_id; /* 0 with kind VERDICT_BLOCKED */
	enum verdict_kind kind;
	enum metric metric;
	long window_s;
	long threshold; /* effective (halved on watch) when first hit */
	enum action action;
	long long first; /* when it first decided */
	long msgs;	 /* messages it decided */
	long rcpts;	 /* their recipients it refused, held or stamped */
};

/* A login that tripped something in the reported period. */
struct sim_login {
	char *login;
	long long first;   /* first trip */
	long long blocked; /* when a block limit blocked it, else 0 */
	long msgs, rcpts;  /* stored messages and recipients replayed */
	long refused_msgs, refused_rcpts;
	long held_msgs, held_rcpts;
	long stamped_msgs, stamped_rcpts;
	long attempts; /* sessions without stored mail, tried as 1 rcpt */
	struct sim_trip *trips;
	int ntrips;
};

/* Totals over every login replayed. */
struct sim_totals {
	long logins, sessions, msgs, rcpts; /* replayed in the period */
	long tripped;			    /* logins with a trip */
};

struct sim;

/*
 * sim_new - a replay with policy p (not copied: it must outlive the
 * replay) reporting what happens at or after from; rows before from
 * only fill the windows.  NULL when out of memory.
 */
struct sim *sim_new(const struct policy *p, long long from);

/* sim_login_begin - start login's history (ends the previous); 0/-1 */
int sim_login_begin(struct sim *s, const char *login, const struct sim_user *u);

/* sim_add - one row of the current login, any order; 0, or -1 (memory) */
int sim_add(struct sim *s, const struct sim_record *r);

/*
 * sim_login_end - replay the current login's rows in time order
 * (sessions before messages of the same second) and keep its result
 * when anything tripped at or after from; 0, or -1 (memory).
 */
int sim_login_end(struct sim *s);

/* sim_results - the logins that tripped, in the order replayed */
const struct sim_login *sim_results(const struct sim *s, int *n);

/* sim_totals - what was replayed */
void sim_totals_get(const struct sim *s, struct sim_totals *t);

/* sim_free - release everything; NULL is fine */
void sim_free(struct sim *s);

#endif

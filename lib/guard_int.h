/*
 * NAME
 *	guard_int - what guard_*.c share; not for other modules
 */
#ifndef OUTGUARD_GUARD_INT_H
#define OUTGUARD_GUARD_INT_H

#include <pthread.h>
#include <time.h>

#include "checks.h"
#include "engine.h"
#include "guard.h"
#include "notify.h"
#include "policy.h"
#include "store.h"
#include "webmail.h"

#define GUARD_ALERT_SLOTS 4096
#define GUARD_SEEN_SLOTS  8192
#define GUARD_BASELINES	  32 /* limits rows of a class with a baseline */

struct guard_alert_slot {
	char login[256];
	long limit_id;
	time_t until;
};

struct guard_bounce;

struct guard {
	struct conf conf;
	struct store *store;
	struct guard_bounce *bounce; /* the MailLog follower, or NULL */
	struct notify *notify;
	pthread_t watcher;
	int watcher_running;
	int stopping;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	pthread_mutex_t alert_lock;
	struct guard_alert_slot alerts[GUARD_ALERT_SLOTS];
	pthread_mutex_t scratch_lock; /* free PCRE2 scratches, reused */
	struct rules_scratch **scratch_pool;
	int nscratch, scratch_cap;
	pthread_mutex_t seen_lock; /* domains known to seen_domains */
	char (*seen)[128];	   /* GUARD_SEEN_SLOTS, open addressing */
	int nseen;
};

struct guard_conn {
	struct guard *g;
	char client_addr[64];
	char client_name[256];
	char helo[256];
	char session_login[256]; /* the login whose session is counted */
	char network[64];	 /* the origin's network key, "" if none */
	struct rules_scratch *scratch; /* PCRE2 match data */
	long long *hashes; /* the message's recipients' contact hashes */
	int hashes_cap;	   /* allocated, kept between messages */

	/* the current message; reset by msg_end() */
	int in_msg;
	struct policy *pol;
	char login[256]; /* "" when unauthenticated */
	char mail_from[512];
	char mail_from_domain[256];
	char queue_id[64];
	char subject[256]; /* decoded */
	char from_raw[1024];
	char reply_to_raw[1024];
	int defer;	       /* decide at end-of-message, not at RCPT */
	char origin[64];       /* the client counted: webmail's, else ours */
	unsigned webmail;      /* webmail_sources for the client (bits) */
	struct webmail_id wid; /* what their headers said */
	char message_id[256];  /* Message-Id of a deferred message */
	int counted_before;    /* that Message-Id was counted already */
	long rcpts_deferred;   /* recipients of a deferred message */
	struct check_finding rcpt_hit; /* worst refusing rcpt rule, deferred */
	int sender_allowed;	       /* user_senders lists the sender */
	struct check_finding env;      /* the envelope checks' finding */
	int env_reported;
	char rcpts[512]; /* the first recipients, for quarantine rows */
	struct store_user user;
	const struct policy_class *cls;
	struct window_counts counts[POLICY_MAX_WINDOWS]; /* at MAIL */
	struct store_mark mark; /* held from the counts' lookup to msg_end */
	int store_failed;
	long rcpts_ok; /* recipients accepted */
	long rcpts_refused;
	long refused_counted;		/* refusals for the refused metric */
	int nhashes;			/* hashes of this message */
	long msg_new_rcpt;		/* its recipients new to the login */
	int contacts_read;		/* hashes read: write nstale */
	int nstale;			/* hashes[0..nstale) to write */
	long baseline[GUARD_BASELINES]; /* usual peaks, per limits row */
	int baselined;			/* baseline[] read for cls */
	int reserved;		/* 1 once the message holds a reservation */
	struct verdict stage;	/* header/quarantine stage reached */
	struct verdict refusal; /* the worst refusal of a recipient */
	int done;		/* eom decided; nothing to release */
};

/* guard.c: the parts guard_eom.c shares ------------------------- */

/* guard_msg_end - report refusals, release the reservation, end */
void guard_msg_end(struct guard_conn *c);

/* guard_msg_facts - the checks' view of the envelope and connection */
void guard_msg_facts(const struct guard_conn *c, struct checks_msg *m);

/* guard_envelope_checks - the sender and connection checks */
void guard_envelope_checks(struct guard_conn *c);

/*
 * guard_lookup_user - read c->login's user and counts from the origin's
 * network; with session, count the connection's session first (once)
 */
void guard_lookup_user(struct guard_conn *c, time_t now, int session);

/* guard_store_verdict - 1 with v filled when the store failed */
int guard_store_verdict(struct guard_conn *c, struct verdict *v);

/*
 * guard_limits_decide - the engine's verdict for a message of msg_rcpts
 * recipients on the counts of the lookup and what other messages of the
 * login added since; call it holding store_login_lock()
 */
void guard_limits_decide(struct guard_conn *c, long msg_rcpts,
			 struct verdict *v);

/*
 * guard_count_refusal - n recipients refused with v: counted for the
 * refused metric unless the login is blocked, v blocks, or the store
 * failed
 */
void guard_count_refusal(struct guard_conn *c, const struct verdict *v, long n);

/* guard_contact_note - keep the contact hash of recipient addr */
void guard_contact_note(struct guard_conn *c, const char *addr);

/*
 * guard_contacts_count - at end-of-message: how many of the message's
 * msg_rcpts recipients are new to the login (one read) into
 * c->msg_new_rcpt; 1 when some are and the class limits new_rcpt
 */
int guard_contacts_count(struct guard_conn *c, long msg_rcpts);

/* guard_contacts_record - count new_rcpt and remember the recipients */
void guard_contacts_record(struct guard_conn *c, time_t now);

/*
 * guard_peaks_record - an accepted message of msg_rcpts recipients:
 * its counts are candidates for the login's daily peaks of the limits
 * with a baseline_factor (refused excepted)
 */
void guard_peaks_record(struct guard_conn *c, long msg_rcpts, time_t now);

/* guard_block_login - v is a limit's block: set the login blocked */
void guard_block_login(struct guard_conn *c, const struct verdict *v);

/* guard_tripwire - a refusing recipient rule: the login goes on watch */
void guard_tripwire(struct guard_conn *c, const struct check_finding *f);

/*
 * guard_bounce_start - follow the MTA's log source (a path or
 * "journal") from the position saved in s and count its bounces;
 * NULL with err when it cannot
 */
struct guard_bounce *guard_bounce_start(struct store *s, const char *source,
					char *err, size_t errlen);

/* guard_bounce_free - stop the follower; NULL is fine */
void guard_bounce_free(struct guard_bounce *b);

/* guard_watch_start - load the policy and start the watcher; 0 or -1 */
int guard_watch_start(struct guard *g, char *err, size_t errlen);

/* guard_watch_stop - stop the watcher */
void guard_watch_stop(struct guard *g);

/* guard_report - events row, log line and alert for one decision */
void guard_report(struct guard_conn *c, const struct verdict *v,
		  enum action action, const char *detail);

/*
 * guard_finding - what a check found: count the domain in seen_domains
 * (alerting the first time it is ever seen), and alert when asked
 */
void guard_finding(struct guard_conn *c, const struct check_finding *f);

/*
 * guard_alert_due - 1 when this trip of login should raise an alert: the
 * first of its key (login and v->limit_id) within window_s (0: an hour)
 */
int guard_alert_due(struct guard *g, const char *login, const struct verdict *v,
		    long window_s, time_t now);

/*
 * guard_trip - queue a trip of c's login (a decision that is not an
 * accept, a store error or a blocked login's refusal) for its incident;
 * before the decision's events and quarantine rows
 */
void guard_trip(struct guard_conn *c, enum action action, const char *kind,
		const char *reason);

/*
 * guard_respond - after a trip: block_command when a limit blocks the
 * login, and the alert mail when due; vars are the NotifyCommand
 * variables of the decision; window_s the deciding limit's (0: an hour)
 */
void guard_respond(struct guard_conn *c, const struct verdict *v,
		   enum action action, const char *const *vars, long window_s);

/* guard_reply - fill the SMTP reply for a refusing verdict */
void guard_reply_for(const struct policy *pol, const struct verdict *v,
		     enum action action, struct guard_reply *r);

#endif

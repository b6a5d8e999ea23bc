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

#define GUARD_ALERT_SLOTS 4096
#define GUARD_SEEN_SLOTS 8192

struct guard_alert_slot {
	char login[256];
	long limit_id;
	time_t until;
};

struct guard {
	struct conf conf;
	struct store *store;
	struct notify *notify;
	pthread_t watcher;
	int watcher_running;
	int stopping;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	pthread_mutex_t alert_lock;
	struct guard_alert_slot alerts[GUARD_ALERT_SLOTS];
	pthread_mutex_t scratch_lock;	/* free PCRE2 scratches, reused */
	struct rules_scratch **scratch_pool;
	int nscratch, scratch_cap;
	pthread_mutex_t seen_lock;	/* domains known to seen_domains */
	char (*seen)[128];		/* GUARD_SEEN_SLOTS, open addressing */
	int nseen;
};

struct guard_conn {
	struct guard *g;
	char client_addr[64];
	char client_name[256];
	char helo[256];
	char session_login[256]; /* the login whose session is counted */
	char network[64];	 /* the client's network key, "" if none */
	struct rules_scratch *scratch; /* PCRE2 match data */

	/* the current message; reset by msg_end() */
	int in_msg;
	struct policy *pol;
	char login[256];	/* "" when unauthenticated */
	char mail_from[512];
	char mail_from_domain[256];
	char queue_id[64];
	char subject[256];	/* decoded */
	char from_raw[1024];
	char reply_to_raw[1024];
	int defer;		/* decide at end-of-message, not at RCPT */
	int sender_allowed;	/* user_senders lists the sender */
	struct check_finding env; /* the envelope checks' finding */
	int env_reported;
	char rcpts[512];	/* the first recipients, for quarantine rows */
	struct store_user user;
	const struct policy_class *cls;
	struct window_counts counts[POLICY_MAX_WINDOWS]; /* at MAIL */
	struct store_mark mark;	/* held from the counts' lookup to msg_end */
	int store_failed;
	long rcpts_ok;		/* recipients accepted */
	long rcpts_refused;
	int reserved;		/* 1 once the message holds a reservation */
	struct verdict stage;	/* header/quarantine stage reached */
	struct verdict refusal;	/* the worst refusal of a recipient */
	int done;		/* eom decided; nothing to release */
};

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

/* guard_reply - fill the SMTP reply for a refusing verdict */
void guard_reply_for(const struct policy *pol, const struct verdict *v,
		     enum action action, struct guard_reply *r);

#endif

/*
 * NAME
 *	simulate - replay stored history through the limits engine
 * DESCRIPTION
 *	See simulate.h.  A login's rows are kept until sim_login_end(),
 *	sorted, and replayed once.  Each window of the login's class keeps
 *	a running sum of what was counted inside it (an index into the
 *	counted entries, advanced as time moves on) and how many sessions
 *	each client network has inside it, so a decision costs the
 *	windows, not the history.  Client addresses and their networks
 *	are interned per login: the network of an address is worked out
 *	once, with the simulated policy's prefixes and network_groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "simulate.h"
#include "strset.h"

/* A row of the current login; addr indexes the login's addresses. */
struct rec {
	long long ts;
	int kind, rcpts, addr, seq, new_rcpt;
};

/*
 * Something counted: a session, a message's accepted recipients (and
 * of them the new ones), refusals that count (metric refused), bounces.
 */
struct ent {
	long long ts;
	int msgs, rcpts, sess, net;
	int refused, new_rcpt, bounce;
};

/* A window of the class: its sums and the first entry inside it. */
struct win {
	long window_s;
	int lo;
	long msgs, rcpts, sess, refused, new_rcpt, bounce;
	int *netcnt; /* sessions per network inside the window */
	int ndist;   /* networks with a session inside */
};

struct sim {
	const struct policy *p;
	long long from;
	int open; /* a login is begun */
	char *login;
	char cls_name[64];
	enum user_status status;
	long long status_from;
	struct rec *recs;
	int nrecs, caprecs;
	struct strset addrs, nets;
	struct sim_login *res;
	int nres, capres;
	struct sim_totals tot;
};

/* One login's replay. */
struct replay {
	struct sim *s;
	const struct policy_class *cls;
	struct ent *ents;
	int nents;
	struct win w[POLICY_MAX_WINDOWS];
	int nw;
	int blocked;
	long long blocked_at;
	struct sim_login out;
};

/* sim_new - a replay over policy p */
struct sim *sim_new(const struct policy *p, long long from)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->p = p;
	s->from = from;
	return s;
}

/* sim_login_begin - start a login */
int sim_login_begin(struct sim *s, const char *login, const struct sim_user *u)
{
	if (s->open && sim_login_end(s) < 0)
		return -1;
	free(s->login);
	if ((s->login = strdup(login)) == NULL)
		return -1;
	snprintf(s->cls_name, sizeof(s->cls_name), "%s",
		 u && u->class_name ? u->class_name : "default");
	s->status = u ? u->status : USER_ACTIVE;
	s->status_from = u ? u->status_from : 0;
	s->nrecs = 0;
	strset_clear(&s->addrs);
	s->open = 1;
	return 0;
}

/* sim_add - keep a row of the current login */
int sim_add(struct sim *s, const struct sim_record *r)
{
	struct rec *grown;
	int a = -1;

	if (!s->open)
		return -1;
	if (s->nrecs == s->caprecs) {
		grown = realloc(s->recs,
				(s->caprecs * 2 + 64) * sizeof(*s->recs));
		if (grown == NULL)
			return -1;
		s->recs = grown;
		s->caprecs = s->caprecs * 2 + 64;
	}
	if (r->client_addr != NULL && r->client_addr[0] &&
	    (a = strset_add(&s->addrs, r->client_addr)) < 0)
		return -1;
	s->recs[s->nrecs].ts = r->ts;
	s->recs[s->nrecs].kind = r->kind;
	s->recs[s->nrecs].rcpts = r->rcpts > 0 ? r->rcpts : 0;
	s->recs[s->nrecs].addr = a;
	s->recs[s->nrecs].seq = s->nrecs;
	s->recs[s->nrecs].new_rcpt = r->new_rcpt > 0 ? r->new_rcpt : 0;
	s->nrecs++;
	return 0;
}

/* rec_cmp - time order, sessions first within a second, then as added */
static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return x->seq - y->seq;
}

/* limit_of - the class's limits row id */
static const struct policy_limit *limit_of(const struct policy_class *c,
					   long id)
{
	for (int i = 0; c != NULL && i < c->nlimits; i++)
		if (c->limits[i].id == id)
			return &c->limits[i];
	return NULL;
}

/*
 * status_at - the login's status at ts in the replay: active until the
 * users row's status was set (it holds after that second: the message
 * that set it live is decided by the replay), always when status_from
 * is 0; a block of the replay holds until a later live change (an
 * unblock) takes over
 */
static enum user_status status_at(const struct replay *rp, long long ts)
{
	long long from = rp->s->status_from;
	int live = from == 0 || ts > from;

	if (rp->blocked && !(live && from > rp->blocked_at))
		return USER_BLOCKED;
	return live ? rp->s->status : USER_ACTIVE;
}

/* advance - drop from each window what fell out of it by now */
static void advance(struct replay *rp, long long now)
{
	struct win *w;
	struct ent *e;

	for (int i = 0; i < rp->nw; i++) {
		w = &rp->w[i];
		while (w->lo < rp->nents &&
		       rp->ents[w->lo].ts <= now - w->window_s) {
			e = &rp->ents[w->lo++];
			w->msgs -= e->msgs;
			w->rcpts -= e->rcpts;
			w->sess -= e->sess;
			w->refused -= e->refused;
			w->new_rcpt -= e->new_rcpt;
			w->bounce -= e->bounce;
			if (e->net >= 0 && --w->netcnt[e->net] == 0)
				w->ndist--;
		}
	}
}

/* count - add an entry to every window (it is the newest) */
static void count(struct replay *rp, const struct ent *e)
{
	struct win *w;

	rp->ents[rp->nents++] = *e;
	for (int i = 0; i < rp->nw; i++) {
		w = &rp->w[i];
		w->msgs += e->msgs;
		w->rcpts += e->rcpts;
		w->sess += e->sess;
		w->refused += e->refused;
		w->new_rcpt += e->new_rcpt;
		w->bounce += e->bounce;
		if (e->net >= 0 && w->netcnt[e->net]++ == 0)
			w->ndist++;
	}
}

/*
 * decide - the engine's verdict for msg_rcpts recipients at ts, with
 * the message's counted refusals so far and its new recipients (known
 * at end-of-message only)
 */
static void decide(struct replay *rp, long long ts, int net, long msg_rcpts,
		   long msg_refused, long msg_new_rcpt, struct verdict *v)
{
	struct window_counts c[POLICY_MAX_WINDOWS] = { 0 };
	struct engine_input in = { 0 };

	for (int i = 0; i < rp->nw; i++) {
		c[i].window_s = rp->w[i].window_s;
		c[i].msgs = rp->w[i].msgs;
		c[i].rcpts = rp->w[i].rcpts;
		c[i].sessions = rp->w[i].sess;
		c[i].refused = rp->w[i].refused;
		c[i].new_rcpt = rp->w[i].new_rcpt;
		c[i].bounce = rp->w[i].bounce;
		c[i].networks = rp->w[i].ndist -
				(net >= 0 && rp->w[i].netcnt[net] > 0);
	}
	in.cls = rp->cls;
	in.status = status_at(rp, ts);
	in.counts = c;
	in.msg_rcpts = msg_rcpts;
	in.msg_refused = msg_refused;
	in.msg_new_rcpt = msg_new_rcpt;
	engine_decide(&in, v);
}

/*
 * counts_refusal - a refusal the metric refused counts, as the guard
 * has it (guard_count_refusal): not a block, not the refusals of a
 * blocked login, not the per-message cap
 */
static int counts_refusal(const struct replay *rp, const struct verdict *v,
			  long long ts)
{
	return v->kind != VERDICT_BLOCKED && v->kind != VERDICT_STORE &&
	       v->kind != VERDICT_RCPT_CAP && v->action != ACTION_BLOCK &&
	       status_at(rp, ts) != USER_BLOCKED;
}

/* has_new_rcpt - does the login's class limit new_rcpt? */
static int has_new_rcpt(const struct policy_class *cls)
{
	for (int i = 0; cls != NULL && i < cls->nlimits; i++)
		if (cls->limits[i].metric == METRIC_NEW_RCPT)
			return 1;
	return 0;
}

/* trip - account msgs/rcpts decided by v at ts; 0 or -1 (memory) */
static int trip(struct replay *rp, const struct verdict *v, long long ts,
		long msgs, long rcpts)
{
	const struct policy_limit *l = limit_of(rp->cls, v->limit_id);
	struct sim_login *o = &rp->out;
	struct sim_trip *t = NULL, *grown;

	if (ts < rp->s->from)
		return 0;
	for (int i = 0; i < o->ntrips && t == NULL; i++)
		if (o->trips[i].limit_id == v->limit_id &&
		    o->trips[i].kind == v->kind)
			t = &o->trips[i];
	if (t == NULL) {
		grown = realloc(o->trips, (o->ntrips + 1) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		o->trips = grown;
		t = &o->trips[o->ntrips++];
		memset(t, 0, sizeof(*t));
		t->limit_id = v->limit_id;
		t->kind = v->kind;
		t->action = l ? l->action : v->action;
		t->first = ts;
		if (l != NULL) {
			t->metric = l->metric;
			t->window_s = l->window_s;
			t->threshold = engine_threshold(l, status_at(rp, ts));
		}
	}
	t->msgs += msgs;
	t->rcpts += rcpts;
	if (o->first == 0 || ts < o->first)
		o->first = ts;
	return 0;
}

/* refused - the verdict is a refusal; a block limit blocks the login */
static int refused(struct replay *rp, const struct verdict *v, long long ts)
{
	if (!action_refuses(v->action))
		return 0;
	if (v->action == ACTION_BLOCK && v->kind == VERDICT_LIMIT &&
	    status_at(rp, ts) != USER_BLOCKED) {
		rp->blocked = 1;
		rp->blocked_at = ts;
		if (ts >= rp->s->from && rp->out.blocked == 0)
			rp->out.blocked = ts; /* the first block */
	}
	return 1;
}

/*
 * contacts - end-of-message: the limits with the message's new
 * recipients (as stored live), as guard_eom's eom_contacts has them: a
 * stage applies to the message, a refusing verdict holds it instead (a
 * block also blocks the login); 0, or -1 (memory)
 */
static int contacts(struct replay *rp, const struct rec *r, int net, long ok,
		    long counted, struct verdict *stage)
{
	long fresh = r->new_rcpt < ok ? r->new_rcpt : ok;
	struct verdict v;

	if (fresh == 0 || !has_new_rcpt(rp->cls) ||
	    status_at(rp, r->ts) == USER_BLOCKED)
		return 0;
	decide(rp, r->ts, net, ok, counted, fresh, &v);
	if (v.action <= stage->action)
		return 0;
	if (action_refuses(v.action)) {
		refused(rp, &v, r->ts); /* a block blocks the login */
		v.action = ACTION_QUARANTINE;
	}
	*stage = v;
	return 0;
}

/*
 * message - one stored message, recipient by recipient as guard_rcpt
 * asks; the accepted ones are counted and its stage applied
 */
static int message(struct replay *rp, const struct rec *r, int net)
{
	struct verdict v, stage, refusal;
	long ok = 0, no = 0, counted = 0;
	struct ent e = { r->ts, 1, 0, 0, -1, 0, 0, 0 };
	int in = r->ts >= rp->s->from;

	memset(&stage, 0, sizeof(stage));
	memset(&refusal, 0, sizeof(refusal));
	for (int k = 0; k < r->rcpts; k++) {
		decide(rp, r->ts, net, ok + 1, counted, 0, &v);
		if (counts_refusal(rp, &v, r->ts) && action_refuses(v.action))
			counted++;
		if (refused(rp, &v, r->ts)) {
			if (no++ == 0 || v.action > refusal.action)
				refusal = v;
		} else {
			if (v.action > stage.action)
				stage = v;
			ok++;
		}
	}
	if (in) {
		rp->out.msgs++;
		rp->out.rcpts += r->rcpts;
	}
	if (no > 0) {
		if (in) {
			rp->out.refused_msgs++;
			rp->out.refused_rcpts += no;
		}
		if (trip(rp, &refusal, r->ts, 1, no) < 0)
			return -1;
	}
	e.refused = (int)counted;
	if (ok == 0) {
		e.msgs = 0;
		if (counted > 0)
			count(rp, &e);
		return 0;
	}
	if (contacts(rp, r, net, ok, counted, &stage) < 0)
		return -1;
	e.rcpts = (int)ok;
	e.new_rcpt = (int)(r->new_rcpt < ok ? r->new_rcpt : ok);
	count(rp, &e);
	if (stage.action != ACTION_HEADER && stage.action != ACTION_QUARANTINE)
		return 0;
	if (in && stage.action == ACTION_HEADER) {
		rp->out.stamped_msgs++;
		rp->out.stamped_rcpts += ok;
	} else if (in) {
		rp->out.held_msgs++;
		rp->out.held_rcpts += ok;
	}
	return trip(rp, &stage, r->ts, 1, ok);
}

/*
 * attempt - a session whose mail was all refused live: one recipient
 * is tried at the session's time
 */
static int attempt(struct replay *rp, const struct rec *r, int net)
{
	struct ent e = { r->ts, 0, 0, 0, -1, 1, 0, 0 };
	struct verdict v;

	if (r->ts >= rp->s->from)
		rp->out.attempts++;
	decide(rp, r->ts, net, 1, 0, 0, &v);
	if (counts_refusal(rp, &v, r->ts) && action_refuses(v.action))
		count(rp, &e);
	if (!refused(rp, &v, r->ts))
		return 0;
	if (r->ts >= rp->s->from) {
		rp->out.refused_msgs++;
		rp->out.refused_rcpts++;
	}
	return trip(rp, &v, r->ts, 1, 1);
}

/* mark_used - used[i] = 1 for each session a later message belongs to */
static void mark_used(const struct sim *s, char *used, int *last)
{
	const struct rec *r;

	for (int i = 0; i < s->addrs.n; i++)
		last[i] = -1;
	for (int i = 0; i < s->nrecs; i++) {
		r = &s->recs[i];
		if (r->addr < 0) {
			used[i] = r->kind == SIM_SESSION; /* cannot tell */
			continue;
		}
		if (r->kind == SIM_SESSION) {
			last[r->addr] = i;
			used[i] = 0;
		} else if (last[r->addr] >= 0) {
			used[last[r->addr]] = 1;
		}
	}
}

/* networks - the network of each address of the login, interned */
static int networks(struct sim *s, int *net)
{
	const struct policy *p = s->p;
	char key[128];

	strset_clear(&s->nets);
	for (int i = 0; i < s->addrs.n; i++) {
		net[i] = -1;
		if (network_key(p->groups, p->ipv4_prefix, p->ipv6_prefix,
				s->addrs.s[i], key, sizeof(key)) == 0 &&
		    key[0] && (net[i] = strset_add(&s->nets, key)) < 0)
			return -1;
	}
	return 0;
}

/* replay_setup - the class's windows for rp; 0 or -1 */
static int replay_setup(struct sim *s, struct replay *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->s = s;
	rp->cls = policy_class_find(s->p, s->cls_name);
	if (rp->cls == NULL)
		rp->cls = policy_class_find(s->p, "default");
	rp->nw = rp->cls ? rp->cls->nwindows : 0;
	for (int i = 0; i < rp->nw; i++) {
		rp->w[i].window_s = rp->cls->windows[i];
		rp->w[i].netcnt = calloc(s->nets.n + 1, sizeof(int));
		if (rp->w[i].netcnt == NULL)
			return -1;
	}
	/* a session counts twice when it is an attempt that refused */
	rp->ents = malloc((2 * s->nrecs + 1) * sizeof(*rp->ents));
	return rp->ents == NULL ? -1 : 0;
}

/* replay_free - what replay_setup allocated, and the result if not kept */
static void replay_free(struct replay *rp, int kept)
{
	for (int i = 0; i < rp->nw; i++)
		free(rp->w[i].netcnt);
	free(rp->ents);
	if (!kept) {
		free(rp->out.trips);
		free(rp->out.login);
	}
}

/* replay_run - every row of the login in order */
static int replay_run(struct sim *s, struct replay *rp, const char *used,
		      const int *net)
{
	const struct rec *r;
	struct ent e;
	int n;

	for (int i = 0; i < s->nrecs; i++) {
		r = &s->recs[i];
		n = r->addr >= 0 ? net[r->addr] : -1;
		advance(rp, r->ts);
		if (r->kind == SIM_MESSAGE) {
			if (message(rp, r, n) < 0)
				return -1;
			continue;
		}
		if (r->kind == SIM_BOUNCE) {
			e = (struct ent){ r->ts, 0, 0, 0, -1, 0, 0, r->rcpts };
			count(rp, &e);
			continue;
		}
		if (r->ts >= s->from)
			s->tot.sessions++;
		e = (struct ent){ r->ts, 0, 0, 1, n, 0, 0, 0 };
		count(rp, &e);
		if (!used[i] && attempt(rp, r, n) < 0)
			return -1;
	}
	return 0;
}

/* keep - append the login's result; 0 or -1 */
static int keep(struct sim *s, struct replay *rp)
{
	struct sim_login *grown;

	if (s->nres == s->capres) {
		grown = realloc(s->res, (s->capres * 2 + 16) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		s->res = grown;
		s->capres = s->capres * 2 + 16;
	}
	if ((rp->out.login = strdup(s->login)) == NULL)
		return -1;
	s->res[s->nres++] = rp->out;
	s->tot.tripped++;
	return 0;
}

/* sim_login_end - replay the login */
int sim_login_end(struct sim *s)
{
	struct replay rp;
	char *used = NULL;
	int *last = NULL, *net = NULL, rc = -1, kept = 0;

	if (!s->open)
		return 0;
	s->open = 0;
	qsort(s->recs, s->nrecs, sizeof(*s->recs), rec_cmp);
	used = malloc(s->nrecs + 1);
	last = malloc((s->addrs.n + 1) * sizeof(int));
	net = malloc((s->addrs.n + 1) * sizeof(int));
	if (used == NULL || last == NULL || net == NULL || networks(s, net) < 0)
		goto out;
	if (replay_setup(s, &rp) < 0) {
		replay_free(&rp, 0);
		goto out;
	}
	mark_used(s, used, last);
	if (replay_run(s, &rp, used, net) == 0) {
		rc = 0;
		if (rp.out.msgs > 0 || rp.out.attempts > 0 || rp.out.ntrips > 0)
			s->tot.logins++;
		s->tot.msgs += rp.out.msgs;
		s->tot.rcpts += rp.out.rcpts;
		if (rp.out.ntrips > 0)
			rc = keep(s, &rp), kept = rc == 0;
	}
	replay_free(&rp, kept);
out:
	free(used);
	free(last);
	free(net);
	return rc;
}

/* sim_results - the logins that tripped */
const struct sim_login *sim_results(const struct sim *s, int *n)
{
	*n = s->nres;
	return s->res;
}

/* sim_totals_get - what was replayed */
void sim_totals_get(const struct sim *s, struct sim_totals *t)
{
	*t = s->tot;
}

/* sim_free - release everything */
void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->nres; i++) {
		free(s->res[i].login);
		free(s->res[i].trips);
	}
	free(s->res);
	free(s->recs);
	free(s->login);
	strset_free(&s->addrs);
	strset_free(&s->nets);
	free(s);
}

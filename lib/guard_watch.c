/*
 * NAME
 *	guard_watch - load the policy, and reload it when it changes
 * DESCRIPTION
 *	A thread polls policy_version twice a second; when the triggers
 *	on the policy tables have moved it, a new snapshot is loaded and
 *	swapped in.  Messages in flight keep the snapshot they started
 *	with.  Problems in the tables are logged once per load.  A load
 *	that fails keeps the old snapshot.
 */
#include <stdio.h>
#include <string.h>

#include "guard_int.h"
#include "log.h"
#include "metrics.h"

#define WATCH_MS 500

/* load - load and install a snapshot (initial: the first); 0 or -1 */
static int load(struct guard *g, int initial, char *err, size_t errlen)
{
	struct policy *p = store_policy_load(g->store, err, errlen);
	long keep_days;
	int i;

	if (p == NULL) {
		metrics_policy_reload(0, 0, initial);
		return -1;
	}
	for (i = 0; i < p->nproblems; i++)
		log_msg(LOG_WARNING, "policy: %s", p->problems[i]);
	if (p->local_domains.n == 0)
		log_msg(LOG_NOTICE, "policy: %s", POLICY_NOTE_NO_LOCAL);
	keep_days = policy_setting_long(p, "events_keep_days", 30);
	store_set_retention(g->store, p->max_window,
			    (keep_days > 0 ? keep_days : 30) * 86400L);
	store_set_history(g->store,
			  policy_setting_long(p, "history_days", 30) * 86400L);
	store_set_contacts(g->store, p->contact_days * 86400L,
			   policy_setting_long(p, "baseline_days", 28) *
				   86400L);
	log_msg(LOG_INFO,
		"policy version %lld loaded: %d classes, %d "
		"problems",
		p->version, p->nclasses, p->nproblems);
	metrics_policy_reload(1, p->version, initial);
	policy_swap(p);
	return 0;
}

/* watch_main - the watcher thread */
static void *watch_main(void *arg)
{
	struct guard *g = arg;
	struct policy *cur;
	struct timespec until;
	long long v;
	char err[300];

	pthread_mutex_lock(&g->stop_lock);
	while (!g->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->stop_cond, &g->stop_lock, &until);
		if (g->stopping)
			break;
		pthread_mutex_unlock(&g->stop_lock);
		cur = policy_current();
		if (store_policy_version(g->store, &v) == 0 &&
		    (cur == NULL || v != cur->version) &&
		    load(g, 0, err, sizeof(err)) < 0)
			log_ratelimited("policy load", 60, LOG_ERR,
					"policy: %s; keeping the old policy",
					err);
		policy_put(cur);
		pthread_mutex_lock(&g->stop_lock);
	}
	pthread_mutex_unlock(&g->stop_lock);
	return NULL;
}

/* guard_watch_start - first load, then the watcher */
int guard_watch_start(struct guard *g, char *err, size_t errlen)
{
	if (load(g, 1, err, errlen) < 0)
		return -1;
	if (pthread_create(&g->watcher, NULL, watch_main, g) != 0) {
		snprintf(err, errlen, "cannot start the policy watcher");
		return -1;
	}
	g->watcher_running = 1;
	return 0;
}

/* guard_watch_stop - stop the watcher */
void guard_watch_stop(struct guard *g)
{
	if (!g->watcher_running)
		return;
	pthread_mutex_lock(&g->stop_lock);
	g->stopping = 1;
	pthread_cond_signal(&g->stop_cond);
	pthread_mutex_unlock(&g->stop_lock);
	pthread_join(g->watcher, NULL);
	g->watcher_running = 0;
}

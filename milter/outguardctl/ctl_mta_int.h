/*
 * NAME
 *	ctl_mta_int - what ctl_mta.c shares with its MTA backends
 * SYNOPSIS
 *	#include "ctl_mta_int.h"
 * DESCRIPTION
 *	A backend lists the MTA's queue into the struct ctl_mta with
 *	ctl_mta_add() and acts on one listed message.  ctl_mta.c picks the
 *	backend and hands each action a private copy of the entry, so a
 *	backend may list the queue again (ctl_mta_clear, then load).
 */
#ifndef OUTGUARD_CTL_MTA_INT_H
#define OUTGUARD_CTL_MTA_INT_H

#include "ctl.h"

#define CTL_MTA_ID_MAX 64 /* longest queue id taken from a listing */

/* One message the MTA listed. */
struct ctl_mta_entry {
	char id[CTL_MTA_ID_MAX];
	char where[16]; /* queue name: "hold", "deferred", "quarantine"... */
	int held;	/* 1 when in the MTA's quarantine */
	char *dir;	/* Sendmail: its queue directory; else NULL */
};

struct ctl_mta;

/* One MTA: its name, how to list its queue, and the three actions. */
struct ctl_mta_ops {
	const char *name;
	int (*load)(struct ctl_mta *m); /* 0, or -1 (said) */
	int (*show)(struct ctl_mta *m, const struct ctl_mta_entry *e);
	int (*release)(struct ctl_mta *m, const struct ctl_mta_entry *e);
	int (*remove)(struct ctl_mta *m, const struct ctl_mta_entry *e);
};

struct ctl_mta {
	const struct ctl_mta_ops *ops;
	struct ctl_mta_entry *e; /* the listing */
	int n, size;
};

/* ctl_mta_sendmail.c */
extern const struct ctl_mta_ops ctl_mta_sendmail_ops;

/* ctl_mta_run - run a tool from PATH; exit status, or -1 (said) */
int ctl_mta_run(char *const argv[], char **out, int merge);

/* ctl_mta_tool - run, capturing both outputs: 0, or -1 with them shown */
int ctl_mta_tool(char *const argv[]);

/* ctl_mta_add - append a listed message (copied; dir may be NULL) */
void ctl_mta_add(struct ctl_mta *m, const char *id, const char *where, int held,
		 const char *dir);

/* ctl_mta_find - the listed message with queue id qid, or NULL */
const struct ctl_mta_entry *ctl_mta_find(const struct ctl_mta *m,
					 const char *qid);

/* ctl_mta_clear - forget the listing */
void ctl_mta_clear(struct ctl_mta *m);

#endif

/*
 * NAME
 *	lock - mutexes that know their holder, for "caller holds X"
 * SYNOPSIS
 *	#include "lock.h"
 *
 *	LOCK_HELD(&s->q_lock);		(at the top of a function)
 * DESCRIPTION
 *	struct lock wraps a pthread mutex, struct lock_rw a read-write
 *	lock.  In debug and sanitizer builds (no NDEBUG, or
 *	OUTGUARD_SANITIZE; OUTGUARD_LOCK_CHECK is then defined) each
 *	records which thread holds it: LOCK_HELD() and LOCK_RW_HELD()
 *	check the contract "the caller holds X" that a function's comment
 *	states, and lock_release() that the releasing thread is the
 *	holder.  A broken contract is a bug: the line and the lock are
 *	printed and the program aborts, NDEBUG or not.  In other builds
 *	the wrappers are the bare pthread calls and the checks are empty.
 *
 *	A thread may hold at most LOCK_RD_MAX read locks at once (a check
 *	past that aborts too).
 *
 *	Checked contracts: the store's db_lock (store_db, admin_run),
 *	q_lock (drop_oldest, take_batch, put_back), pend_lock
 *	(store_pend_*), commit_lock (counts_read, store_pend_mark), and a
 *	login's stripe (guard_limits_decide, through store_login_held).
 */
#ifndef OUTGUARD_LOCK_H
#define OUTGUARD_LOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#if !defined(OUTGUARD_LOCK_CHECK) &&                                           \
	(defined(OUTGUARD_SANITIZE) || !defined(NDEBUG))
#define OUTGUARD_LOCK_CHECK 1
#endif

#ifdef OUTGUARD_LOCK_CHECK
#include <stdatomic.h>
#endif

#define LOCK_RD_MAX 8 /* read locks one thread holds at once */

struct lock {
	pthread_mutex_t m;
#ifdef OUTGUARD_LOCK_CHECK
	_Atomic uintptr_t owner; /* lock_self() of the holder; 0: none */
#endif
};

struct lock_rw {
	pthread_rwlock_t rw;
#ifdef OUTGUARD_LOCK_CHECK
	_Atomic uintptr_t writer; /* lock_self() of a write holder */
#endif
};

/* lock_self - a token that differs between live threads, never 0 */
uintptr_t lock_self(void);

/* lock_fail - print "file:line: what" and abort */
void lock_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

/* lock_rd_note - the calling thread took (add 1) or gave back (0) l */
void lock_rd_note(const struct lock_rw *l, int add);

/* lock_rd_mine - 1 when the calling thread holds l for reading */
int lock_rd_mine(const struct lock_rw *l);

#ifdef OUTGUARD_LOCK_CHECK
/* LOCK_HELD - abort unless the calling thread holds struct lock *l */
#define LOCK_HELD(l)                                                           \
	(atomic_load(&(l)->owner) == lock_self()                               \
		 ? (void)0                                                     \
		 : lock_fail(__FILE__, __LINE__, "caller must hold " #l))
/* LOCK_RW_HELD - abort unless the caller holds l, shared or exclusive */
#define LOCK_RW_HELD(l)                                                        \
	(atomic_load(&(l)->writer) == lock_self() || lock_rd_mine(l)           \
		 ? (void)0                                                     \
		 : lock_fail(__FILE__, __LINE__, "caller must hold " #l))
#else
#define LOCK_HELD(l)	((void)(l))
#define LOCK_RW_HELD(l) ((void)(l))
#endif

/* lock_init - an unlocked lock */
static inline void lock_init(struct lock *l)
{
	pthread_mutex_init(&l->m, NULL);
#ifdef OUTGUARD_LOCK_CHECK
	atomic_init(&l->owner, 0);
#endif
}

/* lock_acquire - wait for l and hold it */
static inline void lock_acquire(struct lock *l)
{
	pthread_mutex_lock(&l->m);
#ifdef OUTGUARD_LOCK_CHECK
	atomic_store(&l->owner, lock_self());
#endif
}

/* lock_release - give l back; the caller holds it */
static inline void lock_release(struct lock *l)
{
#ifdef OUTGUARD_LOCK_CHECK
	LOCK_HELD(l);
	atomic_store(&l->owner, 0);
#endif
	pthread_mutex_unlock(&l->m);
}

/*
 * lock_wait - pthread_cond_timedwait (until NULL: pthread_cond_wait) on
 * c with l, which the caller holds before and after; its return value
 */
static inline int lock_wait(struct lock *l, pthread_cond_t *c,
			    const struct timespec *until)
{
	int rc;

#ifdef OUTGUARD_LOCK_CHECK
	LOCK_HELD(l);
	atomic_store(&l->owner, 0);
#endif
	rc = until ? pthread_cond_timedwait(c, &l->m, until)
		   : pthread_cond_wait(c, &l->m);
#ifdef OUTGUARD_LOCK_CHECK
	atomic_store(&l->owner, lock_self());
#endif
	return rc;
}

/* lock_rw_init - an unlocked read-write lock */
static inline void lock_rw_init(struct lock_rw *l)
{
	pthread_rwlock_init(&l->rw, NULL);
#ifdef OUTGUARD_LOCK_CHECK
	atomic_init(&l->writer, 0);
#endif
}

/* lock_rw_read - hold l shared */
static inline void lock_rw_read(struct lock_rw *l)
{
	pthread_rwlock_rdlock(&l->rw);
#ifdef OUTGUARD_LOCK_CHECK
	lock_rd_note(l, 1);
#endif
}

/* lock_rw_write - hold l exclusive */
static inline void lock_rw_write(struct lock_rw *l)
{
	pthread_rwlock_wrlock(&l->rw);
#ifdef OUTGUARD_LOCK_CHECK
	atomic_store(&l->writer, lock_self());
#endif
}

/* lock_rw_release - give l back, shared or exclusive; the caller holds it */
static inline void lock_rw_release(struct lock_rw *l)
{
#ifdef OUTGUARD_LOCK_CHECK
	LOCK_RW_HELD(l);
	if (atomic_load(&l->writer) == lock_self())
		atomic_store(&l->writer, 0);
	else
		lock_rd_note(l, 0);
#endif
	pthread_rwlock_unlock(&l->rw);
}

#endif

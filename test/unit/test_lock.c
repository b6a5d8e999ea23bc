/*
 * NAME
 *	test_lock - lock.h's "caller holds X" checks
 * DESCRIPTION
 *	Built with the checks forced on (OUTGUARD_LOCK_CHECK), whatever
 *	the build type.  Each broken contract runs in a forked child that
 *	must die of SIGABRT; each kept one in a child that must exit 0:
 *	holding a lock, not holding it, another thread holding it,
 *	releasing what another thread holds, a condition wait, and the
 *	read-write lock shared and exclusive.
 */
#define OUTGUARD_LOCK_CHECK 1

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lock.h"

static struct lock mu;
static struct lock_rw rw;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

/* other_thread - take what arg says and keep it until the process ends */
static void *other_thread(void *arg)
{
	if (arg == &mu)
		lock_acquire(&mu);
	else
		lock_rw_read(&rw);
	pause();
	return NULL;
}

/* held_elsewhere - another thread takes l (&mu or &rw) and keeps it */
static void held_elsewhere(void *l)
{
	pthread_t t;
	int taken = 0;

	pthread_create(&t, NULL, other_thread, l);
	while (!taken) { /* until the other thread has it */
		if (l == &mu && pthread_mutex_trylock(&mu.m) == 0)
			pthread_mutex_unlock(&mu.m);
		else if (l == &rw && pthread_rwlock_trywrlock(&rw.rw) == 0)
			pthread_rwlock_unlock(&rw.rw);
		else
			taken = 1;
		if (!taken)
			usleep(1000);
	}
}

/* held_mine - the contract kept */
static void held_mine(void)
{
	lock_acquire(&mu);
	LOCK_HELD(&mu);
	lock_release(&mu);
}

/* held_none - nobody holds it */
static void held_none(void)
{
	LOCK_HELD(&mu);
}

/* after_release - held, then given back */
static void after_release(void)
{
	lock_acquire(&mu);
	lock_release(&mu);
	LOCK_HELD(&mu);
}

/* held_other - another thread holds it */
static void held_other(void)
{
	held_elsewhere(&mu);
	LOCK_HELD(&mu);
}

/* release_other - giving back what another thread holds */
static void release_other(void)
{
	held_elsewhere(&mu);
	lock_release(&mu);
}

/* after_wait - a condition wait gives it back held */
static void after_wait(void)
{
	struct timespec past = { 0, 0 };

	lock_acquire(&mu);
	lock_wait(&mu, &cond, &past); /* times out at once */
	LOCK_HELD(&mu);
	lock_release(&mu);
}

/* rw_read_mine - shared, kept */
static void rw_read_mine(void)
{
	lock_rw_read(&rw);
	LOCK_RW_HELD(&rw);
	lock_rw_release(&rw);
}

/* rw_write_mine - exclusive, kept */
static void rw_write_mine(void)
{
	lock_rw_write(&rw);
	LOCK_RW_HELD(&rw);
	lock_rw_release(&rw);
}

/* rw_none - shared, then given back */
static void rw_none(void)
{
	lock_rw_read(&rw);
	lock_rw_release(&rw);
	LOCK_RW_HELD(&rw);
}

/* rw_other - another thread holds it shared */
static void rw_other(void)
{
	held_elsewhere(&rw);
	LOCK_RW_HELD(&rw);
}

static const struct {
	const char *what;
	void (*fn)(void);
	int aborts;
} rows[] = {
	{ "held by the caller", held_mine, 0 },
	{ "held by nobody", held_none, 1 },
	{ "after its release", after_release, 1 },
	{ "held by another thread", held_other, 1 },
	{ "released by a thread that does not hold it", release_other, 1 },
	{ "held again after a condition wait", after_wait, 0 },
	{ "rw: held shared by the caller", rw_read_mine, 0 },
	{ "rw: held exclusive by the caller", rw_write_mine, 0 },
	{ "rw: released", rw_none, 1 },
	{ "rw: held shared by another thread", rw_other, 1 },
};

/* aborts - run fn in a child: 1 when it died of SIGABRT, 0 exit 0 */
static int aborts(void (*fn)(void))
{
	int status, null;
	pid_t pid = fork();

	if (pid == 0) {
		if ((null = open("/dev/null", O_WRONLY)) >= 0)
			dup2(null, 2);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(void)
{
	unsigned i;

	lock_init(&mu);
	lock_rw_init(&rw);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].what, aborts(rows[i].fn), rows[i].aborts);
	return check_done();
}

# NAME
#	check.sh - the pass/fail counting the shell tests share
# SYNOPSIS
#	. "$(dirname "$0")/../lib/check.sh"
#	check_run DESC COMMAND [ARG...]
#	check_eq DESC GOT WANT
#	check_summary [PREFIX]
# DESCRIPTION
#	check_run passes when COMMAND exits 0, check_eq when GOT is WANT;
#	a failure prints "FAIL" with what was expected.  pass and fail
#	count them.  check_summary prints "N passed, N failed" (after
#	PREFIX) and returns 1 when anything failed, so a test ends with it.
pass=0
fail=0

# check_run DESC COMMAND... - passes when COMMAND succeeds
check_run()
{
	local desc=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $desc"
	fi
}

# check_eq DESC GOT WANT - passes when GOT is WANT
check_eq()
{
	if [ "$2" == "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'FAIL %s:\n  got  %s\n  want %s\n' "$1" "$2" "$3"
	fi
}

# check_summary [PREFIX] - the counts; 1 when a check failed
check_summary()
{
	echo "${1:+$1: }$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

-- 010-settle-new-rcpt.sql - schema version 10 on PostgreSQL: the twin
-- of schema/migrations/010-settle-new-rcpt.sql (no change on SQLite).
--
-- outguard_settle() writes each message's new_rcpt (its recipients new
-- to the login, schema 6) into its msg_log row, as SQLite's writer
-- does, so msg_log's trigger counts them in counts and outguardctl
-- simulate replays them.  Until now the row kept new_rcpt 0 and the
-- daemon added the recipients to counts beside it.  p_new_rcpts is
-- last and defaults to none (0 each), so a daemon of version 9 still
-- running while another migrates the database keeps settling with
-- seven arrays, counting its new recipients beside the row as before
-- (once restarted it refuses the newer schema).  Apply in one
-- transaction, after 009.

DROP FUNCTION outguard_settle(bigint[], text[], bigint[], bigint[], text[],
	text[], text[]);

-- outguard_settle - the writer's batch: each message's reservation
-- (p_ids[i], NULL: none) is deleted and what it used (p_rcpts[i] > 0)
-- becomes a msg_log row (with its Message-Id, p_message_ids[i], for
-- mail decided at end of message, and its new recipients,
-- p_new_rcpts[i]), in one statement, so a reader sees a message either
-- reserved or stored, never both nor neither.  The msg_log row is
-- written even when the reservation had gone stale.  Rows go in by
-- (login, ts), so the counts rows their trigger updates are locked in
-- one order by every daemon's batches: two relays' batches cannot
-- deadlock.  Returns the number of msg_log rows written.
CREATE FUNCTION outguard_settle(p_ids bigint[], p_logins text[],
	p_ts bigint[], p_rcpts bigint[], p_client_addrs text[],
	p_queue_ids text[], p_message_ids text[],
	p_new_rcpts bigint[] DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
	WITH s AS (
		SELECT * FROM unnest(p_ids, p_logins, p_ts, p_rcpts,
			p_client_addrs, p_queue_ids, p_message_ids,
			coalesce(p_new_rcpts, '{}'))
			AS s(id, login, ts, rcpts, client_addr, queue_id,
			     message_id, new_rcpt)),
	d AS (
		DELETE FROM reservations r USING s WHERE r.id = s.id),
	i AS (
		INSERT INTO msg_log (login, ts, rcpts, client_addr, queue_id,
				     message_id, new_rcpt)
			SELECT login, ts, rcpts, client_addr, queue_id,
				message_id, coalesce(new_rcpt, 0) FROM s
			WHERE rcpts > 0 ORDER BY login, ts RETURNING 1)
	SELECT count(*) FROM i;
$$;

UPDATE schema_version SET version = 10 WHERE id = 1;

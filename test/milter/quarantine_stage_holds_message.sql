-- A quarantine stage: more than 1 recipient an hour holds the message.
INSERT INTO limits (class, metric, window_s, threshold, action)
VALUES ('default', 'rcpt', 3600, 1, 'quarantine');

-- A block stage: a second message within the hour blocks the login.
INSERT INTO limits (class, metric, window_s, threshold, action)
VALUES ('default', 'msg', 3600, 1, 'block');

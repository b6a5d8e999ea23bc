-- A reject stage: more than 1 message an hour is refused for good.
INSERT INTO limits (class, metric, window_s, threshold, action)
VALUES ('default', 'msg', 3600, 1, 'reject');

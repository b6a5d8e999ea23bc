-- 4 messages an hour; alice is on watch, so she gets 2.
UPDATE limits SET threshold = 4
 WHERE class = 'default' AND metric = 'msg' AND window_s = 3600
   AND action = 'tempfail';
INSERT INTO users (login, status, note) VALUES ('alice', 'watch', 'test');

-- The default class's hourly message limit: 2 instead of 200.
UPDATE limits SET threshold = 2
 WHERE class = 'default' AND metric = 'msg' AND window_s = 3600
   AND action = 'tempfail';

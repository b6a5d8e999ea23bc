-- The default class's hourly "header" stage: 2 recipients instead of 300.
UPDATE limits SET threshold = 2
 WHERE class = 'default' AND metric = 'rcpt' AND window_s = 3600
   AND action = 'header';

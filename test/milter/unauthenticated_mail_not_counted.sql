-- One message an hour: any counted message would trip the limit.
UPDATE limits SET threshold = 1
 WHERE class = 'default' AND metric = 'msg' AND window_s = 3600
   AND action = 'tempfail';

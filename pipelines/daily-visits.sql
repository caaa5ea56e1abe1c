/*---
description: Daily visits per LiveRamp id, from the identity join
owner: data-platform
inputs:
  events: identity-join          # another pipeline's output: its partition of the same logical date
mode: single                     # one task: the query aggregates (mode: map would be refused)
checks:
  rows: { min: 1, maxChangePct: 50 }   # output rows; change against the previous date's published output
  notNull: [lvr_id]
  unique: [lvr_id]
  sql: SELECT * FROM output WHERE visits <= 0 OR visitors > visits   # every row it returns is a violation
---*/
SELECT lvr_id,
       count(*) AS visits,
       count(DISTINCT visitor_id) AS visitors,
       getvariable('run_date') AS dt
FROM events
WHERE lvr_id IS NOT NULL   -- visitors LiveRamp does not know
GROUP BY lvr_id

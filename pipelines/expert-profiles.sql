/*---
description: Each month's top experts by session time with their profile (first join date, tenure), from session-ranking
owner: data-platform
inputs:
  ranking: session-ranking       # its ranking.parquet: (year, month, rank, user_id, total_seconds)
  profiles: raw/user_profile     # (id, join_date, level); an id may have several rows
checks:
  notNull: [month, rank, user_id, joined]
  unique: [[month, rank]]              # one user per rank and month
  sql: SELECT * FROM output WHERE total_seconds <= 0 OR tenure_days < 0
---*/
WITH profile AS (
  SELECT CAST(id AS VARCHAR) AS user_id, min(join_date) AS joined
  FROM profiles
  GROUP BY id
)
SELECT r.year, r.month, r.rank, r.user_id, r.total_seconds, p.joined,
       date_diff('day', p.joined, getvariable('run_date')) AS tenure_days
FROM ranking r
JOIN profile p USING (user_id)

// The query the bench runs both ways: row-wise over session-ranking's activity files (a filter and
// a derived column), so `mode: map` applies. The pipeline file wraps it in a header.
export const QUERY = `SELECT id, session_begin, session_end,
       epoch_us(session_end) - epoch_us(session_begin) AS us
FROM activity
WHERE session_end >= session_begin`;

export const PIPELINE_FILE = `/*---
description: bench - valid sessions with their length in microseconds
owner: bench
inputs:
  activity: raw/user_activity
mode: map
---*/
${QUERY}
`;

/** Rows and a checksum of an output, so both ways are known to give the same rows. */
export const SUMMARY_SQL = (files: string) =>
  `SELECT count(*)::BIGINT AS n, sum(us)::HUGEINT AS us, sum(id)::HUGEINT AS ids FROM read_parquet(${files})`;

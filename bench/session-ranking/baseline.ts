// The baseline: ONE hand-written DuckDB query over the same files, in its own process so its time,
// CPU and peak memory are measured apart from the pipeline's worker. Prints one JSON line.
//   node --import tsx bench/session-ranking/baseline.ts <activityDir> <profileDir> <year> <top> <threads> <variant>
// variant "full": the ranking plus input and rejected row counts (what the workflow returns);
// variant "ranking": the ranking alone.
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [activityDir, profileDir, year, top, threads, variant] = process.argv.slice(2);
const A = `read_parquet('${path.join(activityDir!, '*.parquet')}')`;
const P = `read_parquet('${path.join(profileDir!, '*.parquet')}')`;

const ranking = `
  SELECT month, unnest(min_by({'id': id, 'total_us': total_us}, (-total_us, id), ${top})) AS top
  FROM (
    SELECT month(session_begin) AS month, id,
           sum(epoch_us(session_end) - epoch_us(session_begin))::BIGINT AS total_us
    FROM ${A} SEMI JOIN (SELECT DISTINCT id FROM ${P} WHERE level = 'expert') e USING (id)
    WHERE session_end >= session_begin AND year(session_begin) = ${year}
    GROUP BY ALL
  )
  GROUP BY month`;

const full = `
  WITH r AS (${ranking}),
       c AS (SELECT count(*) AS input_rows,
                    count(*) - count(*) FILTER (WHERE session_end >= session_begin) AS rejected_rows
             FROM ${A})
  SELECT r.month, r.top.id AS id, r.top.total_us AS total_us, c.input_rows, c.rejected_rows FROM r, c`;

const sql =
  variant === 'ranking' ? `SELECT month, top.id AS id, top.total_us AS total_us FROM (${ranking})` : full;

const instance = await DuckDBInstance.create(':memory:', {
  threads: threads!,
  preserve_insertion_order: 'false',
});
const conn = await instance.connect();
await conn.run("SET TimeZone = 'UTC'");
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const byMonth: Record<number, { id: string; us: string }[]> = {};
for (const r of rows) (byMonth[Number(r.month)] ??= []).push({ id: String(r.id), us: String(r.total_us) });
for (const list of Object.values(byMonth))
  list.sort((a, b) =>
    BigInt(b.us) > BigInt(a.us) ? 1 : BigInt(b.us) < BigInt(a.us) ? -1 : Number(a.id) - Number(b.id),
  );
process.stdout.write(
  `${JSON.stringify({
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
    ranking: byMonth,
    inputRows: rows[0] ? Number(rows[0].input_rows ?? NaN) : undefined,
    rejectedRows: rows[0] ? Number(rows[0].rejected_rows ?? NaN) : undefined,
  })}\n`,
);

// Deterministic synthetic data for identity-join. Same options -> same files.
//   DS1 visitor_events/dt=YYYY-MM-DD/part-NNNNN.parquet: visitor events, several date partitions, extra
//       columns; ~5% of events from visitors unknown to DS2, 0.5% with a null visitor_id.
//   DS2 liveramp/part-NNNNN.parquet (visitor_id, lvr_id, pii, ip): 10% of visitors absent, 10% with
//       two lvr_ids, 5% of mappings with a second email, exact and messy-case/space duplicates
//       (which hash to the same sha2), 5% null pii and 3% null ip.
import fs from 'node:fs/promises';
import path from 'node:path';
import { sqlString, withDuckDB } from '../lib/duckdb.js';
import { RAW, rawFolder } from '../lib/datasets.js';

const DS1_DATASET = rawFolder(RAW.visitorEvents);
const DS2_DATASET = rawFolder(RAW.liveramp);

export interface IdentityJoinDatagenOptions {
  /** DS1 rows per date partition. */
  rows: number;
  /** Distinct visitors (DS2 has ~1.4 rows per visitor). */
  visitors: number;
  seed: number;
  out: string;
  /** Number of dt= partitions (consecutive days from `startDate`). */
  days?: number;
  startDate?: string;
  /** Files per DS1 partition and for DS2. */
  ds1FilesPerDay?: number;
  ds2Files?: number;
  scratchDir?: string;
  threads?: number;
}

export interface GeneratedIdentityJoin {
  ds1Dir: string;
  ds2Dir: string;
  dates: string[];
  ds1Files: number;
  ds2Files: number;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export const visitorIdSql = (num: string) => `'v' || lpad(CAST(${num} AS VARCHAR), 9, '0')`;

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
];

function ds1Sql(o: { from: number; to: number; day: number; date: string; visitors: number; seed: number }) {
  const h = (tag: string) => `hash(i, ${o.seed}, ${o.day}, '${tag}')`;
  const uas = `[${USER_AGENTS.map(sqlString).join(', ')}]`;
  return `
    SELECT CASE WHEN ${h('null')} % 200 = 0 THEN NULL
                WHEN ${h('unk')} % 20 = 0 THEN ${visitorIdSql(`${o.visitors} + 1 + ${h('uid')} % 100000`)}
                ELSE ${visitorIdSql(`1 + ${h('vis')} % ${o.visitors}`)} END AS visitor_id,
           CAST(${o.day} AS BIGINT) * 10000000000 + i AS event_id,
           TIMESTAMP '${o.date} 00:00:00' + to_seconds(CAST(${h('ts')} % 86400 AS BIGINT)) AS event_ts,
           (['view', 'click', 'add_to_cart', 'purchase', 'search'])[CAST(1 + ${h('type')} % 5 AS BIGINT)] AS event_type,
           'https://shop.example.com/p/' || (${h('url')} % 100000) || '?ref=' || (['mail', 'ads', 'seo', 'direct'])[CAST(1 + ${h('ref')} % 4 AS BIGINT)] AS url,
           ${uas}[CAST(1 + ${h('ua')} % ${USER_AGENTS.length} AS BIGINT)] AS user_agent,
           round((${h('rev')} % 100000) / 100.0, 2) AS revenue,
           (['US', 'GB', 'DE', 'FR', 'BR', 'IN', 'JP'])[CAST(1 + ${h('cc')} % 7 AS BIGINT)] AS country
    FROM range(${o.from}, ${o.to}) t(i)`;
}

function ds2Sql(o: { from: number; to: number; seed: number }) {
  const s = o.seed;
  return `
    WITH v AS (SELECT vnum FROM range(${o.from}, ${o.to}) t(vnum) WHERE hash(vnum, ${s}, 'in') % 10 <> 0),
    m AS (SELECT vnum, k FROM v, range(2) r(k) WHERE k = 0 OR hash(vnum, ${s}, 'two') % 10 = 0),
    p AS (SELECT vnum, k, e FROM m, range(2) r(e) WHERE e = 0 OR hash(vnum, k, ${s}, 'mail2') % 20 = 0),
    c AS (
      SELECT vnum, k, e,
             unnest(range(1 + (hash(vnum, k, e, ${s}, 'dup') % 4 = 0)::INTEGER
                            + (hash(vnum, k, e, ${s}, 'dup2') % 10 = 0)::INTEGER)) AS copy
      FROM p
    ),
    base AS (
      SELECT vnum, k, e, copy,
             'user' || vnum || CASE WHEN e = 1 THEN '.alt' ELSE '' END || '@example' || (hash(vnum, ${s}, 'dom') % 50) || '.com' AS email,
             '10.' || (hash(vnum, k, ${s}, 'ip1') % 256) || '.' || (hash(vnum, k, ${s}, 'ip2') % 256) || '.' || (hash(vnum, k, ${s}, 'ip3') % 256) AS ip,
             'LR' || lpad(CAST(hash(vnum, k, ${s}, 'lvr') % 1000000000000 AS VARCHAR), 12, '0') AS lvr_id,
             hash(vnum, k, e, copy, ${s}, 'mess') AS mess,
             hash(vnum, k, e, ${s}, 'nulls') AS nulls
      FROM c
    )
    SELECT ${visitorIdSql('vnum')} AS visitor_id, lvr_id,
           CASE WHEN nulls % 20 = 0 THEN NULL
                ELSE (CASE mess % 5 WHEN 0 THEN '  ' ELSE '' END)
                  || (CASE mess % 4 WHEN 0 THEN upper(email)
                                    WHEN 1 THEN replace(replace(email, 'user', 'User'), 'example', 'EXAMPLE')
                                    ELSE email END)
                  || (CASE (mess // 7) % 3 WHEN 0 THEN ' ' ELSE '' END) END AS pii,
           CASE WHEN nulls % 33 = 1 THEN NULL
                WHEN (mess // 5) % 6 = 0 THEN ' ' || ip || '  '
                ELSE ip END AS ip
    FROM base`;
}

export async function generateIdentityJoin(opts: IdentityJoinDatagenOptions): Promise<GeneratedIdentityJoin> {
  const days = opts.days ?? 3;
  const startDate = opts.startDate ?? '2025-01-01';
  const ds1PerDay = opts.ds1FilesPerDay ?? Math.max(1, Math.min(64, Math.ceil(opts.rows / 2_000_000)));
  const ds2Files = opts.ds2Files ?? Math.max(1, Math.min(64, Math.ceil(opts.visitors / 2_000_000)));
  const ds1Dir = path.resolve(opts.out, DS1_DATASET);
  const ds2Dir = path.resolve(opts.out, DS2_DATASET);
  await fs.rm(ds1Dir, { recursive: true, force: true });
  await fs.rm(ds2Dir, { recursive: true, force: true });
  await fs.mkdir(ds2Dir, { recursive: true });
  const dates = Array.from({ length: days }, (_, d) => addDays(startDate, d));
  const part = (n: number) => `part-${String(n).padStart(5, '0')}.parquet`;
  const scratchDir = opts.scratchDir ?? path.join(opts.out, '.tmp');
  await withDuckDB({ scratchDir, threads: opts.threads }, async (conn) => {
    for (let f = 0; f < ds2Files; f++) {
      const from = 1 + Math.floor((f * opts.visitors) / ds2Files);
      const to = 1 + Math.floor(((f + 1) * opts.visitors) / ds2Files);
      await conn.run(
        `COPY (${ds2Sql({ from, to, seed: opts.seed })}) TO ${sqlString(path.join(ds2Dir, part(f)))} (FORMAT parquet)`,
      );
    }
    for (const [day, date] of dates.entries()) {
      const dir = path.join(ds1Dir, `dt=${date}`);
      await fs.mkdir(dir, { recursive: true });
      for (let f = 0; f < ds1PerDay; f++) {
        const from = Math.floor((f * opts.rows) / ds1PerDay);
        const to = Math.floor(((f + 1) * opts.rows) / ds1PerDay);
        const sql = ds1Sql({ from, to, day, date, visitors: opts.visitors, seed: opts.seed });
        await conn.run(`COPY (${sql}) TO ${sqlString(path.join(dir, part(f)))} (FORMAT parquet)`);
      }
    }
  });
  await fs.rm(path.join(opts.out, '.tmp'), { recursive: true, force: true });
  return { ds1Dir, ds2Dir, dates, ds1Files: ds1PerDay * days, ds2Files };
}

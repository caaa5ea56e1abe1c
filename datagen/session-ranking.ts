// Deterministic synthetic data for session-ranking: user_profile and user_activity Parquet.
// Same (rows, users, seed, year) -> same files. Includes the awkward cases the pipeline must
// handle: users with several profile rows, sessions of unknown users, null and negative
// durations, sessions spanning a month boundary, ties in total time.
import fs from 'node:fs/promises';
import path from 'node:path';
import { sqlString, withDuckDB } from '../lib/duckdb.js';

export interface SessionRankingDatagenOptions {
  rows: number;
  users: number;
  seed: number;
  out: string;
  year?: number;
  /** Rows per activity file (several files, so a user's sessions span files). */
  rowsPerFile?: number;
  scratchDir?: string;
  threads?: number;
}

export interface GeneratedDataset {
  activityDir: string;
  profileDir: string;
  activityFiles: number;
}

export async function generateSessionRanking(opts: SessionRankingDatagenOptions): Promise<GeneratedDataset> {
  const year = opts.year ?? 2025;
  const rowsPerFile = opts.rowsPerFile ?? Math.max(1, Math.min(5_000_000, Math.ceil(opts.rows / 4)));
  const activityDir = path.resolve(opts.out, 'user_activity');
  const profileDir = path.resolve(opts.out, 'user_profile');
  await fs.rm(activityDir, { recursive: true, force: true });
  await fs.rm(profileDir, { recursive: true, force: true });
  await fs.mkdir(activityDir, { recursive: true });
  await fs.mkdir(profileDir, { recursive: true });
  const s = opts.seed;
  const yearStart = `TIMESTAMP '${year}-01-01 00:00:00'`;
  const secondsInYear = (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / 1000;
  const files = Math.ceil(opts.rows / rowsPerFile);
  await withDuckDB(
    { scratchDir: opts.scratchDir ?? path.join(opts.out, '.tmp'), threads: opts.threads },
    async (conn) => {
      // Levels: ~10% expert, 30% enhanced, 60% basic; 2% of users get a second profile row
      // (same id, possibly another level: an id is expert when any of its rows says so).
      await conn.run(`COPY (
      WITH base AS (
        SELECT i AS id,
               DATE '2015-01-01' + (hash(i, ${s}, 'join') % 3650)::INTEGER AS join_date,
               CASE WHEN hash(i, ${s}, 'lvl') % 10 = 0 THEN 'expert'
                    WHEN hash(i, ${s}, 'lvl') % 10 < 4 THEN 'enhanced' ELSE 'basic' END AS level
        FROM range(1, ${opts.users + 1}) t(i)
      )
      SELECT * FROM base
      UNION ALL
      SELECT id, join_date + 30,
             CASE WHEN hash(id, ${s}, 'dup') % 2 = 0 THEN 'expert' ELSE 'basic' END
      FROM base WHERE hash(id, ${s}, 'has_dup') % 50 = 0
    ) TO ${sqlString(path.join(profileDir, 'part-00000.parquet'))} (FORMAT parquet)`);
      for (let f = 0; f < files; f++) {
        const from = f * rowsPerFile;
        const to = Math.min(opts.rows, from + rowsPerFile);
        // 2% of sessions belong to ids with no profile; 0.3% have a null end, 0.3% end before they begin.
        await conn.run(`COPY (
        WITH r AS (
          SELECT i,
                 CASE WHEN hash(i, ${s}, 'unk') % 50 = 0 THEN ${opts.users} + 1 + hash(i, ${s}, 'uid') % 1000
                      ELSE 1 + hash(i, ${s}, 'uid') % ${opts.users} END AS id,
                 ${yearStart} + to_seconds((hash(i, ${s}, 'begin') % ${secondsInYear})::BIGINT) AS session_begin,
                 (hash(i, ${s}, 'dur') % 7200)::BIGINT AS dur,
                 hash(i, ${s}, 'bad') % 1000 AS bad
          FROM range(${from}, ${to}) t(i)
        )
        SELECT id::BIGINT AS id, session_begin,
               CASE WHEN bad < 3 THEN NULL
                    WHEN bad < 6 THEN session_begin - to_seconds(1 + dur)
                    ELSE session_begin + to_seconds(dur) END AS session_end
        FROM r
      ) TO ${sqlString(path.join(activityDir, `part-${String(f).padStart(5, '0')}.parquet`))} (FORMAT parquet)`);
      }
    },
  );
  await fs.rm(path.join(opts.out, '.tmp'), { recursive: true, force: true });
  return { activityDir, profileDir, activityFiles: files };
}

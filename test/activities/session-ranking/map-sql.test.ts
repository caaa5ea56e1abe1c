// The map query's two sources of expert ids give the same expert sessions: the profile itself
// (runs since the maps read it) and the experts file the older workflow's experts step wrote
// (runs started before, still finishing on new workers). Real DuckDB over generated files.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { generateSessionRanking } from '../../../datagen/session-ranking.js';
import { sqlFileList, sqlString, withDuckDB } from '../../../lib/duckdb.js';
import { expertsSql, mapFilesSql } from '../../../activities/session-ranking/sql.js';
import { tempDir } from '../../helpers/temporal.js';

const listParquet = async (folder: string) =>
  (await fs.readdir(folder)).filter((f) => f.endsWith('.parquet')).map((f) => path.join(folder, f));

test('a map joined with the profile writes what it writes joined with the experts file', async () => {
  const dir = tempDir('sr-map-sql');
  await generateSessionRanking({
    rows: 20_000,
    users: 2_000,
    seed: 3,
    out: dir,
    year: 2024,
    rowsPerFile: 5_000,
  });
  const files = await listParquet(path.join(dir, 'user_activity'));
  const profileFiles = await listParquet(path.join(dir, 'user_profile'));
  await withDuckDB({ scratchDir: path.join(dir, 'tmp') }, async (conn) => {
    await conn.run("SET TimeZone = 'UTC'");
    const experts = path.join(dir, 'experts.parquet');
    await conn.run(expertsSql({ profileFiles, buckets: 3, out: experts }));
    const written = async (source: Parameters<typeof mapFilesSql>[0]['experts'], name: string) => {
      const out = path.join(dir, name);
      await conn.run(mapFilesSql({ files, experts: source, out, partitioned: false, year: 2024 }));
      const rows = await conn.runAndReadAll(
        `SELECT bucket, month, CAST(id AS VARCHAR) AS id, us FROM read_parquet(${sqlString(out)})
         ORDER BY ALL`,
      );
      return rows.getRowsJS();
    };
    const fromProfile = await written({ profileFiles, buckets: 3 }, 'from-profile.parquet');
    const fromFile = await written({ file: experts }, 'from-file.parquet');
    expect(fromProfile.length).toBeGreaterThan(1000);
    expect(new Set(fromProfile.map((r) => r[0])).size).toBe(3);
    expect(fromFile).toEqual(fromProfile);
    // Only experts' sessions: every id written is an expert id of the profile.
    const expertIds = await conn.runAndReadAll(
      `SELECT DISTINCT CAST(id AS VARCHAR) FROM read_parquet(${sqlFileList(profileFiles)}) WHERE level = 'expert'`,
    );
    const ids = new Set(expertIds.getRowsJS().map((r) => r[0]));
    expect(fromProfile.every((r) => ids.has(r[2]))).toBe(true);
  });
});

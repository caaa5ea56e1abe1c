// Publishing a generated partition the way its upstream export would: with a `_SUCCESS`
// manifest (rows, sizes and checksums of its files), so the sensors and the publish protocol of
// the pipelines that read it treat it as real published data.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sqlString, withDuckDB } from '../lib/duckdb.js';
import { publishLocalFiles } from '../lib/storage/publish.js';

/**
 * Publishes the Parquet files generated in local folder `dir` into `dir` itself, as
 * `pipeline`'s output for `runDate`. The protocol refuses a prefix holding files it did not
 * write, so the files move aside first and are published back under run-scoped names.
 */
export async function publishGeneratedPartition(
  dir: string,
  meta: { pipeline: string; runDate: string },
): Promise<void> {
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet')).sort();
  const rows = await withDuckDB({ scratchDir: os.tmpdir(), threads: 1 }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT parse_filename(filename) AS name, count(*)::BIGINT AS n
         FROM read_parquet(${sqlString(path.join(dir, '*.parquet'))}, filename = true) GROUP BY 1`,
    );
    return new Map(reader.getRowObjects().map((r) => [String(r.name), Number(r.n)]));
  });
  const generated = `${dir}.generated`;
  await fs.rm(generated, { recursive: true, force: true });
  await fs.rename(dir, generated);
  await publishLocalFiles(
    dir,
    meta,
    names.map((n) => ({ localPath: path.join(generated, n), name: n, rows: rows.get(n) ?? 0 })),
  );
  await fs.rm(generated, { recursive: true, force: true });
}

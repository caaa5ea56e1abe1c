// Fixtures for SQL pipeline tests: an upstream pipeline's published output and a raw dataset,
// written from plain JS rows (so expected results are computed from the same rows in TypeScript),
// and a helper that starts the generic workflow the way `daybreak run` does.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import type { SqlPipelineResult } from '../../activities/sql-pipeline/types.js';
import type { Config } from '../../lib/config.js';
import { sqlString } from '../../lib/duckdb.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import { curatedOutput, rawDataset } from '../../lib/paths.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';

export type Row = Record<string, string | number | null>;

/** Writes rows as Parquet files (`rows` split into `files` parts), columns typed by `schema`. */
export async function writeParquet(
  dir: string,
  rows: Row[],
  schema: Record<string, string>,
  files = 1,
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const out: string[] = [];
  try {
    const per = Math.ceil(rows.length / files);
    for (let i = 0; i < files; i++) {
      const json = path.join(dir, `.part-${i}.json`);
      await fs.writeFile(
        json,
        rows
          .slice(i * per, (i + 1) * per)
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n',
      );
      const columns = `{${Object.entries(schema)
        .map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`)
        .join(', ')}}`;
      const file = path.join(dir, `part-${String(i).padStart(5, '0')}.parquet`);
      await conn.run(
        `COPY (SELECT * FROM read_json(${sqlString(json)}, columns = ${columns}, format = 'newline_delimited')) TO ${sqlString(file)}`,
      );
      await fs.rm(json);
      out.push(file);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return out;
}

/** An upstream pipeline's output partition, published with a manifest as a real run would. */
export async function publishUpstream(
  root: string,
  pipeline: string,
  date: string,
  rows: Row[],
  schema: Record<string, string>,
  files = 1,
): Promise<string> {
  const prefix = curatedOutput(root, pipeline, date);
  // Written beside the output, then published into it through the protocol (run-scoped names).
  const written = await writeParquet(`${prefix}.staged`, rows, schema, files);
  const per = Math.ceil(rows.length / files);
  await publishLocalFiles(
    prefix,
    { pipeline, runDate: date },
    written.map((f, i) => ({
      localPath: f,
      name: path.basename(f),
      rows: rows.slice(i * per, (i + 1) * per).length,
    })),
  );
  return prefix;
}

export async function writeRawDataset(
  root: string,
  dataset: string,
  rows: Row[],
  schema: Record<string, string>,
): Promise<string> {
  const dir = rawDataset(root, dataset);
  await writeParquet(dir, rows, schema);
  return dir;
}

/** Loads the catalogue with the config's SQL pipelines and runs `<name>/<date>` as `daybreak run` does. */
export async function runSqlPipeline(
  client: Client,
  config: Config,
  name: string,
  runDate: string,
  rawParams: Record<string, string> = {},
): Promise<SqlPipelineResult> {
  const { catalogue, errors } = await loadCatalogue(config);
  if (errors.length) throw errors[0];
  const handle = await startRun({ client, config, pipeline: name, runDate, rawParams, catalogue });
  return waitForRun<SqlPipelineResult>(handle);
}

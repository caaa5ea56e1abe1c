// The baseline: the bench's query run by hand in DuckDB on the same files, its result written as
// the pipeline writes it (Parquet files of ~128 MB), in its own process so its time, CPU and peak
// memory are measured apart from the worker. Prints one JSON line.
//   node --import tsx bench/sql-pipeline/baseline.ts <activityDir> <outDir> <threads>
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { QUERY, SUMMARY_SQL } from './query.js';

const [activityDir, outDir, threads] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: threads! });
const conn = await instance.connect();
await conn.run(
  `CREATE VIEW activity AS SELECT * FROM read_parquet('${path.join(activityDir!, '*.parquet')}')`,
);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await conn.run(
  `COPY (\n${QUERY}\n) TO '${outDir}' (FORMAT parquet, FILE_SIZE_BYTES '128MB', FILENAME_PATTERN 'part-{i}')`,
);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const summary = (
  await conn.runAndReadAll(SUMMARY_SQL(`'${path.join(outDir!, '*.parquet')}'`))
).getRowObjectsJson()[0];
process.stdout.write(
  `${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, summary })}\n`,
);

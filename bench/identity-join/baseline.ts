// The baseline of the identity-join benchmark: one hand-written DuckDB join over the same files
// (same hashing rule, same DISTINCT, same output format and file size), in its own process so its
// peak RSS is measured the same way as the worker's. Prints one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlFileList, sqlString } from '../../lib/duckdb.js';

const { ds1Files, ds2Files, out, threads, targetFileMB } = JSON.parse(process.argv[2]!) as {
  ds1Files: string[];
  ds2Files: string[];
  out: string;
  threads: number;
  targetFileMB: number;
};

const tempDirectory = `${out}.tmp`;
const instance = await DuckDBInstance.create(':memory:', {
  threads: String(threads),
  temp_directory: tempDirectory,
  preserve_insertion_order: 'false',
});
const conn = await instance.connect();
const started = Date.now();
await conn.run(`COPY (
  SELECT d1.*, d2.lvr_id, d2.sha2
  FROM read_parquet(${sqlFileList(ds1Files)}, hive_partitioning = false) d1
  JOIN (
    SELECT DISTINCT visitor_id, lvr_id,
           sha256(lower(trim(coalesce(pii, ''))) || '|' || trim(coalesce(ip, ''))) AS sha2
    FROM read_parquet(${sqlFileList(ds2Files)}) WHERE visitor_id IS NOT NULL
  ) d2 ON d1.visitor_id = d2.visitor_id
) TO ${sqlString(out)} (FORMAT parquet, FILE_SIZE_BYTES '${targetFileMB}MB', FILENAME_PATTERN 'part-{i}')`);
const ms = Date.now() - started;
const status = fs.readFileSync('/proc/self/status', 'utf8');
const peakRssBytes = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
conn.closeSync();
instance.closeSync();
fs.rmSync(tempDirectory, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ ms, peakRssBytes, load: os.loadavg() })}\n`);

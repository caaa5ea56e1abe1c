// The scratch sweep removes exactly what no running process owns: a dead process's task folders,
// an earlier process's with our pid (a restarted container), an earlier release's; never a live
// process's, our own, or files that are not Daybreak's.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { isStaleScratch, scratchName, sweepScratch } from '../../lib/scratch.js';
import { tempDir } from '../helpers/temporal.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('stale: a dead process, an earlier process with our pid, an earlier release; not us, a live process, foreign files', async () => {
  const dir = tempDir('scratch-sweep');
  const dead = await deadPid();
  const mine = scratchName('map-3');
  const live = `reduce-1.p${process.ppid}.abcdef12.${UUID}`; // our parent: alive
  const killed = `ij-hash-0.p${dead}.abcdef12.${UUID}`;
  const restarted = `duckdb.p${process.pid}.00000000.${UUID}`; // our pid, another process
  const legacy = `fs-compute-customer-${UUID}`;
  const foreign = 'notes.txt';
  for (const name of [mine, live, killed, restarted, legacy]) {
    await fs.mkdir(path.join(dir, name, 'staged'), { recursive: true });
    await fs.writeFile(path.join(dir, name, 'staged', 'ds2.parquet'), 'pii');
  }
  await fs.writeFile(path.join(dir, foreign), 'x');
  expect(isStaleScratch(mine)).toBe(false);
  expect((await sweepScratch(dir)).sort()).toEqual([killed, legacy, restarted].sort());
  expect((await fs.readdir(dir)).sort()).toEqual([foreign, live, mine].sort());
  expect(await sweepScratch(path.join(dir, 'missing'))).toEqual([]);
});

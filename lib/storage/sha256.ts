// SHA-256 of files, off the main thread: a small pool of worker threads (one per core), each
// reading its file through one reused 1 MB buffer. Hashed on the main thread, the checksums of two
// tasks' outputs ran one after the other on one core while the other sat idle (~0.75 s for 1 GB of
// a SQL pipeline's Parquet, most of its gap to a bare DuckDB query; bench:sql-pipeline), and they
// held up the event loop that serves heartbeats and workflow tasks meanwhile.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** What each pool thread runs (CommonJS, from a string: the same under tsx, vitest and the build). */
const HASHER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const buffer = Buffer.allocUnsafe(1 << 20);
parentPort.on('message', ({ path }) => {
  let fd;
  try {
    fd = fs.openSync(path, 'r');
    const hash = createHash('sha256');
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
    parentPort.postMessage({ hex: hash.digest('hex') });
  } catch (err) {
    parentPort.postMessage({ error: { message: err.message, code: err.code } });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

interface Job {
  path: string;
  resolve(hex: string): void;
  reject(err: Error): void;
}

interface Hasher {
  worker: Worker;
  job?: Job;
}

const POOL_SIZE = Math.max(1, Math.min(os.availableParallelism(), 4));
const idle: Hasher[] = [];
const queue: Job[] = [];
let started = 0;

function failed(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

/** A new pool thread; it keeps the process alive only while it hashes. */
function startHasher(): Hasher {
  const hasher: Hasher = { worker: new Worker(HASHER_SOURCE, { eval: true }) };
  started += 1;
  hasher.worker.on('message', (msg: { hex?: string; error?: { message: string; code?: string } }) => {
    const job = hasher.job!;
    hasher.job = undefined;
    if (msg.error) job.reject(failed(msg.error.message, msg.error.code));
    else job.resolve(msg.hex!);
    next(hasher);
  });
  // A thread that dies takes its job with it: that job fails, the pool starts another when needed.
  let gone = false;
  const lost = (err: Error) => {
    if (gone) return; // 'error' is followed by 'exit'
    gone = true;
    started -= 1;
    const i = idle.indexOf(hasher);
    if (i >= 0) idle.splice(i, 1);
    hasher.job?.reject(err);
    hasher.job = undefined;
  };
  hasher.worker.on('error', lost);
  hasher.worker.on('exit', (code) => lost(new Error(`a SHA-256 thread exited (code ${code})`)));
  return hasher;
}

function next(hasher: Hasher): void {
  const job = queue.shift();
  if (!job) {
    hasher.worker.unref();
    idle.push(hasher);
    return;
  }
  hasher.job = job;
  hasher.worker.ref();
  hasher.worker.postMessage({ path: job.path });
}

/** SHA-256 of a file on the main thread: where no worker thread can be started. */
async function sha256Here(localPath: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await fs.open(localPath, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** The SHA-256 of a local file as hex; errors carry the file system's code (ENOENT, ...). */
export function sha256File(localPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    queue.push({ path: localPath, resolve, reject });
    const hasher = idle.pop();
    if (hasher) return next(hasher);
    if (started >= POOL_SIZE) return; // the next thread to finish takes it
    let fresh: Hasher;
    try {
      fresh = startHasher();
    } catch {
      const job = queue.pop()!;
      sha256Here(job.path).then(job.resolve, job.reject);
      return;
    }
    next(fresh);
  });
}

// Runs `node bin/daybreak.js worker` as a child process (its own identity and environment) and
// waits until it polls.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface WorkerProcess {
  identity: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no drain, no goodbye, like the OOM killer. */
  kill(): Promise<void>;
  /** SIGTERM: the SDK drains and the process exits. */
  stop(): Promise<void>;
}

export async function startWorkerProcess(
  identity: string,
  env: Record<string, string>,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.resolve('bin/daybreak.js'), 'worker'], {
    env: { ...process.env, ...env, DAYBREAK_WORKER_IDENTITY: identity },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${identity} did not start:\n${output}`)),
      180_000,
    );
    const check = () => {
      if (output.includes(' polling ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${identity} exited with ${code}:\n${output}`));
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    identity,
    child,
    output: () => output,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A sensor as a workflow loop (DESIGN 4): look for the input's `_SUCCESS` with a quick activity,
// then wait on a durable timer until the next look or a wake-up signal, until the deadline. The
// wait holds no worker slot and survives worker restarts. A missed deadline is `InputMissing`,
// naming the dataset and the date.
import { ApplicationFailure } from '@temporalio/common';
import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DailyActivities } from '../../activities/daily/index.js';
import { inputPublishedSignal, type SensorInput } from '../../lib/contracts/sensors.js';
import { ErrorType, NON_RETRYABLE_ERROR_TYPES } from '../../lib/errors.js';

export interface SensorOptions {
  pokeIntervalMs: number;
  /** Absolute deadline (ms since epoch, workflow time). */
  deadlineMs: number;
}

export interface SensorResult {
  uri: string;
  /** Looks it took (1: the input was there at once). */
  checks: number;
  waitedMs: number;
  rows?: number;
  /** Whether a publisher's signal ended the wait (rather than a look at the timer). */
  woken: boolean;
}

/** URIs whose publication was signalled and not yet consumed by a sensor. */
const signalled = new Set<string>();
let listening = false;

/** Installs the wake-up signal handler (once per run; call before the first sensor waits). */
export function listenForPublishedInputs(): void {
  if (listening) return;
  listening = true;
  setHandler(inputPublishedSignal, ({ uri }) => {
    signalled.add(uri);
  });
}

function look(input: SensorInput) {
  return proxyActivities<DailyActivities>({
    startToCloseTimeout: '2m',
    // The look heartbeats while it reads: a worker killed meanwhile is noticed in 30 s.
    heartbeatTimeout: '30s',
    retry: {
      initialInterval: '2s',
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
    summary: `sensor: look for ${input.dataset ?? input.uri} (${input.uri}/_SUCCESS)`,
  }).checkInput;
}

function formatWait(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

/** Waits for `input` to be published for `runDate`, or throws InputMissing at the deadline. */
export async function waitForInput(
  input: SensorInput,
  runDate: string,
  opts: SensorOptions,
): Promise<SensorResult> {
  listenForPublishedInputs();
  const { workflowId, runId } = workflowInfo();
  const check = look(input);
  const started = Date.now();
  let woken = false;
  for (let checks = 1; ; checks++) {
    signalled.delete(input.uri);
    const waiting = Date.now() < opts.deadlineMs;
    const found = await check({ uri: input.uri, sensor: { workflowId, runId }, waiting });
    if (found.published)
      return { uri: input.uri, checks, waitedMs: Date.now() - started, rows: found.rows, woken };
    const left = opts.deadlineMs - Date.now();
    if (!waiting || left <= 0) {
      const what = input.dataset ? `input ${input.dataset} for ${runDate}` : `input ${input.uri}`;
      throw ApplicationFailure.create({
        type: ErrorType.InputMissing,
        nonRetryable: true,
        message: `${what} was not published by its deadline: no _SUCCESS manifest at ${input.uri} after ${formatWait(
          Date.now() - started,
        )} (${checks} looks, deadline ${new Date(opts.deadlineMs).toISOString()})`,
      });
    }
    woken = await condition(() => signalled.has(input.uri), Math.min(opts.pokeIntervalMs, left));
  }
}

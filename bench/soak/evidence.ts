// What the soak prints about a lost alert, so the next person can tell where it went (issue 14,
// finding E: a RESOLVED that reached e-mail but not Slack, with no warning in the worker logs):
// every request either channel got for the alert's scope (with Slack's answer), and the scope's
// alert-state history (each update: claim, channel delivered, delivered, release, resolve).
import type { Client } from '@temporalio/client';
import { alertStateId } from '../../alerts/dedup.js';
import { eventMs } from '../common/timeline.js';
import type { Channel, ReceivedAlert } from './alerts.js';

/** One request a channel got: an e-mail, or a Slack post with the status it was answered. */
export interface ChannelRequest {
  channel: Channel;
  at: number;
  /** Slack only: the receiver's answer (a 5xx is a failed delivery the sender retries). */
  answered?: number;
  alert: ReceivedAlert;
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** The scope of an accounting line (`round <n> <pipeline>/<date> (run <id>): ...`). */
export function scopeOfLine(line: string): string | undefined {
  return /^round \d+ (\S+) \(run /.exec(line)?.[1];
}

async function alertStateHistory(client: Client, scope: string): Promise<string[]> {
  let events;
  try {
    events = (await client.workflow.getHandle(alertStateId(scope)).fetchHistory()).events ?? [];
  } catch (err) {
    return [`  alert state ${alertStateId(scope)}: ${(err as Error).message}`];
  }
  const lines: string[] = [];
  for (const e of events) {
    const at = time(eventMs(e.eventTime));
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (update) {
      const args = (update.args?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8'));
      lines.push(`  ${at} alert state: update ${update.name} ${args.join(' ')}`);
    }
    const done = e.workflowExecutionUpdateCompletedEventAttributes?.outcome;
    if (done) {
      const result = (done.success?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8'));
      lines.push(`  ${at} alert state: answered ${done.failure ? 'failure' : result.join(' ')}`);
    }
    if (e.workflowExecutionCompletedEventAttributes) lines.push(`  ${at} alert state: closed`);
  }
  return lines;
}

/** For each scope with a lost alert: what both channels got for it, and its alert state's history. */
export async function lostAlertEvidence(
  client: Client,
  lostLines: readonly string[],
  requests: readonly ChannelRequest[],
): Promise<string[]> {
  const scopes = [...new Set(lostLines.map(scopeOfLine).filter((s) => s !== undefined))];
  const out: string[] = [];
  for (const scope of scopes) {
    out.push(`evidence for ${scope}:`);
    for (const r of requests.filter((q) => q.alert.scope === scope).sort((a, b) => a.at - b.at))
      out.push(
        `  ${time(r.at)} ${r.channel}${r.answered === undefined ? '' : ` (answered ${r.answered})`}: ${r.alert.subject} (run ${r.alert.runId ?? '?'})`,
      );
    out.push(...(await alertStateHistory(client, scope)));
  }
  return out;
}

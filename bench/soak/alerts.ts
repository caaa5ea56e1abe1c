// The soak's alert accounting: what the SMTP sink and the Slack receiver actually got, against
// what the runs (as the Temporal server recorded them) call for. Per run scope (pipeline and
// logical date) the dedup state is replayed from the runs: a failure of a class not open in its
// scope calls for one FAILED alert (the class then open until a run of the scope succeeds); a
// repeat of an open class calls for none (suppressed); a heartbeat timeout calls for one WORKER
// LOST per lost worker (class `WorkerLost:<worker>`, open the same way); a successful run of a
// scope with open classes calls for one RESOLVED, which closes them. Each channel must get each
// called-for alert exactly once: a missing one is lost, a second one (or one not called for) is
// duplicated. Alerts are matched to runs by their "Run id" field, so a redelivered alert counts
// for the run that raised it whenever it arrives.
import type { ParsedMail } from 'mailparser';

export type Channel = 'email' | 'slack';
export const CHANNELS: readonly Channel[] = ['email', 'slack'];

export interface ReceivedAlert {
  channel: Channel;
  kind: 'failure' | 'resolved' | 'worker-lost' | 'other';
  subject: string;
  scope?: string;
  runId?: string;
  errorClass?: string;
  lostWorker?: string;
  /** WORKER LOST: the retried activity's id and attempt. */
  activityId?: string;
  attempts?: number;
  resolves: string[];
  /** When the sink or receiver got it (ms since the epoch). */
  at?: number;
}

/** One run as the server recorded it. */
export interface RunTruth {
  round: number;
  scope: string;
  runId: string;
  outcome: 'completed' | 'failed';
  errorClass?: string;
  /** Attempts retried after a heartbeat timeout: a worker was lost. */
  workerLosses: number;
  /** Those attempts: `<activity type> attempt <n> on <worker>`. */
  lostAttempts?: string[];
  /** Each activity's last attempt (the history records only the last one's start). */
  lastAttempt?: Record<string, number>;
}

export interface ChannelAccount {
  /** Alerts the runs called for. */
  expected: number;
  /** Alerts the channel got. */
  received: number;
  lost: string[];
  duplicated: string[];
  /** RESOLVED messages that came with a later success of the scope than the first one after the alert. */
  resolvedLate: string[];
}

const HEADLINES: [string, ReceivedAlert['kind']][] = [
  ['[Daybreak] FAILED ', 'failure'],
  ['[Daybreak] RESOLVED ', 'resolved'],
  ['[Daybreak] WORKER LOST ', 'worker-lost'],
];

/** Parses an alert's plain text (alerts/content.ts alertText: the subject, then `Label: value` lines). */
export function parseAlertText(channel: Channel, text: string): ReceivedAlert {
  const lines = text.split('\n');
  const subject = lines[0] ?? '';
  const field = (label: string) =>
    lines
      .find((l) => l.startsWith(`${label}: `))
      ?.slice(label.length + 2)
      .trim() || undefined;
  const pipeline = field('Pipeline');
  const date = field('Logical date');
  return {
    channel,
    kind: HEADLINES.find(([h]) => subject.startsWith(h))?.[1] ?? 'other',
    subject,
    scope: pipeline ? `${pipeline}/${date ?? 'undated'}` : undefined,
    runId: field('Run id'),
    errorClass: field('Error class'),
    lostWorker: field('Lost worker'),
    activityId: /\((\S+)\)$/.exec(field('Activity') ?? '')?.[1],
    attempts: field('Attempts') === undefined ? undefined : Number(field('Attempts')),
    resolves: (field('Resolves') ?? '').split(', ').filter(Boolean),
  };
}

export function parseEmail(mail: ParsedMail, at?: number): ReceivedAlert {
  return { ...parseAlertText('email', mail.text ?? mail.subject ?? ''), at };
}

/** The class an alert is deduplicated under (alerts/service.ts callers). */
function classOf(a: ReceivedAlert): string | undefined {
  if (a.kind === 'failure') return a.errorClass;
  if (a.kind === 'worker-lost') return `WorkerLost:${a.lostWorker ?? 'unknown (no heartbeat)'}`;
  return undefined;
}

export function accountAlerts(
  runs: readonly RunTruth[],
  received: readonly ReceivedAlert[],
): Record<Channel, ChannelAccount> {
  const account = Object.fromEntries(
    CHANNELS.map((c) => [
      c,
      { expected: 0, received: 0, lost: [], duplicated: [], resolvedLate: [] } as ChannelAccount,
    ]),
  ) as Record<Channel, ChannelAccount>;
  for (const a of received) account[a.channel].received++;
  const byRun = new Map<string, ReceivedAlert[]>();
  for (const a of received) {
    if (a.kind === 'other' || !a.runId) {
      account[a.channel].duplicated.push(`not a run alert: ${a.subject}`);
      continue;
    }
    byRun.set(a.runId, [...(byRun.get(a.runId) ?? []), a]);
  }
  const known = new Set(runs.map((r) => r.runId));
  for (const [runId, alerts] of byRun)
    if (!known.has(runId))
      for (const a of alerts) account[a.channel].duplicated.push(`no such run ${runId}: ${a.subject}`);

  /** `count` alerts on each channel for what `matches`; `want` of them called for. */
  const expect = (what: string, alerts: ReceivedAlert[], want: 0 | 1) => {
    for (const channel of CHANNELS) {
      const got = alerts.filter((a) => a.channel === channel).length;
      account[channel].expected += want;
      if (got < want) account[channel].lost.push(what);
      // When each copy arrived: what to match against the faults of that moment.
      const arrivals = alerts
        .filter((a) => a.channel === channel && a.at !== undefined)
        .map((a) => new Date(a.at!).toISOString().slice(11, 23));
      for (let i = want; i < got; i++)
        account[channel].duplicated.push(`${what} (copies arrived ${arrivals.join(', ')})`);
    }
  };

  const open = new Map<string, Set<string>>(); // scope -> classes alerted and not resolved
  // scope -> the completed run that should have resolved its open classes but did not (yet)
  const unresolved = new Map<string, string>();
  const ordered = [...runs].sort((a, b) => a.round - b.round);
  for (const run of ordered) {
    const scopeOpen = open.get(run.scope) ?? new Set<string>();
    open.set(run.scope, scopeOpen);
    const alerts = byRun.get(run.runId) ?? [];
    const label = `round ${run.round} ${run.scope} (run ${run.runId})`;

    // Worker lost: which workers, from the alerts themselves (the server does not say).
    const lostAlerts = alerts.filter((a) => a.kind === 'worker-lost');
    const lostClasses = [...new Set(lostAlerts.map((a) => classOf(a)!))];
    for (const cls of lostClasses)
      expect(
        `${label}: WORKER LOST ${cls}`,
        lostAlerts.filter((a) => classOf(a) === cls),
        scopeOpen.has(cls) ? 0 : 1,
      );
    const alreadyOpen = [...scopeOpen].some((c) => c.startsWith('WorkerLost:'));
    for (const cls of lostClasses) scopeOpen.add(cls);
    if (run.workerLosses > 0 && lostClasses.length === 0 && !alreadyOpen)
      expect(`${label}: WORKER LOST (heartbeat timeouts: ${(run.lostAttempts ?? []).join('; ')})`, [], 1);
    // A retry chain shows only its last attempt's cause: an alert naming an attempt the activity
    // reached is a real loss even when the last cause was another fault.
    for (const a of lostAlerts) {
      const reached = run.lastAttempt?.[a.activityId ?? ''] ?? 0;
      if (run.workerLosses === 0 && !(a.attempts !== undefined && reached >= a.attempts))
        account[a.channel].duplicated.push(`${label}: WORKER LOST with no such retry (${a.subject})`);
    }

    // The run's outcome: a failure alert, or the resolution of what its scope had open.
    const failures = alerts.filter((a) => a.kind === 'failure');
    if (run.outcome === 'failed') {
      const cls = run.errorClass ?? 'Error';
      expect(
        `${label}: FAILED ${cls}`,
        failures.filter((a) => a.errorClass === cls),
        scopeOpen.has(cls) ? 0 : 1,
      );
      for (const a of failures.filter((f) => f.errorClass !== cls))
        account[a.channel].duplicated.push(`${label}: FAILED ${a.errorClass} (the run failed with ${cls})`);
      scopeOpen.add(cls);
    } else {
      for (const a of failures) account[a.channel].duplicated.push(`${label}: FAILED of a completed run`);
    }
    const resolved = alerts.filter((a) => a.kind === 'resolved');
    if (run.outcome === 'completed') {
      if (scopeOpen.size > 0 && resolved.length === 0) {
        // An alert delivered only after the run resolved its scope stays open until the next success.
        if (!unresolved.has(run.scope)) unresolved.set(run.scope, label);
      } else {
        expect(`${label}: RESOLVED ${[...scopeOpen].join(', ')}`, resolved, scopeOpen.size > 0 ? 1 : 0);
        const missed = unresolved.get(run.scope);
        if (missed && scopeOpen.size > 0)
          for (const c of CHANNELS) account[c].resolvedLate.push(`${missed}: resolved only by ${label}`);
        unresolved.delete(run.scope);
        scopeOpen.clear();
      }
    } else {
      for (const a of resolved) account[a.channel].duplicated.push(`${label}: RESOLVED of a failed run`);
    }
  }
  for (const [, label] of unresolved)
    for (const c of CHANNELS) {
      account[c].expected++;
      account[c].lost.push(`${label}: never RESOLVED`);
    }
  return account;
}

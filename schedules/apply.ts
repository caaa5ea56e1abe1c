// `daybreak schedules apply`: make the server's schedules match the code. The diff comes first
// (create / update / unchanged / delete); a second apply of the same code changes nothing, because
// each schedule's action memo carries the fingerprint of the definition that produced it.
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import {
  compileSchedule,
  SCHEDULE_ID_PREFIX,
  VERSION_MEMO_KEY,
  type CompileContext,
  type CompiledSchedule,
} from './compile.js';
import { retryTransient } from './retry.js';
import type { ScheduleDefinitionInput } from './types.js';

export type ChangeKind = 'create' | 'update' | 'unchanged' | 'delete';

export interface ScheduleChange {
  kind: ChangeKind;
  name: string;
  scheduleId: string;
  reason: string;
  compiled?: CompiledSchedule;
}

export interface ApplyOptions extends CompileContext {
  client: Client;
  definitions: ScheduleDefinitionInput[];
  /** Delete managed schedules (under the id prefix) that no definition names any more. */
  prune?: boolean;
  dryRun?: boolean;
}

export async function describeOrUndefined(
  client: Client,
  scheduleId: string,
): Promise<ScheduleDescription | undefined> {
  try {
    return await retryTransient(() => client.schedule.getHandle(scheduleId).describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

function versionOf(desc: ScheduleDescription): string | undefined {
  if (desc.action.type !== 'startWorkflow') return undefined;
  const v = desc.action.memo?.[VERSION_MEMO_KEY];
  return typeof v === 'string' ? v : undefined;
}

/** Ids of the managed schedules on the server (listing is eventually consistent; describe confirms). */
export async function listManagedScheduleIds(
  client: Client,
  idPrefix = SCHEDULE_ID_PREFIX,
): Promise<string[]> {
  return retryTransient(async () => {
    const ids: string[] = [];
    for await (const s of client.schedule.list())
      if (s.scheduleId.startsWith(idPrefix)) ids.push(s.scheduleId);
    return ids.sort();
  });
}

/** The diff between the code and the server; nothing is changed. */
export async function planApply(opts: ApplyOptions): Promise<ScheduleChange[]> {
  const prefix = opts.idPrefix ?? SCHEDULE_ID_PREFIX;
  const compiled = opts.definitions.map((d) => compileSchedule(d, opts));
  const seen = new Set<string>();
  for (const c of compiled) {
    if (seen.has(c.scheduleId)) throw new Error(`two schedule definitions are named ${c.definition.name}`);
    seen.add(c.scheduleId);
  }
  const changes: ScheduleChange[] = [];
  for (const c of compiled) {
    const current = await describeOrUndefined(opts.client, c.scheduleId);
    const base = { name: c.definition.name, scheduleId: c.scheduleId, compiled: c };
    if (!current) changes.push({ ...base, kind: 'create', reason: `new (version ${c.version})` });
    else if (versionOf(current) === c.version)
      changes.push({ ...base, kind: 'unchanged', reason: `version ${c.version}` });
    else
      changes.push({
        ...base,
        kind: 'update',
        reason: `definition changed (version ${versionOf(current) ?? 'unknown'} -> ${c.version})`,
      });
  }
  if (opts.prune) {
    for (const id of await listManagedScheduleIds(opts.client, prefix)) {
      if (seen.has(id)) continue;
      if (!(await describeOrUndefined(opts.client, id))) continue; // already gone; listing lags
      changes.push({
        kind: 'delete',
        name: id.slice(prefix.length),
        scheduleId: id,
        reason: 'no definition in code (--prune)',
      });
    }
  }
  return changes;
}

/** Applies the diff (unless dryRun) and returns it. */
export async function applySchedules(opts: ApplyOptions): Promise<ScheduleChange[]> {
  const changes = await planApply(opts);
  if (opts.dryRun) return changes;
  for (const change of changes) {
    const handle = opts.client.schedule.getHandle(change.scheduleId);
    if (change.kind === 'create') {
      await opts.client.schedule.create(change.compiled!.options);
    } else if (change.kind === 'update') {
      const { options, definition } = change.compiled!;
      await handle.update((previous) => ({
        spec: options.spec,
        action: options.action,
        policies: options.policies,
        // An operator's pause (and its note) survives an apply; a definition that says paused pauses.
        state: {
          paused: definition.paused || previous.state.paused,
          note: previous.state.paused ? previous.state.note : (definition.note ?? previous.state.note),
        },
      }));
    } else if (change.kind === 'delete') {
      await handle.delete();
    }
  }
  return changes;
}

// Intermediate files of a run live under `<output>/_work/<runId>`: visible to every worker (same
// storage as the output), private to the run, and removed when the output is published (the
// manifest rule deletes whatever the manifest does not list).
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { joinUri } from '../../lib/storage/uri.js';

export function runWorkUri(output: string): string {
  const runId = Context.current().info.workflowExecution?.runId ?? randomUUID();
  return joinUri(output, '_work', runId);
}

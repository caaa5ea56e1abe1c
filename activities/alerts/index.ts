// Alert activities, called by the workflow interceptor (workflows/interceptors/alerting.ts) for
// every pipeline run, and by the watchdog workflow. They never throw for a failing channel: the
// run's own outcome must not depend on e-mail or Slack.
import { Context } from '@temporalio/activity';
import { failureFacts, type FailureFacts } from '../../alerts/run-history.js';
import { attemptLogStep, logsCommandLine } from '../../lib/contracts/attempt-log.js';
import { parseRunWorkflowId } from '../../lib/contracts/run-id.js';
import { attemptLogUri } from '../../lib/logs/layout.js';
import {
  raiseAlert,
  redeliverOnce,
  resolveScope,
  runScope,
  type AlertContext,
} from '../../alerts/service.js';
import { freshestAgeSeconds, queuePollers } from '../../alerts/watchdog.js';
import type { AlertKind, Channel, ChannelResult, RedeliveryInput } from '../../alerts/types.js';
import {
  alertLatency,
  alertsGivenUp,
  errorClassLabel,
  pipelineLabel,
  recordLastSuccess,
  runsFailed,
  runsStarted,
  runsSucceeded,
  slaMissed,
} from '../../lib/metrics.js';
import { pipelineTaskQueue } from '../../lib/contracts/alert-lane.js';
import type { ActivityDeps } from '../common/deps.js';
import { heartbeating } from '../common/heartbeat.js';
import type { QueueHealth, RunFailureInput, RunRef, SlaMissedInput, WatchdogInput } from './types.js';

export type { QueueHealth, RunFailureInput, RunRef, SlaMissedInput, WatchdogInput } from './types.js';

/** This alerting activity, the same on each of its attempts. */
function claimantOf(info: Context['info']): string | undefined {
  const run = info.workflowExecution;
  return run ? `${run.workflowId}/${run.runId}/${info.activityId}` : undefined;
}

function alertContext(deps: ActivityDeps): AlertContext {
  const ctx = Context.current();
  // Alert state and redelivery workflows run on the pipeline queue: the lane serves activities only.
  return {
    config: deps.config,
    client: ctx.client,
    taskQueue: pipelineTaskQueue(ctx.info.taskQueue),
    log: ctx.log,
    claimant: claimantOf(ctx.info),
  };
}

/** The failed step, and where its last attempt's log is (`daybreak logs ...` and the file). */
function failedStepFacts(
  root: string,
  run: RunFailureInput,
  facts: FailureFacts,
): Record<string, string> | undefined {
  if (!facts.activityType) return undefined;
  const out: Record<string, string> = { 'Failed step': facts.activityType };
  // Filed under the run's workflow id, as the worker wrote them (workers/attempt-logs.ts).
  const { pipeline, runDate } = parseRunWorkflowId(run.workflowId);
  if (!pipeline || !runDate || facts.activityId === undefined || facts.attempts === undefined) return out;
  const step = attemptLogStep(facts.activityType, facts.activityId);
  out.Logs = logsCommandLine(pipeline, runDate, step, facts.attempts);
  out['Log file'] = attemptLogUri(root, {
    pipeline,
    runDate,
    runId: run.runId,
    step,
    attempt: facts.attempts,
  });
  return out;
}

export function createAlertActivities(deps: ActivityDeps) {
  const activities = {
    /** Counts a run start (a local activity: no extra round trip). */
    async noteRunStarted(run: Pick<RunRef, 'pipeline'>): Promise<void> {
      runsStarted.inc({ pipeline: pipelineLabel(run.pipeline) });
    },

    async alertRunFailure(input: RunFailureInput): Promise<{ sent: boolean; channels: ChannelResult[] }> {
      runsFailed.inc({
        pipeline: pipelineLabel(input.pipeline),
        error_class: errorClassLabel(input.errorClass),
      });
      const ctx = alertContext(deps);
      const facts = await failureFacts(ctx.client, input.workflowId, input.runId).catch(
        (): FailureFacts => ({}),
      );
      const result = await raiseAlert(
        ctx,
        runScope(input.pipeline, input.runDate),
        input.errorClass,
        {
          kind: 'failure',
          pipeline: input.pipeline,
          runDate: input.runDate,
          workflowId: input.workflowId,
          runId: input.runId,
          errorClass: input.errorClass,
          errorMessage: input.errorMessage,
          attempts: facts.attempts ?? input.workflowAttempt,
          durationMs: Date.now() - input.startedAtMs,
          workerIdentity: facts.workerIdentity,
          facts: failedStepFacts(deps.config.DAYBREAK_DATA_ROOT, input, facts),
        },
        input.route,
      );
      // From the run's final failure (workflow time) to a channel's delivery.
      if (result.sent && input.failedAtMs !== undefined)
        alertLatency.observe({ kind: 'failure' }, Math.max(0, Date.now() - input.failedAtMs) / 1000);
      return result;
    },

    async resolveRunAlerts(input: RunRef): Promise<{ sent: boolean; resolvedClasses: string[] }> {
      runsSucceeded.inc({ pipeline: pipelineLabel(input.pipeline) });
      recordLastSuccess(input.pipeline);
      const result = await resolveScope(
        alertContext(deps),
        runScope(input.pipeline, input.runDate),
        {
          kind: 'resolved',
          pipeline: input.pipeline,
          runDate: input.runDate,
          workflowId: input.workflowId,
          runId: input.runId,
          durationMs: Date.now() - input.startedAtMs,
        },
        input.route,
      );
      return { sent: result.sent, resolvedClasses: result.resolvedClasses };
    },

    async alertSlaMissed(input: SlaMissedInput): Promise<{ sent: boolean }> {
      slaMissed.inc({ pipeline: pipelineLabel(input.pipeline) });
      const result = await raiseAlert(
        alertContext(deps),
        runScope(input.pipeline, input.runDate),
        'SlaMissed',
        {
          kind: 'sla-missed',
          pipeline: input.pipeline,
          runDate: input.runDate,
          workflowId: input.workflowId,
          runId: input.runId,
          errorClass: 'SlaMissed',
          errorMessage: `SLA missed: still running ${input.slaSeconds}s after its scheduled time`,
          durationMs: Date.now() - input.startedAtMs,
          facts: {
            SLA: `${input.slaSeconds}s after ${new Date(input.slaStartMs).toISOString()}`,
            'SLA deadline': new Date(input.slaStartMs + input.slaSeconds * 1000).toISOString(),
          },
        },
        input.route,
      );
      return { sent: result.sent };
    },

    /** One attempt of an alert's durable redelivery (workflows/alert-redelivery.ts). */
    async redeliverAlert(input: Pick<RedeliveryInput, 'alert' | 'route' | 'channels' | 'dedup'>) {
      return redeliverOnce(alertContext(deps), input);
    },

    /** The redelivery ran out of time: count it (the log names the channels). */
    async noteAlertGivenUp(input: { kind: AlertKind; channels: Channel[] }): Promise<void> {
      for (const channel of input.channels) alertsGivenUp.inc({ channel, kind: input.kind });
      Context.current().log.error('alert never delivered: redelivery gave up', input);
    },

    /** Watchdog: alerts for queues without a live poller, resolves queues that have one again. */
    async checkTaskQueues(input: WatchdogInput): Promise<QueueHealth[]> {
      const ctx = alertContext(deps);
      const report: QueueHealth[] = [];
      for (const taskQueue of input.taskQueues) {
        const pollers = await queuePollers(ctx.client, deps.config.TEMPORAL_NAMESPACE, taskQueue);
        const age = freshestAgeSeconds(pollers);
        const live = age !== undefined && age <= input.staleSeconds;
        const health: QueueHealth = {
          taskQueue,
          live,
          freshestPollerAgeSeconds: age === undefined ? undefined : Math.round(age),
          pollers: [...new Set(pollers.map((p) => p.identity))],
        };
        const scope = `task-queue/${taskQueue}`;
        if (!live) {
          const r = await raiseAlert(
            ctx,
            scope,
            'NoWorkers',
            {
              kind: 'no-workers',
              pipeline: taskQueue,
              errorClass: 'NoWorkers',
              errorMessage: `no live worker polled task queue ${taskQueue} for ${age === undefined ? 'ever (no poller known)' : `${Math.round(age)}s`} (watchdog threshold ${input.staleSeconds}s)`,
              facts: { 'Last pollers': health.pollers.join(', ') || 'none' },
            },
            input.route,
          );
          health.alert = r.sent ? 'sent' : 'suppressed';
        } else {
          const r = await resolveScope(
            ctx,
            scope,
            { kind: 'workers-back', pipeline: taskQueue, facts: { Pollers: health.pollers.join(', ') } },
            input.route,
          );
          if (r.sent) health.alert = 'resolved';
        }
        report.push(health);
      }
      return report;
    },
  };
  // On the alert lane they heartbeat (workflows/common/activity-options.ts alertLaneActivity).
  return {
    ...activities,
    alertRunFailure: heartbeating('alerting: run failure', activities.alertRunFailure),
    resolveRunAlerts: heartbeating('alerting: resolve', activities.resolveRunAlerts),
    alertSlaMissed: heartbeating('alerting: SLA missed', activities.alertSlaMissed),
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;

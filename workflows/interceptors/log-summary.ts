// Workflow interceptor: each activity a pipeline run schedules carries, in its summary (what the
// Web UI shows on the event), the command that prints its log: `map: file group 1/2 · logs:
// daybreak logs session-ranking --date 2025-03-01 --step sessionRankingMap.5`. The summary is
// fixed when the activity is scheduled, so it names the step; the command shows its last attempt
// (`--attempt N` for another). Deterministic: only the workflow's own id and the call's sequence.
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { attemptLogStep, logsCommandLine } from '../../lib/contracts/attempt-log.js';
import { parseRunWorkflowId } from '../../lib/contracts/run-id.js';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        const { pipeline, runDate } = parseRunWorkflowId(workflowInfo().workflowId);
        if (!pipeline || !runDate) return next(input);
        // The SDK's own default activity id: the call's sequence number.
        const step = attemptLogStep(input.activityType, input.options.activityId ?? `${input.seq}`);
        const link = `logs: ${logsCommandLine(pipeline, runDate, step)}`;
        const summary = input.options.summary ? `${input.options.summary} · ${link}` : link;
        return next({ ...input, options: { ...input.options, summary } });
      },
    },
  ],
});

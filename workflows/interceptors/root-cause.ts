// Workflow interceptor: when a pipeline fails because an activity or child failed, the run fails
// with the root cause's type and message (e.g. `MissingInput: no user_activity Parquet files found
// at ...`) so the Web UI, `daybreak status` and alerts show the cause, not a wrapper. The original
// chain stays attached as the cause.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { rootCauseOf, rootFailure } from '../../lib/contracts/root-cause.js';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (!(err instanceof ActivityFailure || err instanceof ChildWorkflowFailure)) throw err;
          const cause = rootCauseOf(err);
          const { root } = rootFailure(err);
          throw ApplicationFailure.create({
            type: cause.type,
            message: cause.message,
            nonRetryable: true,
            details: root instanceof ApplicationFailure ? (root.details ?? undefined) : undefined,
            cause: err,
          });
        }
      },
    },
  ],
});

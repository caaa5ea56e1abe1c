// A pipeline's plan step: a local activity in runs started since the patch (localPlanActivity:
// no task-queue round trip, no activity slot), an activity task in runs started before it, so
// their histories replay unchanged. One patch id for every pipeline workflow.
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { localPlanActivity, shortActivity } from './activity-options.js';

/** The activities to call the plan through; call it once per run, where the plan is made. */
export function planStep<A>(summary?: string) {
  return patched('plan-as-local-activity')
    ? proxyLocalActivities<A>({ ...localPlanActivity, summary })
    : proxyActivities<A>({ ...shortActivity, summary });
}

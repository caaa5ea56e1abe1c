// visits-by-country: one DuckDB aggregate activity over the date's identity-join output.
import { proxyActivities } from '@temporalio/workflow';
import type { PipelineInput } from '../../../lib/contracts/pipeline-input.js';
import { shortActivity } from '../../../workflows/common/activity-options.js';
import type { VisitsByCountryActivities } from './activities.js';
import type { VisitsByCountryParams } from './definition.js';

const { aggregateVisitsByCountry } = proxyActivities<VisitsByCountryActivities>(shortActivity);

export async function visitsByCountry(input: PipelineInput<VisitsByCountryParams>) {
  return aggregateVisitsByCountry({ runDate: input.runDate, ...input.params });
}

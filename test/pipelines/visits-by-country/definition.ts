// A fifth pipeline, as a newcomer adds one (the worked example of README "Adding a pipeline"):
// visits per country over identity-join's output. A test pipeline: the tests put it in their own
// catalogue (`catalogue([visitsByCountry])`) and worker, never in the product's.
import { z } from 'zod';
import { pipelineOutput } from '../../../lib/datasets.js';
import { datasetUri } from '../../../pipelines/params.js';
import { definePipeline } from '../../../pipelines/types.js';
import { visitsByCountry } from './workflow.js';

const params = z.object({
  joined: datasetUri().describe("identity-join's output for the date"),
  output: datasetUri().describe('output prefix'),
});

export type VisitsByCountryParams = z.output<typeof params>;

export default definePipeline({
  name: 'visits-by-country',
  description: 'Matched visit events, visitors, LiveRamp ids and revenue per country',
  owner: 'test',
  workflow: visitsByCountry,
  activities: async () => (await import('./activities.js')).createVisitsByCountryActivities,
  params,
  inputs: { joined: pipelineOutput('identity-join') },
  output: pipelineOutput('visits-by-country'),
  alerts: { route: 'default' },
});

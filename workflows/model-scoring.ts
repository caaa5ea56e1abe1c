// model-scoring: plan -> prepare records -> score blocking shards (in parallel) -> link identities
// (champion, and the shadow challenger beside it; ids carried over from the previous date's
// published output, merged ids kept as aliases) -> evaluate (with labels) -> publish.
// Thin and deterministic: all data work happens in activities, only paths and counts pass through.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type {
  ModelReport,
  ModelScoringActivities,
  ModelScoringResult,
  ShardResult,
} from '../activities/model-scoring/index.js';
import type { ModelScoringParams } from '../pipelines/model-scoring.js';
import type { ManifestFile } from '../lib/storage/manifest.js';
import { heartbeatingShortActivity, shardActivity } from './common/activity-options.js';
import { planStep } from './common/plan-step.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

/** Activities with a summary the Web UI shows on each event ("score blocking shard 2/4"). */
const heavy = (summary: string) => proxyActivities<ModelScoringActivities>({ ...shardActivity, summary });
const publishing = (summary: string) =>
  proxyActivities<ModelScoringActivities>({ ...heartbeatingShortActivity, summary });

export async function modelScoring(input: PipelineInput<ModelScoringParams>): Promise<ModelScoringResult> {
  const started = Date.now();
  const { params } = input;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await planStep<ModelScoringActivities>(
    `plan: list ${params.records}, load model ${params.model}`,
  ).planModelScoring(params);
  progress.phase = 'preparing records';
  progress.shardsTotal = plan.shards;
  const prepared = await heavy(
    `prepare: validate and normalize records into ${plan.shards} blocking shards`,
  ).prepareIdentityRecords({
    dataset: params.records,
    recordFiles: plan.recordFiles,
    shards: plan.shards,
    maxBlockSize: params.maxBlockSize,
    workUri: plan.workUri,
    champion: plan.champion,
    challenger: plan.challenger,
    labels: params.labels,
    labelFiles: plan.labelFiles,
  });
  progress.rows = prepared.records;

  progress.phase = 'scoring candidate pairs';
  const shards: ShardResult[] = await Promise.all(
    prepared.prepFiles.map(async (prepFile, shard) => {
      const r = await heavy(
        `score: blocking shard ${shard + 1}/${plan.shards} with ${plan.champion.version}${plan.challenger ? ` (+ ${plan.challenger.version} in shadow)` : ''}`,
      ).scoreIdentityShard({
        shard,
        shards: plan.shards,
        prepFile,
        output: params.output,
        workUri: plan.workUri,
        champion: plan.champion,
        threshold: plan.threshold,
        challenger: plan.challenger,
        keepScored: plan.labelFiles.length > 0,
        rules: prepared.rules,
        comparisons: prepared.comparisons,
        records: prepared.records,
      });
      progress.shardsDone += 1;
      return r;
    }),
  );

  progress.phase = 'linking identities';
  const roles = [
    { role: 'champion' as const, model: plan.champion, threshold: plan.threshold },
    ...(plan.challenger
      ? [{ role: 'challenger' as const, model: plan.challenger, threshold: plan.challenger.threshold }]
      : []),
  ];
  const pairFilesOf = (role: 'champion' | 'challenger') =>
    shards.map((s) => (role === 'champion' ? s.pairsFile : s.challengerPairsFile!));
  const links = await Promise.all(
    roles.map((r) =>
      heavy(
        `link: ${r.role} ${r.model.version} identities (${r.model.linkage === 'average' ? 'average linkage' : 'connected components'})`,
      ).linkIdentities({
        role: r.role,
        model: r.model,
        idsFile: prepared.idsFile,
        pairFiles: pairFilesOf(r.role).map((f) => f.name),
        weakPairFiles: shards.flatMap(
          (s) => (r.role === 'champion' ? s.weakPairsUri : s.challengerWeakPairsUri) ?? [],
        ),
        threshold: r.threshold,
        output: params.output,
        runDate: input.runDate,
      }),
    ),
  );

  let evaluations: Pick<ModelReport, 'pairwise' | 'clusterMetrics'>[] = [];
  if (params.labels) {
    progress.phase = 'evaluating';
    evaluations = await heavy(`evaluate: against labels ${params.labels}`).evaluateIdentities({
      labels: params.labels,
      labelFiles: plan.labelFiles,
      idsFile: prepared.idsFile,
      scoredFiles: shards.map((s) => s.scoredUri!),
      output: params.output,
      models: roles.map((r, i) => ({ ...r, clustersFile: links[i]!.file.name })),
    });
  }

  const reports: ModelReport[] = roles.map((r, i) => ({
    version: r.model.version,
    kind: r.model.kind,
    threshold: r.threshold,
    comparisonsUsed: prepared.comparisonsByModel[r.model.version] ?? [],
    matchedPairs: shards.reduce(
      (s, x) => s + (r.role === 'champion' ? x.matched : (x.challengerMatched ?? 0)),
      0,
    ),
    clusters: links[i]!.clusters,
    singletons: links[i]!.singletons,
    largestCluster: links[i]!.largest,
    linkage: links[i]!.linkage,
    splitComponents: links[i]!.splitComponents,
    identities: links[i]!.identities,
    ...evaluations[i],
  }));
  const candidatesByRule: Record<string, number> = {};
  for (const s of shards)
    for (const [k, v] of Object.entries(s.byRule)) candidatesByRule[k] = (candidatesByRule[k] ?? 0) + v;
  const result: ModelScoringResult = {
    runDate: input.runDate,
    output: params.output,
    records: prepared.records,
    shards: plan.shards,
    candidates: shards.reduce((s, x) => s + x.candidates, 0),
    candidatesByRule,
    fields: {
      used: prepared.fields.present,
      absent: prepared.fields.absent,
      empty: prepared.fields.empty,
    },
    blockingRules: {
      used: prepared.rules.map((r) => r.name),
      leftOut: prepared.rulesLeftOut,
      ...(prepared.rulesChosen ? { chosen: prepared.rulesChosen } : {}),
    },
    blockingRecall: reports[0]!.pairwise?.blockingRecall,
    cappedKeys: prepared.cappedKeys,
    champion: reports[0]!,
    challenger: reports[1],
    durationMs: 0,
  };

  progress.phase = 'publishing';
  const files: ManifestFile[] = [
    ...roles.flatMap((r) => pairFilesOf(r.role)),
    ...links.flatMap((l) => [l.file, l.aliasesFile]),
  ];
  await publishing(`publish: manifest for ${files.length} files at ${params.output}`).publishModelScoring({
    runDate: input.runDate,
    output: params.output,
    files,
    report: { ...result, durationMs: undefined },
  });
  progress.phase = 'done';
  return { ...result, durationMs: Date.now() - started };
}

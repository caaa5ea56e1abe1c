// `daybreak models list|show|train|evaluate`: the identity model registry (models/identity/);
// evaluate --churn also measures how stable identity ids are from one day to the next.
import { formatDuration } from '../../lib/durations.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../lib/config.js';
import {
  levelWeights,
  LINKAGES,
  MODEL_KINDS,
  type IdentityModel,
  type Linkage,
  type ModelKind,
} from '../../lib/identity/model.js';
import { LOCATION_SCHEMES, type LocationScheme } from '../../lib/identity/comparisons.js';
import { listModels, loadModel } from '../../lib/identity/registry.js';
import type { BlockingProposal } from '../../lib/identity/blocking-choice.js';
import type { IdentityChurn } from '../../activities/model-scoring/churn.js';
import { ruleProblem, type BlockingRule } from '../../lib/identity/blocking.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`not a positive integer: ${value}`);
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`not a number in (0, 1): ${value}`);
  return n;
}

function proposalText(p: BlockingProposal & { records?: number }): string {
  const lines = [
    `recall ${p.recallFrom === 'labels' ? 'measured on' : 'estimated from the probable matches of'} ${Math.round(p.truePairs).toLocaleString('en-US')} ${p.recallFrom === 'labels' ? 'true pairs' : 'pairs'}; pair budget ${p.maxPairs.toLocaleString('en-US')}`,
    'rule\tpairs\trecall\tkey',
    ...[...p.stats]
      .sort((a, b) => b.recall - a.recall)
      .map((s) => `${s.rule.name}\t${s.pairs}\t${pct(s.recall)}\t${s.description}`),
    `proposed: ${p.chosen.map((r) => r.name).join(', ')} (${p.pairs.toLocaleString('en-US')} pairs at most, recall ${pct(p.recall)})`,
  ];
  return `${lines.join('\n')}\n`;
}

function percentage(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 50)) throw new InvalidArgumentError(`not a percentage in (0, 50]: ${value}`);
  return n;
}

function churnText(churn: IdentityChurn[]): string {
  const lines = [
    `identity churn: next day with ${churn[0]?.changedPct}% of records changed (removed, edited, joined by a new record)`,
    'version\trecords day 1\tday 2\tunchanged\tid changed: smallest record\tpersistent ids',
    ...churn.map(
      (c) =>
        `${c.version}\t${c.records.day1}\t${c.records.day2}\t${c.records.unchanged}\t${c.changedIds.smallestRecord} (${pct(c.churn.smallestRecord)})\t${c.changedIds.persistent} (${pct(c.churn.persistent)})`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function versionList(value: string): string[] {
  const list = value.split(',').map((v) => v.trim());
  for (const v of list)
    if (!/^v[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`not a model version: ${v}`);
  return list;
}

function summary(m: IdentityModel): string {
  return `${m.version}\t${m.kind}\tthreshold ${m.threshold.toFixed(4)}\t${m.created}\t${m.description ?? ''}`;
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description(
    'the identity-resolution model registry (DAYBREAK_MODELS_DIR)',
  );
  cmd
    .command('list')
    .description('list registered model versions')
    .action(async () => {
      const config = loadConfig();
      for (const m of await listModels(config.DAYBREAK_MODELS_DIR)) process.stdout.write(`${summary(m)}\n`);
    });
  cmd
    .command('show <version>')
    .description('print a model file and its per-level weights')
    .option('--weights', 'print the additive weight of each comparison level instead of the file')
    .action(async (version: string, opts: { weights?: boolean }) => {
      const config = loadConfig();
      const model = await loadModel(config.DAYBREAK_MODELS_DIR, version);
      process.stdout.write(`${JSON.stringify(opts.weights ? levelWeights(model) : model, null, 2)}\n`);
    });
  cmd
    .command('train')
    .description('estimate a new model version from customer records and register it')
    .addOption(new Option('--kind <kind>', 'model kind').choices(MODEL_KINDS).makeOptionMandatory())
    .requiredOption('--records <dataset>', 'customer records Parquet (file, dir, glob or gs:// URI)')
    .option('--labels <dataset>', 'ground truth (record_id, person_id); required for logistic')
    .option('--description <text>', 'a note stored in the model file')
    .option(
      '--max-pairs <n>',
      'pair budget for the blocking rules chosen (default 20 per record)',
      positiveInt,
    )
    .option(
      '--target-precision <p>',
      'with --labels: the threshold reaching this precision (default 0.99)',
      probability,
    )
    .option(
      '--blocking <file>',
      'JSON list of blocking rules to use instead of choosing them (see models blocking --json)',
    )
    .addOption(
      new Option(
        '--linkage <linkage>',
        'how runs link matched pairs into identities: average (clusters join when the mean weight of the pairs between them reaches the threshold) or components (any matched pair joins them)',
      )
        .choices(LINKAGES)
        .default('average'),
    )
    .addOption(
      new Option(
        '--location <scheme>',
        'how postcode, city and state are scored: once (one location fact counted once: data with households), each (every field on its own: data without), or auto (chosen from the share of different people found at one address)',
      )
        .choices(['auto', ...LOCATION_SCHEMES])
        .default('auto'),
    )
    .option('--dry-run', 'print the model without registering it')
    .action(
      async (opts: {
        kind: ModelKind;
        linkage: Linkage;
        location: LocationScheme | 'auto';
        records: string;
        labels?: string;
        description?: string;
        maxPairs?: number;
        targetPrecision?: number;
        blocking?: string;
        dryRun?: boolean;
      }) => {
        const config = loadConfig();
        const started = Date.now();
        const { trainIdentityModel } = await import('../../activities/model-scoring/offline.js');
        const rules = opts.blocking ? await readRules(opts.blocking) : undefined;
        const model = await trainIdentityModel(config, {
          ...opts,
          rules,
          register: !opts.dryRun,
          onResult: (r) => {
            process.stderr.write(`location: ${r.households.reason}\n`);
            if (r.blocking) process.stderr.write(proposalText(r.blocking));
            process.stderr.write(
              `${opts.labels ? 'measured' : 'estimated'} precision/recall by threshold (${r.candidates.toLocaleString('en-US')} candidate pairs):\nthreshold\tprecision\trecall\tF1\n${r.curve.map((c) => `${c.threshold}\t${pct(c.precision)}\t${pct(c.recall)}\t${pct(c.f1)}`).join('\n')}\n`,
            );
          },
        });
        process.stdout.write(`${JSON.stringify(model, null, 2)}\n`);
        const version = 'version' in model ? model.version : '(not registered)';
        process.stderr.write(
          `daybreak: trained ${opts.kind} ${version} in ${formatDuration(Date.now() - started)}\n`,
        );
      },
    );
  cmd
    .command('blocking')
    .description(
      'pair count and recall of every candidate blocking rule on these records, and the rule set with the most recall within the pair budget',
    )
    .requiredOption('--records <dataset>', 'customer records Parquet')
    .option('--labels <dataset>', 'ground truth: recall measured (else estimated from probable matches)')
    .option('--max-pairs <n>', 'pair budget (default 20 per record, at least 200,000)', positiveInt)
    .option('--json', 'print JSON (its "chosen" list is a blocking file for models train --blocking)')
    .action(async (opts: { records: string; labels?: string; maxPairs?: number; json?: boolean }) => {
      const config = loadConfig();
      const { proposeIdentityBlocking } = await import('../../activities/model-scoring/offline.js');
      const p = await proposeIdentityBlocking(config, opts);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${p.records.toLocaleString('en-US')} records; fields used: ${p.fields.present.join(', ')}${p.fields.absent.length + p.fields.empty.length ? `; left out: ${[...p.fields.absent, ...p.fields.empty].join(', ')}` : ''}\n${proposalText(p)}`,
      );
    });
  cmd
    .command('evaluate')
    .description('pairwise and cluster precision/recall/F1 of model versions on labelled records')
    .requiredOption('--records <dataset>', 'customer records Parquet')
    .requiredOption('--labels <dataset>', 'ground truth (record_id, person_id) Parquet')
    .option('--versions <list>', 'comma-separated versions (default: all)', versionList)
    .option(
      '--churn <pct>',
      'also measure identity churn: derive a next day with <pct>% of the records changed and report the share of unchanged records whose identity id changes (smallest-record ids vs persistent ids)',
      percentage,
    )
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        records: string;
        labels: string;
        versions?: string[];
        churn?: number;
        json?: boolean;
      }) => {
        const config = loadConfig();
        const models = opts.versions
          ? await Promise.all(opts.versions.map((v) => loadModel(config.DAYBREAK_MODELS_DIR, v)))
          : await listModels(config.DAYBREAK_MODELS_DIR);
        const { evaluateIdentityModels } = await import('../../activities/model-scoring/offline.js');
        const results = await evaluateIdentityModels(
          config,
          { records: opts.records, labels: opts.labels },
          models,
        );
        const churn =
          opts.churn === undefined
            ? undefined
            : await (
                await import('../../activities/model-scoring/churn.js')
              ).measureIdentityChurn(config, opts.records, models, opts.churn);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(churn ? { models: results, churn } : results, null, 2)}\n`);
          return;
        }
        const first = results[0];
        if (first) process.stdout.write(`true pairs ${first.pairwise.truePairs}\n`);
        process.stdout.write(
          'version\tkind\tthreshold\tcandidates\tblocking recall\tprecision\trecall\tF1\tcluster F1\texact clusters\trules\n',
        );
        for (const r of results) {
          process.stdout.write(
            `${r.version}\t${r.kind}\t${r.threshold.toFixed(4)}\t${r.candidates}\t${pct(r.pairwise.blockingRecall)}\t${pct(r.pairwise.precision)}\t${pct(r.pairwise.recall)}\t${pct(r.pairwise.f1)}\t${pct(r.clusters.f1)}\t${pct(r.clusters.exactClusterRate)}\t${r.rules.join(',')}\n`,
          );
        }
        if (churn) process.stdout.write(churnText(churn));
      },
    );
  return cmd;
}

async function readRules(file: string): Promise<BlockingRule[]> {
  const fs = await import('node:fs/promises');
  const raw = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  // Accept the rule list itself or `models blocking --json` output (its "chosen" list).
  const rules = Array.isArray(raw) ? raw : (raw as { chosen?: unknown }).chosen;
  const problem = ruleProblem(rules);
  if (problem) throw new InvalidArgumentError(`--blocking ${file}: ${problem}`);
  return rules as BlockingRule[];
}

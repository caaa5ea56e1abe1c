// `daybreak models list|show|train|evaluate`: the identity model registry (models/identity/).
import { formatDuration } from '../../lib/durations.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { levelWeights, MODEL_KINDS, type IdentityModel, type ModelKind } from '../../lib/identity/model.js';
import { listModels, loadModel } from '../../lib/identity/registry.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

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
    .option('--dry-run', 'print the model without registering it')
    .action(
      async (opts: {
        kind: ModelKind;
        records: string;
        labels?: string;
        description?: string;
        dryRun?: boolean;
      }) => {
        const config = loadConfig();
        const started = Date.now();
        const { trainIdentityModel } = await import('../../activities/model-scoring/offline.js');
        const model = await trainIdentityModel(config, { ...opts, register: !opts.dryRun });
        process.stdout.write(`${JSON.stringify(model, null, 2)}\n`);
        const version = 'version' in model ? model.version : '(not registered)';
        process.stderr.write(
          `daybreak: trained ${opts.kind} ${version} in ${formatDuration(Date.now() - started)}\n`,
        );
      },
    );
  cmd
    .command('evaluate')
    .description('pairwise and cluster precision/recall/F1 of model versions on labelled records')
    .requiredOption('--records <dataset>', 'customer records Parquet')
    .requiredOption('--labels <dataset>', 'ground truth (record_id, person_id) Parquet')
    .option('--versions <list>', 'comma-separated versions (default: all)', versionList)
    .option('--json', 'print JSON')
    .action(async (opts: { records: string; labels: string; versions?: string[]; json?: boolean }) => {
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
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      const first = results[0];
      if (first) {
        process.stdout.write(
          `candidates ${first.pairwise.candidates}, true pairs ${first.pairwise.truePairs}, blocking recall ${pct(first.pairwise.blockingRecall)}\n`,
        );
      }
      process.stdout.write('version\tkind\tthreshold\tprecision\trecall\tF1\tcluster F1\texact clusters\n');
      for (const r of results) {
        process.stdout.write(
          `${r.version}\t${r.kind}\t${r.threshold.toFixed(4)}\t${pct(r.pairwise.precision)}\t${pct(r.pairwise.recall)}\t${pct(r.pairwise.f1)}\t${pct(r.clusters.f1)}\t${pct(r.clusters.exactClusterRate)}\n`,
        );
      }
    });
  return cmd;
}

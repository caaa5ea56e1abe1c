// `daybreak datasets list|show`: the datasets the catalogue declares (raw inputs and pipeline
// outputs) and their published partitions, from the `_SUCCESS` manifests: rows, files, bytes, the
// run that published each (Web UI link), when, and whether it is fresh or stale (an input was
// republished after it, lib/lineage.ts).
import { Command } from 'commander';
import { loadConfig, type Config } from '../../lib/config.js';
import { datasetByName, type Dataset } from '../../lib/datasets.js';
import { lineageInputs, publishedPartitions, type PublishedPartition } from '../../lib/lineage.js';
import { ParamError, type Catalogue } from '../../pipelines/index.js';
import { commandCatalogue } from '../catalogue.js';
import { parseDateOption } from '../params.js';
import { formatTable } from '../table.js';

/** Every dataset the catalogue reads or writes, each once, outputs with their producer. */
export function catalogueDatasets(catalogue: Catalogue): Dataset[] {
  const byName = new Map<string, Dataset>();
  for (const p of catalogue.pipelines) {
    byName.set(p.output.name, p.output);
    for (const d of Object.values(p.inputs)) if (!byName.has(d.name)) byName.set(d.name, d);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A run's Web UI link (lib/temporal.ts, loaded with the Temporal SDK only when needed). */
type RunLink = (workflowId: string, runId: string) => string;

async function runLinks(config: Config): Promise<RunLink> {
  const { webUiRunUrl } = await import('../../lib/temporal.js');
  return (workflowId, runId) => webUiRunUrl(config, workflowId, runId);
}

/** A partition as `--json` prints it. */
export function partitionJson(link: RunLink, p: PublishedPartition) {
  const run = p.manifest.run;
  return {
    date: p.date,
    prefix: p.prefix,
    rows: p.manifest.totals.rows,
    files: p.manifest.totals.files,
    bytes: p.manifest.totals.bytes,
    publishedAt: p.manifest.createdAt,
    run: run ? { ...run, url: link(run.workflowId, run.runId) } : undefined,
    freshness: p.freshness.state,
    staleBecause: p.freshness.reasons,
    inputs: lineageInputs(p.manifest) ?? [],
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const freshnessWord = (p: PublishedPartition) =>
  p.freshness.state === 'unknown' ? 'no lineage' : p.freshness.state;

function findDataset(catalogue: Catalogue, name: string): Dataset {
  const known = catalogueDatasets(catalogue);
  const found = known.find((d) => d.name === name);
  if (found) return found;
  try {
    datasetByName(name);
  } catch (err) {
    throw new ParamError((err as Error).message);
  }
  throw new ParamError(
    `no pipeline reads or writes dataset ${name}; known: ${known.map((d) => d.name).join(', ')}`,
  );
}

function listCommand(): Command {
  return new Command('list')
    .description(
      'every dataset the pipelines read or write: partitions published, the latest, how many stale',
    )
    .option('--json', 'print JSON', false)
    .action(async (opts: { json: boolean }) => {
      const config = loadConfig();
      const catalogue = await commandCatalogue(config);
      const link = await runLinks(config);
      const rows = [];
      for (const d of catalogueDatasets(catalogue)) {
        const parts = await publishedPartitions(d.location(config.DAYBREAK_DATA_ROOT), d.partitioned);
        const latest = parts.at(-1);
        rows.push({
          dataset: d.name,
          producer: d.producer,
          readBy: catalogue.pipelines
            .filter((p) => Object.values(p.inputs).some((i) => i.name === d.name))
            .map((p) => p.name),
          location: d.location(config.DAYBREAK_DATA_ROOT),
          partitions: parts.length,
          stale: parts.filter((p) => p.freshness.state === 'stale').map((p) => p.date ?? '-'),
          latest: latest ? partitionJson(link, latest) : undefined,
        });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['dataset', 'written by', 'read by', 'published', 'latest', 'latest rows', 'stale'],
          rows.map((r) => [
            r.dataset,
            r.producer ?? '(raw)',
            r.readBy.join(', ') || '-',
            String(r.partitions),
            r.latest ? (r.latest.date ?? r.latest.publishedAt) : '-',
            r.latest ? String(r.latest.rows) : '-',
            r.stale.length ? r.stale.join(', ') : '-',
          ]),
        )}\n`,
      );
    });
}

function showCommand(): Command {
  return new Command('show')
    .description(
      'the published partitions of one dataset (or one date): rows, files, bytes, run, when, fresh or stale',
    )
    .argument('<dataset>', 'raw/<name> or curated/<pipeline>')
    .option('--date <YYYY-MM-DD>', 'one partition, with the inputs it was computed from', parseDateOption)
    .option('--json', 'print JSON', false)
    .action(async (name: string, opts: { date?: string; json: boolean }) => {
      const config = loadConfig();
      const dataset = findDataset(await commandCatalogue(config), name);
      const link = await runLinks(config);
      const location = dataset.location(config.DAYBREAK_DATA_ROOT);
      const parts = await publishedPartitions(
        location,
        dataset.partitioned,
        opts.date && dataset.partitioned ? [opts.date] : undefined,
      );
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(
            parts.map((p) => partitionJson(link, p)),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (!parts.length) {
        process.stdout.write(
          `${name}: nothing published${opts.date ? ` for ${opts.date}` : ''} under ${location}\n`,
        );
        return;
      }
      const rows = parts.map((p) => partitionJson(link, p));
      process.stdout.write(
        `${formatTable(
          ['date', 'rows', 'files', 'bytes', 'published', 'state', 'run'],
          rows.map((r, i) => [
            r.date ?? '-',
            String(r.rows),
            String(r.files),
            formatBytes(r.bytes),
            r.publishedAt,
            freshnessWord(parts[i]!),
            r.run?.url ?? '-',
          ]),
        )}\n`,
      );
      if (!opts.date) {
        const stale = parts.filter((p) => p.freshness.state === 'stale');
        for (const p of stale)
          process.stdout.write(`\n${p.date ?? name} is stale: ${p.freshness.reasons.join('; ')}`);
        if (stale.length) process.stdout.write('\n');
        return;
      }
      const [one] = rows;
      process.stdout.write(`\nread (lineage recorded when its run opened the output):\n`);
      process.stdout.write(
        one!.inputs.length
          ? `${formatTable(
              ['input', 'date', 'manifest digest', 'published', 'by run'],
              one!.inputs.map((i) => [
                i.dataset ?? i.uri,
                i.date ?? '-',
                i.digest ? i.digest.slice(0, 12) : '(no manifest)',
                i.publishedAt ?? '-',
                i.run?.workflowId ?? '-',
              ]),
            )}\n`
          : '  (no inputs recorded: published before lineage, or by a tool)\n',
      );
      if (parts[0]!.freshness.state === 'stale')
        process.stdout.write(`\nstale: ${parts[0]!.freshness.reasons.join('; ')}\n`);
    });
}

export function datasetsCommand(): Command {
  return new Command('datasets')
    .description('the datasets pipelines read and write, their published partitions and freshness')
    .addCommand(listCommand())
    .addCommand(showCommand());
}

// `daybreak pipelines list|show|validate`: the catalogue as the definitions declare it, the SQL
// pipelines of DAYBREAK_PIPELINES_DIR included (the README's catalogue table is `daybreak
// pipelines list --markdown`, and a test keeps the two equal); `validate` checks the SQL files.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';
import type { Catalogue, PipelineDefinition } from '../../pipelines/index.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import { commandCatalogue } from '../catalogue.js';
import type { ValidationResult } from '../../pipelines/sql-validate.js';
import { paramHelp } from '../../pipelines/params.js';
import { formatTable } from '../table.js';

/** One row per pipeline: name, what it reads (and from whom), what it writes, owner, description. */
export function catalogueRows(catalogue: Catalogue): string[][] {
  return catalogue.pipelines.map((p) => [
    p.name,
    Object.values(p.inputs)
      .map((d) => d.name)
      .join(', '),
    p.output.name,
    catalogue.upstreamOf(p.name).join(', ') || '-',
    p.owner,
    p.description,
  ]);
}

const HEADER = ['pipeline', 'reads', 'writes', 'runs after', 'owner', 'description'];

/** The catalogue as a Markdown table (the README's). */
export function catalogueMarkdown(catalogue: Catalogue): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const code = (cells: string[]) =>
    cells.map((c, i) =>
      i >= 1 && i <= 3 && c !== '-'
        ? c
            .split(', ')
            .map((x) => `\`${x}\``)
            .join(', ')
        : c,
    );
  return [
    row(HEADER),
    row(HEADER.map(() => '---')),
    ...catalogueRows(catalogue).map((r) => row(code([`**${r[0]}**`, ...r.slice(1)]))),
  ].join('\n');
}

/** Everything a definition says, for `show --json`. */
function describe(catalogue: Catalogue, def: PipelineDefinition) {
  return {
    name: def.name,
    description: def.description,
    owner: def.owner,
    workflowType: def.workflow.name,
    inputs: Object.entries(def.inputs).map(([param, d]) => ({
      param,
      dataset: d.name,
      producer: d.producer,
      partitioned: d.partitioned,
      published: d.published,
    })),
    output: def.output.name,
    runsAfter: catalogue.upstreamOf(def.name),
    params: paramHelp(def),
    alerts: def.alerts,
  };
}

function show(catalogue: Catalogue, def: PipelineDefinition): string {
  const d = describe(catalogue, def);
  const lines = [
    `${d.name}: ${d.description}`,
    `owner: ${d.owner}; workflow: ${d.workflowType}; alert route: ${d.alerts.route}${d.alerts.slaSeconds ? `; SLA ${d.alerts.slaSeconds / 3600}h` : ''}`,
    `runs after: ${d.runsAfter.join(', ') || 'nothing (reads raw datasets only)'}`,
    '',
    formatTable(
      ['reads (parameter)', 'dataset', 'from', 'partitions'],
      d.inputs.map((i) => [
        i.param,
        i.dataset,
        i.producer ?? 'raw (upstream export)',
        i.partitioned ? `dt=<date>${i.published ? ', _SUCCESS per date' : ''}` : 'read whole',
      ]),
    ),
    `writes: ${d.output} (dt=<date>, _SUCCESS per date)`,
    '',
    formatTable(
      ['parameter', 'default', 'description'],
      d.params.map((p) => [p.name, p.default ?? '-', p.description]),
    ),
  ];
  return lines.join('\n');
}

/** Prints `validate`'s findings; returns the exit code (1 when any file has a problem). */
function printValidation(result: ValidationResult, json: boolean): number {
  if (json) {
    const errors = result.errors.map((e) => ({ file: e.file, problems: e.problems }));
    process.stdout.write(`${JSON.stringify({ pipelines: result.pipelines, errors }, null, 2)}\n`);
    return errors.length ? 1 : 0;
  }
  for (const p of result.pipelines) {
    const reads = p.inputs
      .map(
        (i) =>
          `${i.view} = ${i.dataset} (${[i.partition ? `dt=${i.partition}` : 'whole', `${i.files} file(s)`].join(', ')})`,
      )
      .join('; ');
    const mode = p.shardBy ? `mode ${p.mode} by ${p.shardBy}` : `mode ${p.mode}`;
    process.stdout.write(`${p.file}: ok, ${p.name} (${mode})\n  reads ${reads}\n`);
    process.stdout.write(
      p.columns
        ? `  output: ${p.columns.map((c) => `${c.name} ${c.type}`).join(', ')}\n`
        : `  output: unknown, ${p.notBound}\n`,
    );
  }
  for (const e of result.errors) process.stdout.write(`${e.message}\n`);
  const total = result.pipelines.length + result.errors.length;
  process.stdout.write(
    `${total} SQL pipeline file(s): ${result.pipelines.length} ok, ${result.errors.length} with problems\n`,
  );
  return result.errors.length ? 1 : 0;
}

/** The catalogue a command shows: the given one (tests), else the built-ins and the SQL files. */
async function catalogueFor(given: Catalogue | undefined): Promise<Catalogue> {
  if (given) return given;
  return commandCatalogue(loadConfig());
}

export function pipelinesCommand(given?: Catalogue): Command {
  const cmd = new Command('pipelines').description(
    'the pipeline catalogue: what each pipeline reads, writes and takes',
  );
  cmd
    .command('list')
    .description('every pipeline: the datasets it reads and writes, what it runs after, its owner')
    .option('--json', 'print JSON', false)
    .option('--markdown', "print the README's Markdown table", false)
    .action(async (opts: { json: boolean; markdown: boolean }) => {
      const catalogue = await catalogueFor(given);
      if (opts.json) {
        const all = catalogue.pipelines.map((p) => describe(catalogue, p));
        process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      } else if (opts.markdown) process.stdout.write(`${catalogueMarkdown(catalogue)}\n`);
      else process.stdout.write(`${formatTable(HEADER, catalogueRows(catalogue))}\n`);
    });
  cmd
    .command('show <pipeline>')
    .description('one pipeline: its datasets, parameters (with defaults), workflow and alert defaults')
    .option('--json', 'print JSON', false)
    .action(async (name: string, opts: { json: boolean }) => {
      const catalogue = await catalogueFor(given);
      const def = catalogue.get(name);
      process.stdout.write(
        opts.json ? `${JSON.stringify(describe(catalogue, def), null, 2)}\n` : `${show(catalogue, def)}\n`,
      );
    });
  cmd
    .command('validate')
    .description(
      'check every SQL pipeline file: its header, its inputs, and its query bound by DuckDB against the inputs (nothing runs); prints each output schema',
    )
    .option('--json', 'print JSON', false)
    .action(async (opts: { json: boolean }) => {
      const config = loadConfig();
      const { validateSqlPipelines } = await import('../../pipelines/sql-validate.js');
      process.exitCode = printValidation(
        await validateSqlPipelines(config, await loadCatalogue(config)),
        opts.json,
      );
    });
  return cmd;
}

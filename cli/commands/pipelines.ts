// `daybreak pipelines list|show`: the catalogue as the definitions declare it (the README's
// catalogue table is `daybreak pipelines list --markdown`, and a test keeps the two equal).
import { Command } from 'commander';
import { PIPELINES, type Catalogue, type PipelineDefinition } from '../../pipelines/index.js';
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

export function pipelinesCommand(catalogue: Catalogue = PIPELINES): Command {
  const cmd = new Command('pipelines').description(
    'the pipeline catalogue: what each pipeline reads, writes and takes',
  );
  cmd
    .command('list')
    .description('every pipeline: the datasets it reads and writes, what it runs after, its owner')
    .option('--json', 'print JSON', false)
    .option('--markdown', "print the README's Markdown table", false)
    .action((opts: { json: boolean; markdown: boolean }) => {
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
    .action((name: string, opts: { json: boolean }) => {
      const def = catalogue.get(name);
      process.stdout.write(
        opts.json ? `${JSON.stringify(describe(catalogue, def), null, 2)}\n` : `${show(catalogue, def)}\n`,
      );
    });
  return cmd;
}

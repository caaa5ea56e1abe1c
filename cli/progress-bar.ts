// A live progress bar on stderr (never stdout, so `--json` output stays clean), fed by a run's
// `progress` query: shards done / total, rows and the phase. Silent when stderr is not a terminal.
import cliProgress from 'cli-progress';
import type { RunProgress } from '../lib/contracts/progress.js';

export interface ProgressBar {
  update(p: RunProgress): void;
  /** Stops the bar; `completed` fills it (the last poll may predate the end). */
  stop(completed?: boolean): void;
}

export function runProgressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} |{bar}| {value}/{total} shards | {rows} rows | {phase}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { rows: '0', phase: 'starting' });
  return {
    update(p) {
      bar.setTotal(Math.max(1, p.shardsTotal));
      bar.update(p.shardsDone, { rows: p.rows.toLocaleString('en-US'), phase: p.phase });
    },
    stop(completed = false) {
      if (completed) bar.update(bar.getTotal(), { phase: 'done' });
      bar.stop();
    },
  };
}

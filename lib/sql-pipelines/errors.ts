// A mistake in a pipeline file, found before anything runs: every problem names the file, the line
// and, for the header, the key (`pipelines/visits.sql:9: checks.notNull[0]: ...`).

export interface FileProblem {
  line: number;
  /** The header key, e.g. `checks.rows.maxChangePct`; absent for the query or the whole file. */
  key?: string;
  message: string;
  /**
   * Set when the problem is the query trying something its sandbox refuses (another statement than
   * one SELECT, a file it did not declare): what was refused.
   */
  refused?: string;
}

export class PipelineFileError extends Error {
  override name = 'PipelineFileError';
  constructor(
    readonly file: string,
    readonly problems: FileProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
  }
}

export function formatProblem(file: string, p: FileProblem): string {
  return `${file}:${p.line}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

/** `checks.notNull[0]` from a key path. */
export function keyName(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

// The data-quality checks a built-in pipeline declares in its definition (`checks`), run on the
// files it is about to publish, before the manifest: a failure is one non-retryable DataQuality
// failure and nothing is published. Checks on figures only (rows, report) stage nothing; row
// checks (notNull, unique, sql) read the staged Parquet files as the view `output`.
// (A SQL pipeline runs the same engine inside its sandbox: activities/sql-pipeline.)
import path from 'node:path';
import type { Config } from '../../lib/config.js';
import { sqlFileList, withDuckDB } from '../../lib/duckdb.js';
import type { CheckResult, Checks } from '../../lib/quality/checks.js';
import { qualityFailure, runChecks } from '../../lib/quality/engine.js';
import { joinUri } from '../../lib/storage/index.js';
import type { ManifestFile } from '../../lib/storage/manifest.js';
import { duckdbOptions } from './deps.js';
import { previousPublished } from './previous-output.js';
import { withScratch } from './scratch.js';
import { stageAll } from './staging.js';

export interface OutputChecksInput {
  pipeline: string;
  runDate: string;
  /** The output prefix the files were put into. */
  output: string;
  /** The files about to be published; only the Parquet ones are the output's rows. */
  files: ManifestFile[];
  checks?: Checks;
  /** Figures for `report.<name>` checks; a null figure skips its check (nothing to measure). */
  report?: Record<string, unknown>;
  pii?: string[];
}

/** Runs the declared checks; returns their results for the manifest, or throws DataQuality. */
export async function checkOutput(config: Config, input: OutputChecksInput): Promise<CheckResult[]> {
  const { checks } = input;
  if (!checks || Object.keys(checks).length === 0) return [];
  const parquet = input.files.filter((f) => f.name.endsWith('.parquet'));
  const rows = parquet.reduce((s, f) => s + f.rows, 0);
  const previous =
    checks.rows?.maxChangePct !== undefined
      ? await previousPublished(input.output, input.runDate)
      : undefined;
  const readsRows = Boolean(checks.notNull || checks.unique || checks.sql) && parquet.length > 0;
  const results = await withScratch(config, `checks-${input.pipeline}`, async (scratch) => {
    const locals = readsRows
      ? await stageAll(
          parquet.map((f) => joinUri(input.output, f.name)),
          path.join(scratch, 'output'),
        )
      : [];
    return withDuckDB(duckdbOptions(config, false), async (conn) => {
      if (locals.length)
        await conn.run(`CREATE VIEW output AS SELECT * FROM read_parquet(${sqlFileList(locals)})`);
      // Without output files there are no rows to hold row checks to: figures only.
      const declared = locals.length ? checks : { rows: checks.rows, report: checks.report };
      return runChecks({ conn, checks: declared, rows, previous, report: input.report, pii: input.pii });
    });
  });
  const failure = qualityFailure(`${input.pipeline} ${input.runDate}`, results);
  if (failure) throw failure;
  return results;
}

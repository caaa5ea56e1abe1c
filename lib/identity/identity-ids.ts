// Identity ids that persist from day to day (DESIGN 3.4). Connected components give today's
// clusters; this names them from yesterday's published clusters and aliases:
// - a cluster keeps the id most of its records had yesterday (ties: the oldest id);
// - when several clusters claim one id (a split), the one holding most of that id's records keeps
//   it (ties: the cluster with the smallest record_id); the others, and clusters none of whose
//   records existed yesterday, get a new id `i<yyyymmdd>-<n>` minted on the run date (never
//   reused: a date mints once, numbered in order of each cluster's smallest record_id);
// - a yesterday id no cluster kept whose records still exist merged into the identity holding
//   most of them (ties: the oldest id): the alias (old_identity_id, identity_id, merged_on) is
//   recorded; yesterday's aliases carry forward, re-pointed when their target merged today, so
//   every alias names the current survivor.
// Oldest: ids from before minted ids (any other form) are older than every minted id, in string
// order among themselves; minted ids in (date, n) order. Everything is ordered by values only, so
// the same inputs give the same ids and byte-identical files.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../duckdb.js';

const MINTED_SQL = '^i([0-9]{8})-([0-9]{1,18})$';

/** The ids minted on `runDate` (YYYY-MM-DD) start with this. */
function mintedPrefix(runDate: string): string {
  return `i${runDate.replaceAll('-', '')}-`;
}

/** The id minted for the `n`th new cluster (1-based) of `runDate`. */
export function mintedId(runDate: string, n: number): string {
  return `${mintedPrefix(runDate)}${n}`;
}

/** SQL: the ORDER BY terms that sort ids oldest first. */
function ageOrder(id: string): string {
  return `regexp_full_match(${id}, '${MINTED_SQL}'),
          TRY_CAST(regexp_extract(${id}, '${MINTED_SQL}', 1) AS INTEGER),
          TRY_CAST(regexp_extract(${id}, '${MINTED_SQL}', 2) AS BIGINT),
          ${id}`;
}

export interface AssignIdsOptions {
  /** SQL yielding today's clusters: (record_id, cluster), cluster any label shared by its records. */
  clusters: string;
  /** SQL yielding yesterday's (record_id, identity_id); undefined: no previous day. */
  previous?: string;
  /** SQL yielding yesterday's (old_identity_id, identity_id, merged_on); undefined: none. */
  previousAliases?: string;
  /** The run date YYYY-MM-DD: the date of new ids and of today's merges. */
  runDate: string;
  /** Table to create: (record_id, identity_id), one row per record. */
  out: string;
  /** Table to create: (old_identity_id, identity_id, merged_on DATE). */
  aliasesOut: string;
}

export interface AssignedIds {
  /** Identities that kept yesterday's id. */
  kept: number;
  /** Identities with an id minted today. */
  minted: number;
  /** Yesterday's identities merged into another today. */
  merged: number;
  /** Aliases in the table (carried and new). */
  aliases: number;
}

export async function assignIdentityIds(
  conn: DuckDBConnection,
  opts: AssignIdsOptions,
): Promise<AssignedIds> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.runDate))
    throw new Error(`identity ids: run date must be YYYY-MM-DD; got ${JSON.stringify(opts.runDate)}`);
  const prev = opts.previous ?? 'SELECT NULL::VARCHAR AS record_id, NULL::VARCHAR AS identity_id WHERE false';
  const prevAliases =
    opts.previousAliases ??
    'SELECT NULL::VARCHAR AS old_identity_id, NULL::VARCHAR AS identity_id, NULL::DATE AS merged_on WHERE false';
  const run = async (sql: string) => conn.run(sql);
  await run(`CREATE OR REPLACE TEMP TABLE ids_cur AS
    SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(cluster AS VARCHAR) AS cluster FROM (${opts.clusters})`);
  await run(`CREATE OR REPLACE TEMP TABLE ids_prev AS
    SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(identity_id AS VARCHAR) AS identity_id FROM (${prev})`);
  // Each cluster's first-choice id: the one most of its records had yesterday, ties the oldest.
  // Then, per claimed id, the cluster holding most of its records keeps it.
  await run(`CREATE OR REPLACE TEMP TABLE ids_keep AS
    WITH votes AS (
      SELECT c.cluster, p.identity_id AS old, count(*) AS n
      FROM ids_cur c JOIN ids_prev p USING (record_id) GROUP BY ALL),
    choice AS (
      SELECT * FROM votes
      QUALIFY row_number() OVER (PARTITION BY cluster ORDER BY n DESC, ${ageOrder('old')}) = 1),
    smallest AS (SELECT cluster, min(record_id) AS first_record FROM ids_cur GROUP BY 1)
    SELECT choice.cluster, choice.old AS identity_id
    FROM choice JOIN smallest USING (cluster)
    QUALIFY row_number() OVER (PARTITION BY old ORDER BY n DESC, first_record) = 1`);
  await run(`CREATE OR REPLACE TEMP TABLE ids_new AS
    SELECT cluster, ${sqlString(mintedPrefix(opts.runDate))}
             || CAST(row_number() OVER (ORDER BY first_record) AS VARCHAR) AS identity_id
    FROM (SELECT cluster, min(record_id) AS first_record FROM ids_cur
          WHERE cluster NOT IN (SELECT cluster FROM ids_keep) GROUP BY 1)`);
  await run(`CREATE OR REPLACE TABLE ${opts.out} AS
    SELECT c.record_id, n.identity_id
    FROM ids_cur c JOIN (SELECT * FROM ids_keep UNION ALL SELECT * FROM ids_new) n USING (cluster)`);
  // Yesterday's ids not kept, to the identity now holding most of their records.
  await run(`CREATE OR REPLACE TEMP TABLE ids_merged AS
    WITH moved AS (
      SELECT p.identity_id AS old, o.identity_id, count(*) AS n
      FROM ids_prev p JOIN ${opts.out} o USING (record_id)
      WHERE p.identity_id NOT IN (SELECT identity_id FROM ids_keep)
      GROUP BY ALL)
    SELECT old AS old_identity_id, identity_id FROM moved
    QUALIFY row_number() OVER (PARTITION BY old ORDER BY n DESC, ${ageOrder('identity_id')}) = 1`);
  await run(`CREATE OR REPLACE TABLE ${opts.aliasesOut} AS
    SELECT a.old_identity_id, coalesce(m.identity_id, a.identity_id) AS identity_id, a.merged_on
    FROM (SELECT CAST(old_identity_id AS VARCHAR) AS old_identity_id, CAST(identity_id AS VARCHAR) AS identity_id,
                 CAST(merged_on AS DATE) AS merged_on FROM (${prevAliases})) a
    LEFT JOIN ids_merged m ON m.old_identity_id = a.identity_id
    UNION ALL
    SELECT old_identity_id, identity_id, DATE ${sqlString(opts.runDate)} FROM ids_merged`);
  const [kept, minted, merged, aliases] = (
    await conn.runAndReadAll(`SELECT (SELECT count(*) FROM ids_keep), (SELECT count(*) FROM ids_new),
      (SELECT count(*) FROM ids_merged), (SELECT count(*) FROM ${opts.aliasesOut})`)
  )
    .getRows()[0]!
    .map(Number);
  for (const t of ['ids_cur', 'ids_prev', 'ids_keep', 'ids_new', 'ids_merged'])
    await run(`DROP TABLE IF EXISTS ${t}`);
  return { kept: kept!, minted: minted!, merged: merged!, aliases: aliases! };
}

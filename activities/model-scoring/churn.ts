// Identity churn (`daybreak models evaluate --churn <pct>`): how many records that did not change
// get a different identity id the next day. A next day is derived from the records with <pct>% of
// them changed: a third removed, a third edited (their person fields replaced by another
// record's), a third joined by a new record of the same person. Both days are scored and linked
// in this process; the unchanged records' ids are compared under the previous rule (the
// component's smallest record_id, what connected components label) and the persistent ids of
// lib/identity/identity-ids.ts (day 2 named from day 1).
import type { DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import type { Config } from '../../lib/config.js';
import { sqlString } from '../../lib/duckdb.js';
import { usableComparisons } from '../../lib/identity/comparisons.js';
import { linkRecords } from '../../lib/identity/link.js';
import { buildCandidates, DEFAULT_MAX_BLOCK_SIZE } from '../../lib/identity/engine.js';
import { FIELD_NAMES, type FieldPresence } from '../../lib/identity/fields.js';
import { assignIdentityIds } from '../../lib/identity/identity-ids.js';
import { modelComparisons, modelLinkage, scoreSql, type IdentityModel } from '../../lib/identity/model.js';
import { prepareForModel } from '../../lib/identity/run-blocking.js';
import { withStaged } from './offline.js';

export interface IdentityChurn {
  version: string;
  /** Share of records changed to make the next day. */
  changedPct: number;
  records: { day1: number; day2: number; unchanged: number };
  /** Unchanged records whose identity id differs on day 2: smallest-record ids, persistent ids. */
  changedIds: { smallestRecord: number; persistent: number };
  /** The same as shares of the unchanged records. */
  churn: { smallestRecord: number; persistent: number };
}

/** The person fields an edit replaces (record_id, source and updated_at stay): every comparison field. */
const PERSON_FIELDS = FIELD_NAMES;

/** Table `churn_d2`: `churn_d1` with `pct`% of records changed (`churn_same`: the unchanged ids). */
async function deriveNextDay(conn: DuckDBConnection, pct: number, columns: string[]): Promise<void> {
  const pick = `md5_number(record_id || ':churn') % 1000000`;
  const part = `md5_number(record_id || ':kind') % 3`;
  const changed = `${pick} < ${Math.round(pct * 10_000)}`;
  const edited = PERSON_FIELDS.filter((f) => columns.includes(f));
  await conn.run(`CREATE OR REPLACE TEMP TABLE churn_d2 AS
    WITH d1 AS (SELECT *, row_number() OVER (ORDER BY record_id) AS rn, count(*) OVER () AS n FROM churn_d1)
    SELECT * EXCLUDE (rn, n) FROM d1 WHERE NOT (${changed})
    UNION ALL SELECT * EXCLUDE (rn, n) FROM d1 WHERE ${changed} AND ${part} = 2
    UNION ALL SELECT * EXCLUDE (rn, n) REPLACE ('new-' || record_id AS record_id) FROM d1 WHERE ${changed} AND ${part} = 2
    UNION ALL SELECT e.* EXCLUDE (other) REPLACE (${edited.map((f) => `o.${f} AS ${f}`).join(', ')})
      FROM (SELECT * EXCLUDE (rn, n), (md5_number(record_id || ':other') % n) + 1 AS other FROM d1 WHERE ${changed} AND ${part} = 1) e
      JOIN d1 o ON o.rn = e.other`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE churn_same AS
    SELECT record_id FROM churn_d1 WHERE NOT (${changed})`);
}

/** Components of `file`'s records under `model`, as table `out` (record_id, identity_id = smallest). */
async function linkDay(
  conn: DuckDBConnection,
  file: string,
  model: IdentityModel,
  fields: FieldPresence,
  out: string,
): Promise<void> {
  const comparisons = usableComparisons(modelComparisons(model), fields.present);
  const { records, rules } = await prepareForModel(conn, model, {
    files: [file],
    fields,
    shards: 1,
    maxBlockSize: DEFAULT_MAX_BLOCK_SIZE,
  });
  await buildCandidates(conn, { shard: 0, shards: 1, out: 'churn_cand', rules, comparisons });
  await linkRecords(conn, {
    nodes: 'SELECT record_id FROM prep',
    pairs: `SELECT left_id, right_id, ${scoreSql(model, { usable: comparisons, records })} AS score FROM churn_cand`,
    threshold: model.threshold,
    linkage: modelLinkage(model),
    out,
  });
}

export async function measureIdentityChurn(
  config: Config,
  records: string,
  models: IdentityModel[],
  changedPct: number,
): Promise<IdentityChurn[]> {
  return withStaged(config, { records }, async (conn, { files, fields, scratch }) => {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE churn_d1 AS SELECT * FROM read_parquet(${sqlString(files[0]!)}) LIMIT 0`,
    );
    for (const f of files) await conn.run(`INSERT INTO churn_d1 SELECT * FROM read_parquet(${sqlString(f)})`);
    const columns = (await conn.runAndReadAll('SELECT * FROM churn_d1 LIMIT 0')).columnNames();
    await deriveNextDay(conn, changedPct, columns);
    const day = (n: number) => path.join(scratch, `churn-day${n}.parquet`);
    for (const n of [1, 2]) await conn.run(`COPY churn_d${n} TO ${sqlString(day(n))} (FORMAT parquet)`);
    const count = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
    const out: IdentityChurn[] = [];
    for (const model of models) {
      await linkDay(conn, day(1), model, fields, 'churn_c1');
      await linkDay(conn, day(2), model, fields, 'churn_c2');
      const clusters = (t: string) => `SELECT record_id, identity_id AS cluster FROM ${t}`;
      await assignIdentityIds(conn, {
        clusters: clusters('churn_c1'),
        runDate: '2000-01-01',
        out: 'churn_p1',
        aliasesOut: 'churn_a1',
      });
      await assignIdentityIds(conn, {
        clusters: clusters('churn_c2'),
        previous: 'SELECT * FROM churn_p1',
        previousAliases: 'SELECT * FROM churn_a1',
        runDate: '2000-01-02',
        out: 'churn_p2',
        aliasesOut: 'churn_a2',
      });
      const moved = (a: string, b: string) =>
        count(`SELECT count(*) FROM churn_same s JOIN ${a} x USING (record_id) JOIN ${b} y USING (record_id)
               WHERE x.identity_id <> y.identity_id`);
      const unchanged = await count('SELECT count(*) FROM churn_same');
      const changedIds = {
        smallestRecord: await moved('churn_c1', 'churn_c2'),
        persistent: await moved('churn_p1', 'churn_p2'),
      };
      out.push({
        version: model.version,
        changedPct,
        records: {
          day1: await count('SELECT count(*) FROM churn_d1'),
          day2: await count('SELECT count(*) FROM churn_d2'),
          unchanged,
        },
        changedIds,
        churn: {
          smallestRecord: changedIds.smallestRecord / unchanged,
          persistent: changedIds.persistent / unchanged,
        },
      });
    }
    return out;
  });
}

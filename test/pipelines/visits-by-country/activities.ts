// visits-by-country's activity: reads the files identity-join's manifest lists (never anything
// else under the prefix), aggregates them in DuckDB and publishes one Parquet file.
import path from 'node:path';
import { sqlFileList, sqlString } from '../../../lib/duckdb.js';
import { missingInput } from '../../../lib/errors.js';
import { joinUri } from '../../../lib/storage/index.js';
import { readManifest } from '../../../lib/storage/manifest.js';
import { duckdbOptions, type ActivityDeps } from '../../../activities/common/deps.js';
import { commitOutput, openRunOutput, putOutputFile } from '../../../activities/common/output.js';
import { stageAll } from '../../../activities/common/staging.js';
import { withDuckDBTask } from '../../../activities/common/task.js';

export function createVisitsByCountryActivities({ config }: ActivityDeps) {
  return {
    async aggregateVisitsByCountry(input: { runDate: string; joined: string; output: string }) {
      const manifest = await readManifest(input.joined);
      if (!manifest) throw missingInput(`${input.joined} has no _SUCCESS manifest`);
      const output = await openRunOutput(config, input.output, [input.joined]);
      // The frame of every DuckDB activity: scratch folder, DuckDB session and heartbeat.
      const frame = {
        label: 'visits-by-country',
        duckdb: duckdbOptions(config, false),
        heartbeat: { step: 'aggregating visits by country' },
      };
      return withDuckDBTask(config, frame, async ({ scratch, conn }) => {
        const files = await stageAll(
          manifest.files.map((f) => joinUri(input.joined, f.name)),
          scratch,
        );
        const out = path.join(scratch, 'part-00000.parquet');
        const source = files.length
          ? `read_parquet(${sqlFileList(files)})`
          : '(SELECT NULL::VARCHAR AS country, NULL::VARCHAR AS visitor_id, NULL::VARCHAR AS lvr_id, NULL::DOUBLE AS revenue WHERE false)';
        await conn.run(
          `COPY (SELECT country, count(*) AS events, count(DISTINCT visitor_id) AS visitors,
                        count(DISTINCT lvr_id) AS lvr_ids, sum(revenue) AS revenue
                 FROM ${source} GROUP BY country ORDER BY country)
           TO ${sqlString(out)} (FORMAT parquet)`,
        );
        const count = await conn.runAndReadAll(
          `SELECT count(*)::INTEGER FROM read_parquet(${sqlString(out)})`,
        );
        const rows = Number(count.getRows()[0]![0]);
        const file = await putOutputFile(output, out, 'part-00000.parquet', rows);
        await commitOutput(config, output, { pipeline: 'visits-by-country', runDate: input.runDate }, [file]);
        return { output: input.output, countries: rows, inputRows: manifest.totals.rows };
      });
    },
  };
}

export type VisitsByCountryActivities = ReturnType<typeof createVisitsByCountryActivities>;

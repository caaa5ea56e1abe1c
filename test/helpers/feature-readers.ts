// API readers hammering a view while a test does something to the store: batches of 200 ids and
// single lookups, every 200 answer kept with the version it names. `check` then compares each
// answer with the offline rows of that version: a version is served completely and alone, or not
// at all (every id these tests read exists in every version they publish).
import type { Features } from '../../lib/features/encoding.js';
import type { TestApi } from './feature-api.js';

export interface ReaderReport {
  /** 200 answers per version. */
  versions: Map<number, number>;
  /** Answers by HTTP status. */
  statuses: Map<number, number>;
  answers: Array<{ version: number; id: string; found: boolean; features: unknown }>;
}

export function startReaders(
  api: TestApi,
  ids: string[],
  opts: { view?: string; readers?: number; key?: string } = {},
): { stop(): Promise<ReaderReport>; report: ReaderReport } {
  const view = opts.view ?? 'customer';
  const key = opts.key ?? 'customer_id';
  const report: ReaderReport = { versions: new Map(), statuses: new Map(), answers: [] };
  const count = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  let running = true;
  const reader = async (seed: number) => {
    let i = seed;
    while (running) {
      const batch = Array.from({ length: 200 }, () => ids[(i = (i * 7919 + 13) % ids.length)]!);
      const res = await api.post(`/v1/batch/${view}`, { ids: batch }).catch(() => ({ status: 0, body: {} }));
      count(report.statuses, res.status);
      if (res.status === 200) {
        count(report.versions, res.body.version);
        for (const r of res.body.results)
          report.answers.push({
            version: res.body.version,
            id: r[key],
            found: r.found,
            features: r.features,
          });
      }
      const single = await api.get(`/v1/${batch[0]}/${view}`).catch(() => ({ status: 0, body: {} }));
      count(report.statuses, single.status);
      if (single.status === 200)
        report.answers.push({
          version: single.body.version,
          id: batch[0]!,
          found: true,
          features: single.body.features,
        });
      else if (single.status === 404)
        report.answers.push({ version: NaN, id: batch[0]!, found: false, features: null });
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 20)); // Redis down: no busy loop
    }
  };
  const running$ = Array.from({ length: opts.readers ?? 4 }, (_, k) => reader(k + 1));
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(running$);
      return report;
    },
  };
}

/** Problems of the answers against the rows each version was loaded from. */
export function checkAnswers(report: ReaderReport, served: Map<number, Map<string, Features>>): string[] {
  const problems: string[] = [];
  for (const a of report.answers) {
    if (!a.found)
      problems.push(`${Number.isNaN(a.version) ? 'a single lookup' : `v${a.version}`}: ${a.id} missing`);
    else {
      const want = served.get(a.version);
      if (!want) problems.push(`v${a.version}: a version never published completely`);
      else if (JSON.stringify(a.features) !== JSON.stringify(want.get(a.id)))
        problems.push(`v${a.version}: ${a.id} has features of another version`);
    }
  }
  return problems;
}

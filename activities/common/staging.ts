// Staging inputs for DuckDB: local files are used in place, gs:// objects are downloaded into the
// task's scratch folder, a few at a time (hundreds of parallel downloads only thrash the disk).
import { storageFor } from '../../lib/storage/index.js';

export async function stageAll(uris: string[], scratchDir: string, concurrency = 8): Promise<string[]> {
  const out: string[] = new Array(uris.length);
  let next = 0;
  const lane = async () => {
    while (next < uris.length) {
      const i = next++;
      out[i] = await storageFor(uris[i]!).stageIn(uris[i]!, scratchDir);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, uris.length) }, lane));
  return out;
}

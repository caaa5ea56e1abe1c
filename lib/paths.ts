// The storage layout under DAYBREAK_DATA_ROOT (a path or gs://bucket/prefix):
//   raw/<dataset>/dt=YYYY-MM-DD/*.parquet and curated/<pipeline>/dt=YYYY-MM-DD/part-*.parquet
import { joinUri } from './storage/uri.js';

export function rawDataset(root: string, dataset: string): string {
  return joinUri(root, 'raw', dataset);
}

export function curatedOutput(root: string, pipeline: string, runDate: string): string {
  return joinUri(root, 'curated', pipeline, `dt=${runDate}`);
}

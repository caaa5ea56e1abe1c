// The Redis key layout of the online store (one namespace per view):
//   fs:<view>:current         pointer "<version>|<asOf ISO>|<layers>", switched with one SET
//   fs:<view>:seq             INCR counter allocating version numbers (never reused)
//   fs:<view>:versions        hash version -> JSON metadata of the published version
//   fs:<view>:v<N>:<id>       the encoded features of entity <id> in version N
// A full sync writes every entity into a fresh v<N> and publishes layers "N". An incremental sync
// writes only changed entities (and '' tombstones for removed ones) into v<N> and publishes
// layers "N,<previous layers>"; readers take the first layer holding the id.

export function currentKey(view: string): string {
  return `fs:${view}:current`;
}
export function seqKey(view: string): string {
  return `fs:${view}:seq`;
}
export function versionsKey(view: string): string {
  return `fs:${view}:versions`;
}
/** Prefix of a version's entity keys, without the version number: `fs:<view>:v`. */
export function layerPrefix(view: string): string {
  return `fs:${view}:v`;
}
export function entityKey(view: string, version: number, id: string): string {
  return `${layerPrefix(view)}${version}:${id}`;
}

export interface Pointer {
  version: number;
  asOf: string;
  /** Versions to look an id up in, newest first. */
  layers: number[];
}

export function formatPointer(p: Pointer): string {
  return `${p.version}|${p.asOf}|${p.layers.join(',')}`;
}

export function parsePointer(raw: string): Pointer {
  const [version, asOf, layers] = raw.split('|');
  return { version: Number(version), asOf: asOf ?? '', layers: (layers ?? '').split(',').map(Number) };
}

/** Metadata of a published version (fs:<view>:versions). */
export interface VersionMeta {
  version: number;
  asOf: string;
  publishedAt: string;
  mode: 'full' | 'incremental';
  layers: number[];
  /** When the oldest layer was written: its keys expire ttl seconds after. */
  baseWrittenAt: string;
  /** The offline Parquet (published prefix) this version was loaded from. */
  offline: string;
  entities: number;
  written: number;
  fields: string;
  /** Identifies the offline content (its manifest checksums): incremental syncs diff against it. */
  fingerprint: string;
}

// An independent computation of the feature views in plain TypeScript (raw rows read with DuckDB,
// everything else in JS, the TS form of the address standardizer): what the API must serve.
import { DuckDBInstance } from '@duckdb/node-api';
import { standardizeAddress } from '../../lib/address/index.js';
import { sqlString } from '../../lib/duckdb.js';
import type { Features } from '../../lib/features/encoding.js';
import type { FeatureView } from '../../lib/features/types.js';

interface RawRecord {
  record_id: string;
  source: string | null;
  email: string | null;
  address_line: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  updated_s: number;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function readRecords(glob: string): Promise<RawRecord[]> {
  const rows = await query(
    `SELECT record_id, source, email, address_line, city, state, CAST(zip AS VARCHAR) AS zip,
            epoch_ms(updated_at) AS updated_ms FROM read_parquet(${sqlString(glob)})`,
  );
  return rows.map((r) => ({
    record_id: String(r.record_id),
    source: r.source as string | null,
    email: r.email as string | null,
    address_line: r.address_line as string | null,
    city: r.city as string | null,
    state: r.state as string | null,
    zip: r.zip as string | null,
    updated_s: Math.floor(Number(r.updated_ms) / 1000),
  }));
}

export async function readClusters(glob: string): Promise<Map<string, string>> {
  const rows = await query(
    `SELECT record_id, CAST(identity_id AS VARCHAR) AS identity_id FROM read_parquet(${sqlString(glob)})`,
  );
  return new Map(rows.map((r) => [String(r.record_id), String(r.identity_id)]));
}

const iso = (s: number) => new Date(s * 1000).toISOString();
const spaceTrim = (s: string) => s.replace(/^ +| +$/g, '');
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function emailDomain(email: string | null): string | null {
  if (email === null) return null;
  const m = /@([a-z0-9.-]+\.[a-z]{2,})$/.exec(spaceTrim(email.toLowerCase()));
  return m ? m[1]! : null;
}

/** customer_id -> features, and address_id -> features. */
export function oracleViews(
  records: RawRecord[],
  clusters: Map<string, string> | undefined,
  asOf: string,
): { customer: Map<string, Features>; address: Map<string, Features> } {
  const asOfDay = Math.floor(Date.parse(asOf) / 86_400_000);
  const byCustomer = new Map<string, Array<RawRecord & { addressId: string | null }>>();
  const byAddress = new Map<
    string,
    { std: ReturnType<typeof standardizeAddress>; customers: Set<string>; times: number[] }
  >();
  for (const r of records) {
    const customerId = clusters?.get(r.record_id) ?? r.record_id;
    const std = standardizeAddress({ line: r.address_line, city: r.city, state: r.state, zip: r.zip });
    const list = byCustomer.get(customerId) ?? [];
    list.push({ ...r, addressId: std.addressId });
    byCustomer.set(customerId, list);
    if (std.addressId !== null) {
      const a = byAddress.get(std.addressId) ?? { std, customers: new Set<string>(), times: [] };
      a.customers.add(customerId);
      a.times.push(r.updated_s);
      byAddress.set(std.addressId, a);
    }
  }
  const customer = new Map<string, Features>();
  for (const [id, rs] of byCustomer) {
    const withAddress = rs.filter((r) => r.addressId !== null);
    const latest = withAddress.reduce<(typeof rs)[number] | undefined>(
      (best, r) =>
        !best ||
        r.updated_s > best.updated_s ||
        (r.updated_s === best.updated_s && r.record_id > best.record_id)
          ? r
          : best,
      undefined,
    );
    const times = rs.map((r) => r.updated_s);
    const last = Math.max(...times);
    customer.set(id, {
      record_count: rs.length,
      sources: sorted(rs.map((r) => (r.source === null ? '' : spaceTrim(r.source))).filter((s) => s !== '')),
      email_domains: sorted(rs.map((r) => emailDomain(r.email)).filter((d): d is string => d !== null)),
      address_count: new Set(withAddress.map((r) => r.addressId)).size,
      latest_address_id: latest?.addressId ?? null,
      first_seen: iso(Math.min(...times)),
      last_seen: iso(last),
      recency_days: asOfDay - Math.floor(last / 86_400),
    });
  }
  const address = new Map<string, Features>();
  for (const [id, a] of byAddress) {
    address.set(id, {
      address_line: a.std.line,
      city: a.std.city,
      state: a.std.state,
      zip5: a.std.zip5,
      customer_count: a.customers.size,
      record_count: a.times.length,
      first_seen: iso(Math.min(...a.times)),
      last_seen: iso(Math.max(...a.times)),
    });
  }
  return { customer, address };
}

/** Offline Parquet rows of a published view, as id -> features in the API's JSON form. */
export async function readOfflineView(dir: string, view: FeatureView): Promise<Map<string, Features>> {
  const rows = await query(`SELECT * FROM read_parquet(${sqlString(`${dir}/*.parquet`)})`);
  const out = new Map<string, Features>();
  for (const row of rows) {
    const features: Features = {};
    for (const f of view.fields) {
      const v = row[f.name];
      if (v === null || v === undefined) features[f.name] = f.type === 'text[]' ? [] : null;
      else if (f.type === 'int') features[f.name] = Number(v);
      else if (f.type === 'timestamp')
        features[f.name] = new Date(`${String(v).replace(' ', 'T')}Z`).toISOString();
      else features[f.name] = v as Features[string];
    }
    out.set(String(row[view.key]), features);
  }
  return out;
}

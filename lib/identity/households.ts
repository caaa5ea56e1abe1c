// Does the data have households: different people at one address? Where it does (the generated
// worlds, a retailer's customers), a shared street, postcode, city and state are one fact that
// relatives share, and a model counts it once; where it does not (FEBRL: every shared address is
// a duplicate's), each agreeing location field is evidence of its own, and scoring them all (as
// Splink does) finds the duplicates whose names were garbled. Measured on the records themselves:
// among pairs of records at the same street and postcode, the share that are plainly different
// people (given names far apart and birth dates more than two digits apart).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LocationScheme } from './comparisons.js';
import type { FieldName } from './fields.js';

/** Same-address pairs below this share of different people: no households, score every field. */
export const HOUSEHOLD_SHARE = 0.05;
/** Fewer same-address pairs than this say nothing either way: keep the default. */
export const MIN_SAME_ADDRESS_PAIRS = 200;

export interface HouseholdEvidence {
  /** Record pairs at the same street and postcode (addresses shared by at most maxBlockSize). */
  sameAddressPairs: number;
  /** Of those, pairs with given names far apart and birth dates more than two digits apart. */
  differentPeople: number;
  /** What training chose from them, and why. */
  location: LocationScheme;
  reason: string;
}

const NEEDED: FieldName[] = ['address_line', 'zip', 'first_name', 'dob'];

/** Measures households on the prep table and picks the location scheme a trained model uses. */
export async function detectHouseholds(
  conn: DuckDBConnection,
  present: readonly FieldName[],
  maxBlockSize: number,
): Promise<HouseholdEvidence> {
  const missing = NEEDED.filter((f) => !present.includes(f));
  if (missing.length) {
    return {
      sameAddressPairs: 0,
      differentPeople: 0,
      location: 'once',
      reason: `households not measured (no ${missing.join(', ')}): location counted once`,
    };
  }
  const row = (
    await conn.runAndReadAll(`WITH a AS (
        SELECT rid, fn, dob_s, street || '|' || pc AS k FROM prep WHERE street IS NOT NULL AND pc IS NOT NULL
      ), shared AS (
        SELECT a.* FROM a JOIN (SELECT k FROM a GROUP BY k HAVING count(*) BETWEEN 2 AND ${maxBlockSize}) USING (k)
      )
      SELECT count(*) AS pairs,
        count(*) FILTER (WHERE jaro_winkler_similarity(l.fn, r.fn) < 0.8 AND hamming(l.dob_s, r.dob_s) > 2) AS different
      FROM shared l JOIN shared r ON l.k = r.k AND l.rid < r.rid`)
  ).getRowObjects()[0]!;
  const sameAddressPairs = Number(row.pairs);
  const differentPeople = Number(row.different);
  const share = sameAddressPairs > 0 ? differentPeople / sameAddressPairs : 0;
  const figures = `${differentPeople.toLocaleString('en-US')} of ${sameAddressPairs.toLocaleString('en-US')} same-address pairs (${(share * 100).toFixed(1)}%) are different people`;
  const [location, verdict]: [LocationScheme, string] =
    sameAddressPairs < MIN_SAME_ADDRESS_PAIRS
      ? ['once', 'too few to tell, location counted once']
      : share < HOUSEHOLD_SHARE
        ? ['each', 'no households, every location field scored']
        : ['once', 'households, location counted once'];
  return { sameAddressPairs, differentPeople, location, reason: `${figures}: ${verdict}` };
}

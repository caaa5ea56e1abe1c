// The second test world for identity resolution: customer records that do NOT look like the
// first generator's (customers.ts). No email and no phone column at all; addresses, postcodes and
// regions of six non-US countries in their own formats (GB "SW1A 1AA", NL "1234 AB", CA "K1A 0B1",
// DE/FR five digits, AU four; DE/NL put the house number after the street); dates of birth as
// text in each country's format (DD.MM.YYYY, DD/MM/YYYY, YYYY-MM-DD), so a typo can make an
// impossible date; and a noise model of its own: each duplicate has typos in several fields at
// once (every field independently, 20%: 42% of duplicates have two or more), first/last names swapped, day and month swapped,
// missing values in every field, moves within the country, and relatives at the same address.
// Deterministic by seed, in DuckDB SQL. Same record schema as DESIGN 3.0 minus email and phone.
//
// Planted signal (what EM should recover, test/lib/identity): ~1,000 first names and ~1,200
// surnames drawn uniformly, 144 postcodes, 24 regions: an exact name is the strongest evidence,
// then the postcode, then the region.
import fs from 'node:fs/promises';
import path from 'node:path';
import { sqlString, withDuckDB } from '../lib/duckdb.js';
import { writeRecordFiles, type GeneratedCustomers } from './customers.js';

export interface IntlCustomersOptions {
  records: number;
  seed: number;
  out: string;
  recordsPerFile?: number;
  scratchDir?: string;
  threads?: number;
}

/** The columns written: DESIGN 3.0 without email and phone; dob is text. */
export const INTL_COLUMNS = [
  'record_id',
  'source',
  'first_name',
  'last_name',
  'dob',
  'address_line',
  'city',
  'state',
  'zip',
  'updated_at',
] as const;

interface Country {
  code: string;
  /** [city, region, postcodes]: three postcodes per city. */
  cities: [string, string, string[]][];
  streets: string[];
  numberLast: boolean;
  /** strftime format of the date of birth as this country writes it. */
  dob: string;
}

const COUNTRIES: Country[] = [
  {
    code: 'GB',
    numberLast: false,
    dob: '%d/%m/%Y',
    streets: [
      'Baker Street',
      'High Street',
      'Station Road',
      'Church Lane',
      'Victoria Road',
      'Mill Lane',
      'Kings Road',
      'Queens Avenue',
      'Park Road',
      'London Road',
    ],
    cities: [
      ['London', 'Greater London', ['SW1A 1AA', 'E1 6AN', 'N7 9PW']],
      ['Manchester', 'Greater Manchester', ['M1 1AE', 'M14 5RL', 'M20 2GS']],
      ['Leeds', 'West Yorkshire', ['LS1 4AP', 'LS6 2HP', 'LS11 5BT']],
      ['Sheffield', 'South Yorkshire', ['S1 2HE', 'S10 2TN', 'S7 1FS']],
      ['Bristol', 'Avon', ['BS1 4DJ', 'BS8 1TH', 'BS16 3JE']],
      ['Edinburgh', 'Lothian', ['EH1 1YZ', 'EH9 1PR', 'EH12 6UY']],
      ['Cardiff', 'South Glamorgan', ['CF10 1EP', 'CF24 4HQ', 'CF5 2YB']],
      ['Glasgow', 'Lanarkshire', ['G1 1XQ', 'G12 8QQ', 'G41 2PE']],
    ],
  },
  {
    code: 'DE',
    numberLast: true,
    dob: '%d.%m.%Y',
    streets: [
      'Hauptstraße',
      'Schulstraße',
      'Gartenweg',
      'Bahnhofstraße',
      'Dorfstraße',
      'Bergstraße',
      'Lindenallee',
      'Kirchplatz',
      'Ringstraße',
      'Waldweg',
    ],
    cities: [
      ['Berlin', 'Berlin', ['10115', '10827', '12043']],
      ['München', 'Bayern', ['80331', '80797', '81669']],
      ['Nürnberg', 'Bayern', ['90402', '90429', '90471']],
      ['Hamburg', 'Hamburg', ['20095', '22767', '21073']],
      ['Köln', 'Nordrhein-Westfalen', ['50667', '50733', '51103']],
      ['Düsseldorf', 'Nordrhein-Westfalen', ['40210', '40474', '40597']],
      ['Frankfurt am Main', 'Hessen', ['60311', '60486', '65929']],
      ['Stuttgart', 'Baden-Württemberg', ['70173', '70469', '70597']],
    ],
  },
  {
    code: 'NL',
    numberLast: true,
    dob: '%d-%m-%Y',
    streets: [
      'Kerkstraat',
      'Dorpsstraat',
      'Molenweg',
      'Stationsweg',
      'Schoolstraat',
      'Prinsengracht',
      'Julianalaan',
      'Beatrixstraat',
      'Nieuwstraat',
      'Havenstraat',
    ],
    cities: [
      ['Amsterdam', 'Noord-Holland', ['1012 AB', '1055 KL', '1097 DN']],
      ['Haarlem', 'Noord-Holland', ['2011 AA', '2023 BG', '2035 HK']],
      ['Rotterdam', 'Zuid-Holland', ['3011 AD', '3039 KM', '3083 CZ']],
      ['Den Haag', 'Zuid-Holland', ['2511 CV', '2563 PL', '2594 BR']],
      ['Utrecht', 'Utrecht', ['3511 LX', '3531 EH', '3584 CS']],
      ['Eindhoven', 'Noord-Brabant', ['5611 AZ', '5643 RS', '5652 XR']],
      ['Tilburg', 'Noord-Brabant', ['5011 BT', '5037 AB', '5045 RA']],
      ['Groningen', 'Groningen', ['9711 LM', '9725 AB', '9741 GP']],
    ],
  },
  {
    code: 'FR',
    numberLast: false,
    dob: '%d/%m/%Y',
    streets: [
      'Rue de la Paix',
      'Avenue Victor Hugo',
      'Rue du Moulin',
      'Boulevard Voltaire',
      "Rue de l'Église",
      'Place de la Mairie',
      'Rue Pasteur',
      'Chemin des Vignes',
      'Rue Jean Jaurès',
      'Allée des Tilleuls',
    ],
    cities: [
      ['Paris', 'Île-de-France', ['75001', '75011', '75015']],
      ['Versailles', 'Île-de-France', ['78000', '78150', '78220']],
      ['Lyon', 'Auvergne-Rhône-Alpes', ['69001', '69003', '69007']],
      ['Grenoble', 'Auvergne-Rhône-Alpes', ['38000', '38100', '38400']],
      ['Marseille', "Provence-Alpes-Côte d'Azur", ['13001', '13008', '13013']],
      ['Nice', "Provence-Alpes-Côte d'Azur", ['06000', '06100', '06200']],
      ['Toulouse', 'Occitanie', ['31000', '31200', '31400']],
      ['Lille', 'Hauts-de-France', ['59000', '59160', '59800']],
    ],
  },
  {
    code: 'AU',
    numberLast: false,
    dob: '%d/%m/%Y',
    streets: [
      'Wallaby Place',
      'George Street',
      'Banksia Crescent',
      'Pitt Street',
      'Eucalyptus Drive',
      'Ocean Parade',
      'Wattle Avenue',
      'Kookaburra Close',
      'Bay Road',
      'Ridge Terrace',
    ],
    cities: [
      ['Sydney', 'NSW', ['2000', '2010', '2031']],
      ['Newcastle', 'NSW', ['2300', '2289', '2303']],
      ['Melbourne', 'VIC', ['3000', '3056', '3141']],
      ['Geelong', 'VIC', ['3220', '3216', '3214']],
      ['Brisbane', 'QLD', ['4000', '4064', '4101']],
      ['Cairns', 'QLD', ['4870', '4868', '4878']],
      ['Perth', 'WA', ['6000', '6008', '6050']],
      ['Adelaide', 'SA', ['5000', '5067', '5031']],
    ],
  },
  {
    code: 'CA',
    numberLast: false,
    dob: '%Y-%m-%d',
    streets: [
      'Queen Street West',
      'Yonge Street',
      'Maple Avenue',
      'Rue Sainte-Catherine',
      'Main Street',
      'King Street East',
      'Elm Drive',
      'Lakeshore Boulevard',
      'Rue Sherbrooke',
      'Granville Street',
    ],
    cities: [
      ['Toronto', 'Ontario', ['M5H 2N2', 'M4W 1A8', 'M6K 3P6']],
      ['Ottawa', 'Ontario', ['K1A 0B1', 'K1P 5J9', 'K2P 1L4']],
      ['Montréal', 'Québec', ['H2X 1Y4', 'H3B 4W8', 'H1V 3R2']],
      ['Québec', 'Québec', ['G1R 4P5', 'G1K 3A9', 'G1V 0A6']],
      ['Vancouver', 'British Columbia', ['V6B 1A1', 'V5K 0A1', 'V6Z 2E6']],
      ['Victoria', 'British Columbia', ['V8W 1N8', 'V8V 3K2', 'V9A 3S1']],
      ['Calgary', 'Alberta', ['T2P 1J9', 'T3A 0E2', 'T2E 6Z2']],
      ['Winnipeg', 'Manitoba', ['R3C 4T3', 'R2M 0T4', 'R3T 2N2']],
    ],
  },
];

// Names from syllables: 40 x 25 first names, 48 x 25 surnames, drawn uniformly (with diacritics
// on some, which normalization must fold).
const FIRST_ONSETS = [
  'Al',
  'Be',
  'Ca',
  'Da',
  'El',
  'Fe',
  'Ga',
  'Ha',
  'Is',
  'Jo',
  'Ka',
  'Le',
  'Ma',
  'Ni',
  'Ol',
  'Pa',
  'Ra',
  'Sa',
  'Ta',
  'Va',
  'Wi',
  'Ya',
  'Zo',
  'An',
  'Bri',
  'Cle',
  'Do',
  'Em',
  'Fi',
  'Gre',
  'Hel',
  'Ir',
  'Ju',
  'Ke',
  'Lu',
  'Mi',
  'No',
  'Or',
  'Pe',
  'Ro',
];
const FIRST_ENDINGS = [
  'na',
  'ria',
  'lia',
  'mon',
  'ric',
  'dan',
  'len',
  'sa',
  'tor',
  'bert',
  'nia',
  'ko',
  'ssa',
  'vin',
  'ris',
  'ta',
  'mir',
  'line',
  'to',
  'rik',
  'dré',
  'nne',
  'lio',
  'ndra',
  'ël',
];
const LAST_STEMS = [
  'Berg',
  'Hof',
  'Van der',
  'Lind',
  'Mor',
  'Kes',
  'Dal',
  'Fon',
  'Gar',
  'Hal',
  'Jans',
  'Kar',
  'Lam',
  'Mar',
  'Nor',
  'Ost',
  'Pel',
  'Rin',
  'Sand',
  'Tor',
  'Ul',
  'Vil',
  'Wes',
  'Zim',
  'Ash',
  'Brook',
  'Crom',
  'Dun',
  'Elm',
  'Fair',
  'Glen',
  'Har',
  'Ing',
  'Kings',
  'Lock',
  'Mont',
  'New',
  'Oak',
  'Pem',
  'Ros',
  'Stan',
  'Thorn',
  'Wood',
  'Blanc',
  'Dubo',
  'Lefè',
  'Mül',
  'Schmi',
];
const LAST_SUFFIXES = [
  'mann',
  'sen',
  'ström',
  'ley',
  'ton',
  'ford',
  'wick',
  'er',
  'dal',
  'ois',
  'ini',
  'ez',
  'ová',
  'berg',
  'stein',
  'ard',
  'ot',
  'by',
  'land',
  'holm',
  'ville',
  'son',
  'ke',
  'ler',
  'vre',
];
const SOURCES = ['crm', 'web', 'store', 'partner', 'support', 'legacy'];

function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

export async function generateIntlCustomers(opts: IntlCustomersOptions): Promise<GeneratedCustomers> {
  if (!Number.isInteger(opts.records) || opts.records <= 0)
    throw new Error('records must be a positive integer');
  const s = Math.trunc(opts.seed);
  const perFile = opts.recordsPerFile ?? Math.min(2_000_000, opts.records);
  const files = Math.ceil(opts.records / perFile);
  // Records per person 1..6, weights 30/25/20/12/8/5 (mean 2.55).
  const persons = Math.ceil(opts.records / 2.55) + 1000;
  const recordsDir = path.resolve(opts.out, 'records');
  const labelsDir = path.resolve(opts.out, 'labels');
  const labelsFile = path.join(labelsDir, 'part-00000.parquet');
  await fs.rm(recordsDir, { recursive: true, force: true });
  await fs.rm(labelsDir, { recursive: true, force: true });
  await fs.mkdir(recordsDir, { recursive: true });
  await fs.mkdir(labelsDir, { recursive: true });
  // Hashes mixed twice (see customers.ts: hash() of a tuple has correlated low bits).
  const h = (...parts: (string | number)[]) =>
    `hash(hash(${parts.map((p) => (typeof p === 'number' ? String(p) : p.startsWith('$') ? p.slice(1) : sqlString(p))).join(', ')}, ${s}))`;
  const cities = COUNTRIES.flatMap((c, ci) =>
    c.cities.map(([city, region, pcs]) => ({ ci, city, region, pcs })),
  );
  const firsts = FIRST_ONSETS.flatMap((a) => FIRST_ENDINGS.map((b) => a + b));
  const lasts = LAST_STEMS.flatMap((a) =>
    LAST_SUFFIXES.map((b) => `${a}${a.endsWith(' der') ? ' ' + b[0]!.toUpperCase() + b.slice(1) : b}`),
  );
  const scratch = opts.scratchDir ?? path.join(opts.out, '.tmp');
  await withDuckDB({ scratchDir: scratch, threads: opts.threads }, async (conn) => {
    // A typo: substitute, delete, insert or transpose one character after the first.
    await conn.run(`CREATE TEMP MACRO w2_typo_at(str, hv, pos) AS CASE hv % 4
      WHEN 0 THEN substr(str, 1, pos - 1) || chr(97 + ((hv // 131) % 26)::INTEGER) || substr(str, pos + 1)
      WHEN 1 THEN substr(str, 1, pos - 1) || substr(str, pos + 1)
      WHEN 2 THEN substr(str, 1, pos) || chr(97 + ((hv // 131) % 26)::INTEGER) || substr(str, pos + 1)
      ELSE substr(str, 1, pos - 1) || substr(str, pos + 1, 1) || substr(str, pos, 1) || substr(str, pos + 2) END`);
    await conn.run(`CREATE TEMP MACRO w2_typo(str, hv) AS CASE
      WHEN str IS NULL OR length(str) < 3 THEN str
      ELSE w2_typo_at(str, hv, (2 + (hv // 7) % (length(str) - 1))::BIGINT) END`);
    // A digit typo in a date or postcode: one digit replaced by another.
    await conn.run(`CREATE TEMP MACRO w2_digit_typo(str, hv) AS CASE
      WHEN str IS NULL OR NOT regexp_matches(str, '[0-9]') THEN str
      ELSE list_reduce(list_transform(string_split(str, ''), lambda ch, i:
        CASE WHEN i = 1 + (hv // 3) % length(str) AND regexp_full_match(ch, '[0-9]')
             THEN chr(48 + ((ascii(ch) - 48 + 1 + (hv // 17) % 9) % 10)::INTEGER) ELSE ch END), lambda a, b: a || b) END`);
    await conn.run(`CREATE TEMP MACRO w2_case(str, hv) AS CASE
      WHEN str IS NULL THEN NULL WHEN hv % 100 < 70 THEN str WHEN hv % 100 < 88 THEN upper(str) ELSE lower(str) END`);
    await conn.run(`CREATE TEMP TABLE L AS SELECT
      ${sqlList(firsts)} AS lst_first, ${sqlList(lasts)} AS lst_last,
      ${sqlList(cities.map((c) => c.city))} AS lst_city, ${sqlList(cities.map((c) => c.region))} AS lst_region,
      [${cities.map((c) => sqlList(c.pcs)).join(', ')}] AS lst_pcs,
      [${cities.map((c) => c.ci).join(', ')}] AS lst_country,
      [${COUNTRIES.map((c) => sqlList(c.streets)).join(', ')}] AS lst_streets,
      [${COUNTRIES.map((c) => String(c.numberLast)).join(', ')}] AS lst_number_last,
      ${sqlList(SOURCES)} AS lst_source`);
    const perCountry = COUNTRIES[0]!.cities.length;
    // The date as the person's country writes it (strftime wants a constant format), or with
    // day and month swapped (an impossible date when the day is over 12).
    const dobText = (d: string, swapped: boolean) =>
      `CASE country ${COUNTRIES.map((c, i) => `WHEN ${i} THEN strftime(${d}, ${sqlString(swapped ? c.dob.replace('%d', '@@').replace('%m', '%d').replace('@@', '%m') : c.dob)})`).join(' ')} END`;
    // People: 4% are relatives of the previous person (same surname and home, own first name and dob).
    await conn.run(`CREATE TEMP TABLE person AS
      WITH p0 AS (
        SELECT p,
          CASE WHEN p > 0 AND ${h('$p', 'rel')} % 100 < 4 AND ${h('$(p - 1)', 'rel')} % 100 >= 4 THEN p - 1 ELSE p END AS home,
          ${h('$p', 'nrec')} % 100 AS nr
        FROM range(0, ${persons}) t(p)
      )
      SELECT p, home,
        CASE WHEN nr < 30 THEN 1 WHEN nr < 55 THEN 2 WHEN nr < 75 THEN 3 WHEN nr < 87 THEN 4 WHEN nr < 95 THEN 5 ELSE 6 END AS nrec,
        L.lst_first[1 + (${h('$p', 'fn')} % ${firsts.length})::INTEGER] AS first,
        L.lst_last[1 + (${h('$home', 'ln')} % ${lasts.length})::INTEGER] AS last,
        DATE '1935-01-01' + (${h('$p', 'dob')} % 25000)::INTEGER AS dob,
        (${h('$home', 'country')} % ${COUNTRIES.length})::INTEGER AS country
      FROM p0, L`);
    // Two homes per household in its country (k = 1: where a person moved).
    await conn.run(`CREATE TEMP TABLE addr AS
      SELECT hh, k, country AS hh_country,
        1 + country * ${perCountry} + (${h('$hh', '$k', 'city')} % ${perCountry})::INTEGER AS ci,
        1 + (${h('$hh', '$k', 'pc')} % 3)::INTEGER AS pci,
        1 + (${h('$hh', '$k', 'street')} % 10)::INTEGER AS sti,
        1 + ${h('$hh', '$k', 'num')} % 250 AS num
      FROM (SELECT DISTINCT home AS hh, country FROM person), (VALUES (0), (1)) v(k)`);
    await conn.run(`CREATE TEMP TABLE rec AS
      WITH r AS (SELECT p, j FROM (SELECT p, unnest(range(nrec)) AS j FROM person) ORDER BY p, j LIMIT ${opts.records})
      SELECT r.p, r.j, person.* EXCLUDE (p),
        row_number() OVER (ORDER BY ${h('$r.p', '$r.j', 'id')}, r.p, r.j) AS rn
      FROM r JOIN person USING (p)`);
    // sel(tag): a per-record percentage; dup: the record is a duplicate (not the person's first).
    const sel = (tag: string) => `(${h('$p', '$j', tag)} % 100)`;
    const typo = (tag: string) => `(j > 0 AND ${sel(tag)} < 20)`;
    await conn.run(`CREATE TEMP TABLE out AS
      WITH a AS (
        SELECT rec.*, CASE WHEN j > 0 AND ${sel('moved')} < 12 THEN 1 ELSE 0 END AS addr_k FROM rec
      ), b AS (
        SELECT a.*, ad.ci, ad.pci, ad.sti, ad.num,
          L.lst_city[ad.ci] AS city0, L.lst_region[ad.ci] AS region0, L.lst_pcs[ad.ci][ad.pci] AS pc0,
          L.lst_streets[country + 1][ad.sti] AS street0, L.lst_number_last[country + 1] AS number_last,
          ${dobText('dob', false)} AS dob0
        FROM a JOIN addr ad ON ad.hh = a.home AND ad.k = a.addr_k, L
      ), c AS (
        SELECT b.*,
          CASE WHEN ${typo('fnt')} THEN w2_typo(first, ${h('$p', '$j', 'fnv')}) ELSE first END AS fn1,
          CASE WHEN ${typo('lnt')} THEN w2_typo(last, ${h('$p', '$j', 'lnv')}) ELSE last END AS ln1,
          CASE WHEN ${typo('dobt')} THEN w2_digit_typo(dob0, ${h('$p', '$j', 'dobv')})
               -- day and month swapped as written (an impossible date when the day is over 12)
               WHEN j > 0 AND ${sel('dobswap')} < 5 THEN ${dobText('dob', true)}
               ELSE dob0 END AS dob1,
          CASE WHEN ${typo('stt')} THEN w2_typo(street0, ${h('$p', '$j', 'stv')}) ELSE street0 END AS street1,
          CASE WHEN ${typo('numt')} THEN w2_digit_typo(num::VARCHAR, ${h('$p', '$j', 'numv')}) ELSE num::VARCHAR END AS num1,
          CASE WHEN ${typo('cityt')} THEN w2_typo(city0, ${h('$p', '$j', 'cityv')}) ELSE city0 END AS city1,
          CASE WHEN ${typo('pct')} THEN w2_digit_typo(pc0, ${h('$p', '$j', 'pcv')})
               WHEN ${sel('pcfmt')} < 15 THEN replace(pc0, ' ', '')
               WHEN ${sel('pcfmt')} < 22 THEN lower(pc0) ELSE pc0 END AS pc1
        FROM b, L
      )
      SELECT printf('w%09d', rn) AS record_id,
        L.lst_source[1 + (${h('$p', '$j', 'src')} % ${SOURCES.length})::INTEGER] AS source,
        CASE WHEN ${sel('fnnull')} < 4 THEN NULL
             ELSE w2_case(CASE WHEN j > 0 AND ${sel('swap')} < 5 THEN ln1 ELSE fn1 END, ${h('$p', '$j', 'fncase')}) END AS first_name,
        CASE WHEN ${sel('lnnull')} < 3 THEN NULL
             ELSE w2_case(CASE WHEN j > 0 AND ${sel('swap')} < 5 THEN fn1 ELSE ln1 END, ${h('$p', '$j', 'lncase')}) END AS last_name,
        CASE WHEN ${sel('dobnull')} < 8 THEN NULL ELSE dob1 END AS dob,
        CASE WHEN ${sel('addrnull')} < 7 THEN NULL
             ELSE w2_case(CASE WHEN number_last THEN street1 || ' ' || num1 ELSE num1 || ' ' || street1 END, ${h('$p', '$j', 'addrcase')}) END AS address_line,
        CASE WHEN ${sel('citynull')} < 6 THEN NULL ELSE w2_case(city1, ${h('$p', '$j', 'citycase')}) END AS city,
        CASE WHEN ${sel('statenull')} < 10 THEN NULL ELSE region0 END AS state,
        CASE WHEN ${sel('pcnull')} < 6 THEN NULL ELSE pc1 END AS zip,
        TIMESTAMP '2025-06-30' - INTERVAL 730 DAY + to_seconds((${h('$p', '$j', 'upd')} % (730 * 86400))::BIGINT) AS updated_at,
        p
      FROM c, L`);
    await writeRecordFiles(conn, {
      columns: INTL_COLUMNS,
      records: opts.records,
      files,
      perFile,
      recordPrefix: 'w',
      personPrefix: 'q',
      recordsDir,
      labelsFile,
    });
  });
  await fs.rm(scratch, { recursive: true, force: true });
  return { recordsDir, labelsDir, labelsFile, files, persons };
}

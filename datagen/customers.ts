// Deterministic synthetic customer records (DESIGN 3.0) and their truth labels, generated entirely
// in DuckDB SQL so 1M+ records take seconds. Same (records, seed, asOf) -> same files.
//
// People have 1 to 5 records across source systems, with the noise real customer data has:
// typos, nicknames (Robert/Bob), swapped first and last names, missing fields, email and phone
// format variants, second emails/phones, moved addresses, day/month swapped dates of birth, exact
// duplicates, and households (a relative at the same address: a hard non-match). Addresses carry
// the mess address standardization must undo: case, suffix and directional spellings
// (Street/St/ST.), unit designators (Apt/#/Suite), ZIP+4, extra whitespace.
//
// Output: <out>/records/part-NNNNN.parquet with
//   record_id, source, first_name, last_name, email, phone, dob DATE, address_line, city, state,
//   zip, updated_at TIMESTAMP
// and <out>/labels/part-00000.parquet with (record_id, person_id).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString, withDuckDB } from '../lib/duckdb.js';
import { FIELD_NAMES } from '../lib/identity/fields.js';

export interface CustomersDatagenOptions {
  /** Exact number of customer records to write. */
  records: number;
  seed: number;
  out: string;
  /** updated_at values fall in the two years before this date (default 2025-06-30). */
  asOf?: string;
  /** Records per Parquet file (default: all in a few files of up to 2M). */
  recordsPerFile?: number;
  scratchDir?: string;
  threads?: number;
}

export interface GeneratedCustomers {
  recordsDir: string;
  labelsDir: string;
  labelsFile: string;
  files: number;
  persons: number;
}

/** The exact DESIGN 3.0 column order: the id and source, the comparison fields, the update time. */
export const CUSTOMER_COLUMNS = ['record_id', 'source', ...FIELD_NAMES, 'updated_at'] as const;

// [formal, nickname]; a formal name without a common nickname repeats itself.
const FIRST_NAMES: [string, string][] = [
  ['Robert', 'Bob'],
  ['William', 'Bill'],
  ['Richard', 'Rick'],
  ['James', 'Jim'],
  ['John', 'Jack'],
  ['Michael', 'Mike'],
  ['Thomas', 'Tom'],
  ['Joseph', 'Joe'],
  ['Charles', 'Charlie'],
  ['Christopher', 'Chris'],
  ['Daniel', 'Dan'],
  ['Matthew', 'Matt'],
  ['Anthony', 'Tony'],
  ['Steven', 'Steve'],
  ['Andrew', 'Andy'],
  ['Joshua', 'Josh'],
  ['Samuel', 'Sam'],
  ['Benjamin', 'Ben'],
  ['Alexander', 'Alex'],
  ['Nicholas', 'Nick'],
  ['Jonathan', 'Jon'],
  ['Timothy', 'Tim'],
  ['Kenneth', 'Ken'],
  ['Edward', 'Ed'],
  ['Ronald', 'Ron'],
  ['Donald', 'Don'],
  ['Gregory', 'Greg'],
  ['Raymond', 'Ray'],
  ['Lawrence', 'Larry'],
  ['Gerald', 'Jerry'],
  ['Theodore', 'Ted'],
  ['Frederick', 'Fred'],
  ['Douglas', 'Doug'],
  ['Peter', 'Pete'],
  ['Zachary', 'Zach'],
  ['Patrick', 'Pat'],
  ['Jeffrey', 'Jeff'],
  ['Phillip', 'Phil'],
  ['Margaret', 'Peggy'],
  ['Elizabeth', 'Liz'],
  ['Katherine', 'Kate'],
  ['Jennifer', 'Jen'],
  ['Patricia', 'Patty'],
  ['Susan', 'Sue'],
  ['Jessica', 'Jess'],
  ['Deborah', 'Debbie'],
  ['Rebecca', 'Becky'],
  ['Victoria', 'Vicky'],
  ['Abigail', 'Abby'],
  ['Samantha', 'Sammy'],
  ['Alexandra', 'Lexi'],
  ['Christine', 'Chrissy'],
  ['Kimberly', 'Kim'],
  ['Cynthia', 'Cindy'],
  ['Barbara', 'Barb'],
  ['Dorothy', 'Dot'],
  ['Pamela', 'Pam'],
  ['Stephanie', 'Steph'],
  ['Jacqueline', 'Jackie'],
  ['Theresa', 'Terry'],
  ['Mary', 'Mary'],
  ['Linda', 'Linda'],
  ['Sarah', 'Sarah'],
  ['Karen', 'Karen'],
  ['Nancy', 'Nancy'],
  ['Lisa', 'Lisa'],
  ['Betty', 'Betty'],
  ['Sandra', 'Sandra'],
  ['Ashley', 'Ashley'],
  ['Emily', 'Emily'],
  ['Donna', 'Donna'],
  ['Michelle', 'Michelle'],
  ['Carol', 'Carol'],
  ['Amanda', 'Amanda'],
  ['Melissa', 'Melissa'],
  ['Laura', 'Laura'],
  ['Helen', 'Helen'],
  ['Anna', 'Anna'],
  ['Ruth', 'Ruth'],
  ['Sharon', 'Sharon'],
  ['Olivia', 'Olivia'],
  ['Emma', 'Emma'],
  ['Sophia', 'Sophia'],
  ['Grace', 'Grace'],
  ['Chloe', 'Chloe'],
  ['Hannah', 'Hannah'],
  ['Julia', 'Julia'],
  ['Megan', 'Megan'],
  ['Rachel', 'Rachel'],
  ['Nicole', 'Nicole'],
  ['Kevin', 'Kevin'],
  ['Brian', 'Brian'],
  ['George', 'George'],
  ['Jason', 'Jason'],
  ['Ryan', 'Ryan'],
  ['Jacob', 'Jacob'],
  ['Gary', 'Gary'],
  ['Eric', 'Eric'],
  ['Justin', 'Justin'],
  ['Scott', 'Scott'],
  ['Brandon', 'Brandon'],
  ['Frank', 'Frank'],
  ['Aaron', 'Aaron'],
  ['Adam', 'Adam'],
  ['Nathan', 'Nathan'],
  ['Kyle', 'Kyle'],
  ['Carl', 'Carl'],
  ['Ethan', 'Ethan'],
  ['Noah', 'Noah'],
  ['Logan', 'Logan'],
  ['Dylan', 'Dylan'],
  ['Oscar', 'Oscar'],
  ['Victor', 'Victor'],
  ['Luis', 'Luis'],
  ['Carlos', 'Carlos'],
  ['Juan', 'Juan'],
  ['Diego', 'Diego'],
  ['Wei', 'Wei'],
  ['Priya', 'Priya'],
  ['Aisha', 'Aisha'],
  ['Fatima', 'Fatima'],
  ['Hiroshi', 'Hiroshi'],
  ['Ingrid', 'Ingrid'],
  ['Yusuf', 'Yusuf'],
  ['Mateo', 'Mateo'],
  ['Leila', 'Leila'],
];

const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Gomez',
  'Phillips',
  'Evans',
  'Turner',
  'Diaz',
  'Parker',
  'Cruz',
  'Edwards',
  'Collins',
  'Reyes',
  'Stewart',
  'Morris',
  'Morales',
  'Murphy',
  'Cook',
  'Rogers',
  'Gutierrez',
  'Ortiz',
  'Morgan',
  'Cooper',
  'Peterson',
  'Bailey',
  'Reed',
  'Kelly',
  'Howard',
  'Ramos',
  'Kim',
  'Cox',
  'Ward',
  'Richardson',
  'Watson',
  'Brooks',
  'Chavez',
  'Wood',
  'James',
  'Bennett',
  'Gray',
  'Mendoza',
  'Ruiz',
  'Hughes',
  'Price',
  'Alvarez',
  'Castillo',
  'Sanders',
  'Patel',
  'Myers',
  'Long',
  'Ross',
  'Foster',
  'Jimenez',
  'Powell',
  'Jenkins',
  'Perry',
  'Russell',
  'Sullivan',
  'Bell',
  'Coleman',
  'Butler',
  'Henderson',
  'Barnes',
  'Gonzales',
  'Fisher',
  'Vasquez',
  'Simmons',
  'Romero',
  'Jordan',
  'Patterson',
  'Alexander',
  'Hamilton',
  'Graham',
  'Reynolds',
  'Griffin',
  'Wallace',
  'Moreno',
  'West',
  'Cole',
  'Hayes',
  'Bryant',
  'Herrera',
  'Gibson',
  'Ellis',
  'Tran',
  'Medina',
  'Aguilar',
  'Stevens',
  'Murray',
  'Ford',
  'Castro',
  'Marshall',
  'Owens',
  'Harrison',
  'Fernandez',
  'Mcdonald',
  'Woods',
  'Washington',
  'Kennedy',
  'Wells',
  'Vargas',
  'Henry',
  'Chen',
  'Freeman',
  'Webb',
  'Tucker',
  'Guzman',
  'Burns',
  'Crawford',
  'Olson',
  'Simpson',
  'Porter',
  'Hunter',
  'Gordon',
  'Mendez',
  'Silva',
  'Shaw',
  'Snyder',
  'Mason',
  'Dixon',
  'Munoz',
  'Hunt',
  'Hicks',
  'Holmes',
  'Palmer',
  'Wagner',
  'Black',
  'Robertson',
  'Boyd',
  'Rose',
  'Stone',
  'Salazar',
  'Fox',
  'Warren',
  'Mills',
  'Meyer',
  'Rice',
  'Schmidt',
  'Garza',
  'Daniels',
  'Ferguson',
  'Nichols',
  'Stephens',
  'Soto',
  'Weaver',
  'Ryan',
  'Gardner',
  'Payne',
  'Grant',
  'Dunn',
  'Kelley',
  'Spencer',
  'Hawkins',
  'Arnold',
  'Pierce',
  'Vazquez',
  'Hansen',
  'Peters',
  'Santos',
  'Hart',
  'Bradley',
  'Knight',
  'Elliott',
  'Cunningham',
  'Duncan',
  'Armstrong',
  'Hudson',
  'Carroll',
  'Lane',
  'Riley',
  'Andrews',
  'Alvarado',
  'Ray',
  'Delgado',
  'Berry',
  'Perkins',
  'Hoffman',
  'Johnston',
  'Matthews',
  'Pena',
  'Richards',
  'Contreras',
  'Willis',
  'Carpenter',
  'Lawrence',
  'Sandoval',
  'Guerrero',
  'George',
  'Chapman',
  'Rios',
  'Estrada',
  'Ortega',
  'Watkins',
  'Greene',
  'Nunez',
  'Wheeler',
  'Valdez',
  'Harper',
  'Burke',
  'Larson',
  'Santiago',
  'Maldonado',
  'Morrison',
  'Franklin',
  'Carlson',
  'Austin',
  'Dominguez',
  'Carr',
  'Lawson',
  'Jacobs',
  "O'Brien",
  'Lynch',
  'Singh',
  'Vega',
  'Bishop',
  'Montgomery',
  'Oliver',
  'Jensen',
  'Harvey',
  'Williamson',
  'Gilbert',
  'Dean',
  'Sims',
  'Espinoza',
  'Howell',
  'Li',
  'Wong',
  'Reid',
  'Hanson',
  'Le',
  'Mccoy',
  'Garrett',
  'Burton',
  'Fuller',
  'Wang',
  'Weber',
  'Welch',
  'Rojas',
  'Lucas',
  'Marquez',
  'Fields',
  'Park',
  'Yang',
  'Little',
  'Banks',
  'Padilla',
  'Day',
  'Walsh',
  'Bowman',
  'Schultz',
  'Luna',
  'Fowler',
  'Mejia',
  'Davidson',
  'Acosta',
  'Brewer',
  'May',
  'Holland',
  'Juarez',
  'Newman',
  'Pearson',
  'Curtis',
  'Cortez',
  'Douglas',
  'Schneider',
  'Joseph',
  'Barrett',
  'Navarro',
  'Figueroa',
];

const STREETS = [
  'Main',
  'Oak',
  'Pine',
  'Maple',
  'Cedar',
  'Elm',
  'Washington',
  'Lake',
  'Hill',
  'Park',
  'Walnut',
  'Sunset',
  'Lincoln',
  'Jackson',
  'Highland',
  'Church',
  'Willow',
  'River',
  'Spring',
  'Meadow',
  'Forest',
  'Madison',
  'Franklin',
  'Jefferson',
  'Chestnut',
  'Ridge',
  'Valley',
  'Mill',
  'Cherry',
  'Center',
  'Broad',
  'Market',
  'Union',
  'Prospect',
  'Bridge',
  'Spruce',
  'Hickory',
  'Dogwood',
  'Magnolia',
  'Birch',
  'Sycamore',
  'Aspen',
  'Laurel',
  'Summit',
  'Harbor',
  'Grove',
  'Orchard',
  'Fairview',
  'Greenwood',
  'Riverside',
  'Woodland',
  'Clinton',
  'Adams',
  'Monroe',
  'Kennedy',
  'Hamilton',
  'Garfield',
  'College',
  'School',
  'Academy',
  'Railroad',
  'Canal',
  'Ocean',
  'Bay',
  'Shore',
  'Mountain',
  'Vista',
  'Colonial',
  'Heritage',
  'Liberty',
  'Victory',
  'Pleasant',
  'King',
  'Queen',
  'Prince',
  'Water',
  'Front',
  'High',
  'Second',
  'Third',
  'Fourth',
  'Fifth',
  'Sixth',
];

// [full, abbreviation] (USPS Pub 28 C1).
const SUFFIXES: [string, string][] = [
  ['Street', 'St'],
  ['Avenue', 'Ave'],
  ['Road', 'Rd'],
  ['Boulevard', 'Blvd'],
  ['Drive', 'Dr'],
  ['Lane', 'Ln'],
  ['Court', 'Ct'],
  ['Place', 'Pl'],
  ['Parkway', 'Pkwy'],
  ['Circle', 'Cir'],
  ['Terrace', 'Ter'],
  ['Highway', 'Hwy'],
  ['Trail', 'Trl'],
  ['Square', 'Sq'],
];

const DIRECTIONALS: [string, string][] = [
  ['North', 'N'],
  ['South', 'S'],
  ['East', 'E'],
  ['West', 'W'],
  ['Northeast', 'NE'],
  ['Northwest', 'NW'],
  ['Southeast', 'SE'],
  ['Southwest', 'SW'],
];

// [city, state, first ZIP5 of a block of 100].
const CITIES: [string, string, number][] = [
  ['New York', 'NY', 10001],
  ['Los Angeles', 'CA', 90001],
  ['Chicago', 'IL', 60601],
  ['Houston', 'TX', 77001],
  ['Phoenix', 'AZ', 85001],
  ['Philadelphia', 'PA', 19101],
  ['San Antonio', 'TX', 78201],
  ['San Diego', 'CA', 92101],
  ['Dallas', 'TX', 75201],
  ['San Jose', 'CA', 95101],
  ['Austin', 'TX', 73301],
  ['Jacksonville', 'FL', 32099],
  ['Columbus', 'OH', 43004],
  ['Charlotte', 'NC', 28201],
  ['Indianapolis', 'IN', 46201],
  ['Seattle', 'WA', 98101],
  ['Denver', 'CO', 80201],
  ['Boston', 'MA', 2101],
  ['Nashville', 'TN', 37201],
  ['Detroit', 'MI', 48201],
  ['Portland', 'OR', 97201],
  ['Las Vegas', 'NV', 88901],
  ['Memphis', 'TN', 37501],
  ['Louisville', 'KY', 40201],
  ['Baltimore', 'MD', 21201],
  ['Milwaukee', 'WI', 53201],
  ['Albuquerque', 'NM', 87101],
  ['Tucson', 'AZ', 85701],
  ['Fresno', 'CA', 93650],
  ['Sacramento', 'CA', 94203],
  ['Kansas City', 'MO', 64101],
  ['Atlanta', 'GA', 30301],
  ['Miami', 'FL', 33101],
  ['Raleigh', 'NC', 27601],
  ['Omaha', 'NE', 68101],
  ['Minneapolis', 'MN', 55401],
  ['Tulsa', 'OK', 74101],
  ['Cleveland', 'OH', 44101],
  ['Tampa', 'FL', 33601],
  ['New Orleans', 'LA', 70112],
  ['Pittsburgh', 'PA', 15201],
  ['Cincinnati', 'OH', 45201],
  ['Saint Louis', 'MO', 63101],
  ['Orlando', 'FL', 32801],
  ['Salt Lake City', 'UT', 84101],
  ['Richmond', 'VA', 23218],
  ['Buffalo', 'NY', 14201],
  ['Madison', 'WI', 53701],
  ['Spokane', 'WA', 99201],
  ['Des Moines', 'IA', 50301],
];

const SOURCES = ['crm', 'web', 'pos', 'support', 'loyalty'];
const EMAIL_DOMAINS = [
  'gmail.com',
  'yahoo.com',
  'outlook.com',
  'hotmail.com',
  'icloud.com',
  'aol.com',
  'proton.me',
  'comcast.net',
];
const WORK_DOMAINS = ['acme.com', 'globex.com', 'initech.com', 'umbrella.org', 'hooli.io', 'stark.com'];
const AREA_CODES = [
  212, 213, 312, 713, 602, 215, 210, 619, 214, 408, 512, 904, 614, 704, 317, 206, 303, 617, 615, 313, 503,
  702, 901, 502, 410, 414, 505, 520, 559, 916,
];

function sqlList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

/** 1-based pick from a SQL list literal `L.<name>` by a hash. */
function pick(list: string, len: number, hashExpr: string): string {
  return `L.lst_${list}[1 + (${hashExpr} % ${len})::INTEGER]`;
}

export async function generateCustomers(opts: CustomersDatagenOptions): Promise<GeneratedCustomers> {
  if (!Number.isInteger(opts.records) || opts.records <= 0)
    throw new Error('records must be a positive integer');
  const s = Math.trunc(opts.seed);
  const asOf = opts.asOf ?? '2025-06-30';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new Error(`asOf must be YYYY-MM-DD, got ${asOf}`);
  const perFile = opts.recordsPerFile ?? Math.min(2_000_000, Math.max(opts.records, 1));
  const files = Math.ceil(opts.records / perFile);
  // Records per person: 1..5 with weights 35/25/20/12/8 (mean 2.33); a few extra people so the
  // cut at exactly `records` always has enough rows.
  const persons = Math.ceil(opts.records / 2.33) + 1000;
  const recordsDir = path.resolve(opts.out, 'records');
  const labelsDir = path.resolve(opts.out, 'labels');
  const labelsFile = path.join(labelsDir, 'part-00000.parquet');
  await fs.rm(recordsDir, { recursive: true, force: true });
  await fs.rm(labelsDir, { recursive: true, force: true });
  await fs.mkdir(recordsDir, { recursive: true });
  await fs.mkdir(labelsDir, { recursive: true });

  // hash(a, b, ...) combines by multiply-and-xor, so its LOW bits depend only on the low bits of
  // the first argument: `% 8` of two different tags would be correlated (measured: 44 people
  // sharing one first_last@domain email at 1M records). Hashing the combination again mixes all bits.
  const h = (...parts: (string | number)[]) =>
    `hash(hash(${parts.map((p) => (typeof p === 'number' ? String(p) : p.startsWith('$') ? p.slice(1) : sqlString(p))).join(', ')}, ${s}))`;
  const nFirst = FIRST_NAMES.length;
  const nLast = LAST_NAMES.length;

  const scratch = opts.scratchDir ?? path.join(opts.out, '.tmp');
  await withDuckDB({ scratchDir: scratch, threads: opts.threads }, async (conn) => {
    // One typo: substitute, delete or transpose a character after the first (keeps the initial).
    await conn.run(`CREATE TEMP MACRO typo_at(str, hv, pos) AS CASE hv % 3
      WHEN 0 THEN substr(str, 1, pos - 1) || chr(97 + ((hv // 131) % 26)::INTEGER) || substr(str, pos + 1)
      WHEN 1 THEN substr(str, 1, pos - 1) || substr(str, pos + 1)
      ELSE substr(str, 1, pos - 1) || substr(str, pos + 1, 1) || substr(str, pos, 1) || substr(str, pos + 2) END`);
    await conn.run(`CREATE TEMP MACRO typo(str, hv) AS CASE
      WHEN str IS NULL OR length(str) < 3 THEN str
      ELSE typo_at(str, hv, (2 + (hv // 7) % (length(str) - 1))::BIGINT) END`);
    await conn.run(`CREATE TEMP MACRO recase(str, hv) AS CASE
      WHEN str IS NULL THEN NULL WHEN hv % 100 < 65 THEN str WHEN hv % 100 < 88 THEN upper(str) ELSE lower(str) END`);
    await conn.run(`CREATE TEMP TABLE L AS SELECT
      ${sqlList(FIRST_NAMES.map((f) => f[0]))} AS lst_formal,
      ${sqlList(FIRST_NAMES.map((f) => f[1]))} AS lst_nick,
      ${sqlList(LAST_NAMES)} AS lst_last,
      ${sqlList(STREETS)} AS lst_street,
      ${sqlList(SUFFIXES.map((x) => x[0]))} AS lst_sfx_full,
      ${sqlList(SUFFIXES.map((x) => x[1]))} AS lst_sfx_abbr,
      ${sqlList(DIRECTIONALS.map((x) => x[0]))} AS lst_dir_full,
      ${sqlList(DIRECTIONALS.map((x) => x[1]))} AS lst_dir_abbr,
      ${sqlList(CITIES.map((c) => c[0]))} AS lst_city,
      ${sqlList(CITIES.map((c) => c[1]))} AS lst_state,
      ${`[${CITIES.map((c) => c[2]).join(', ')}]`} AS lst_zip_base,
      ${sqlList(SOURCES)} AS lst_source,
      ${sqlList(EMAIL_DOMAINS)} AS lst_domain,
      ${sqlList(WORK_DOMAINS)} AS lst_work_domain,
      ${`[${AREA_CODES.join(', ')}]`} AS lst_area`);

    // People: canonical identity. Addresses a (index 0) and b (index 1, where a person moved).
    // 6% of people are relatives of the previous person: same last name, same home, often the
    // same landline, but their own first name, dob and email.
    await conn.run(`CREATE TEMP TABLE person AS
      WITH p0 AS (
        SELECT p,
          CASE WHEN p > 0 AND ${h('$p', 'rel')} % 100 < 6 AND ${h('$(p - 1)', 'rel')} % 100 >= 6 THEN p - 1 ELSE p END AS home,
          ${h('$p', 'nrec')} % 100 AS nr
        FROM range(0, ${persons}) t(p)
      )
      SELECT p, home,
        CASE WHEN nr < 35 THEN 1 WHEN nr < 60 THEN 2 WHEN nr < 80 THEN 3 WHEN nr < 92 THEN 4 ELSE 5 END AS nrec,
        (${h('$p', 'fn')} % ${nFirst})::INTEGER + 1 AS fi,
        ${pick('last', nLast, h('$home', 'ln'))} AS last,
        DATE '1940-01-01' + (${h('$p', 'dob')} % 23000)::INTEGER AS dob,
        ${h('$p', 'email')} % 1000 AS email_n,
        ${h('$p', 'emailstyle')} % 4 AS email_style,
        ${pick('domain', EMAIL_DOMAINS.length, h('$p', 'dom'))} AS domain,
        ${pick('work_domain', WORK_DOMAINS.length, h('$p', 'wdom'))} AS work_domain,
        CASE WHEN home <> p AND ${h('$p', 'landline')} % 2 = 0 THEN home ELSE p END AS phone_owner
      FROM p0, L`);

    // Two addresses per household (index 0 = home, 1 = where they moved), built from parts.
    await conn.run(`CREATE TEMP TABLE addr AS
      SELECT hh, k,
        1 + ${h('$hh', '$k', 'num')} % 9899 AS num,
        CASE WHEN ${h('$hh', '$k', 'hasdir')} % 100 < 25 THEN (${h('$hh', '$k', 'dir')} % 8)::INTEGER + 1 END AS di,
        ${pick('street', STREETS.length, h('$hh', '$k', 'st'))} AS street,
        (${h('$hh', '$k', 'sfx')} % ${SUFFIXES.length})::INTEGER + 1 AS si,
        CASE WHEN ${h('$hh', '$k', 'hasunit')} % 100 < 25 THEN ${h('$hh', '$k', 'unittype')} % 3 END AS unit_type,
        1 + ${h('$hh', '$k', 'unit')} % 420 AS unit_no,
        (${h('$hh', '$k', 'city')} % ${CITIES.length})::INTEGER + 1 AS ci,
        ${h('$hh', '$k', 'zip')} % 100 AS zip_off,
        ${h('$hh', '$k', 'plus4')} % 10000 AS plus4
      FROM range(0, ${persons}) t(hh), (VALUES (0), (1)) v(k), L`);

    // Records: one row per (person, j), cut at exactly opts.records. A record's noise is driven
    // by hashes of (p, nj): nj = 0 for an exact duplicate of the person's first record.
    await conn.run(`CREATE TEMP TABLE rec AS
      WITH r AS (
        SELECT p, j FROM (SELECT p, unnest(range(nrec)) AS j FROM person) ORDER BY p, j LIMIT ${opts.records}
      ), r2 AS (
        SELECT r.p, r.j,
          CASE WHEN r.j > 0 AND ${h('$r.p', '$r.j', 'dup')} % 100 < 3 THEN 0 ELSE r.j END AS nj
        FROM r
      )
      SELECT r2.p, r2.j, r2.nj, person.*  EXCLUDE (p),
        row_number() OVER (ORDER BY ${h('$r2.p', '$r2.j', 'id')}, r2.p, r2.j) AS rn
      FROM r2 JOIN person USING (p)`);

    const sel = (tag: string) => `${h('$p', '$nj', tag)} % 100`;
    const phoneDigits = `(L.lst_area[1 + (${h('$phone_owner', '$phone_k', 'ac')} % ${AREA_CODES.length})::INTEGER])::VARCHAR || lpad((${h('$phone_owner', '$phone_k', 'ph')} % 10000000)::VARCHAR, 7, '0')`;
    await conn.run(`CREATE TEMP TABLE out AS
      WITH a AS (
        SELECT rec.*,
          L.lst_formal[fi] AS formal, L.lst_nick[fi] AS nick,
          CASE WHEN nj > 0 AND ${sel('moved')} < 20 THEN 1 ELSE 0 END AS addr_k,
          CASE WHEN ${sel('phone2')} < 5 THEN 1 ELSE 0 END AS phone_k
        FROM rec, L
      ), b AS (
        SELECT a.*,
          -- first name: 12% nickname, 5% typo
          CASE WHEN ${sel('nick')} < 12 THEN nick
               WHEN ${sel('fntypo')} < 5 THEN typo(formal, ${h('$p', '$nj', 'fnt')})
               ELSE formal END AS fn0,
          CASE WHEN ${sel('lntypo')} < 5 THEN typo(last, ${h('$p', '$nj', 'lnt')}) ELSE last END AS ln0,
          -- email: 8% a work address instead, format variants, 15% missing
          CASE
            WHEN ${sel('email2')} < 8 THEN lower(substr(formal, 1, 1) || last) || '@' || work_domain
            ELSE CASE email_style
              WHEN 0 THEN lower(formal || '.' || last) || email_n::VARCHAR
              WHEN 1 THEN lower(substr(formal, 1, 1) || last) || email_n::VARCHAR
              WHEN 2 THEN lower(formal || '_' || last)
              ELSE lower(last || formal) || (email_n % 100)::VARCHAR END
              || CASE WHEN ${sel('plus')} < 4 THEN '+shop' ELSE '' END || '@' || domain
          END AS email0,
          ${phoneDigits} AS digits,
          dob AS dob0
        FROM a, L
      ), c AS (
        SELECT b.*,
          CASE WHEN ${sel('swap')} < 3 THEN ln0 ELSE fn0 END AS fn1,
          CASE WHEN ${sel('swap')} < 3 THEN fn0 ELSE ln0 END AS ln1,
          ad.num, ad.di, ad.street, ad.si, ad.unit_type, ad.unit_no, ad.ci, ad.zip_off, ad.plus4
        FROM b JOIN addr ad ON ad.hh = b.home AND ad.k = b.addr_k
      )
      SELECT
        printf('c%09d', rn) AS record_id,
        L.lst_source[1 + (${h('$p', '$j', 'src')} % ${SOURCES.length})::INTEGER] AS source,
        CASE WHEN ${sel('fnnull')} < 2 THEN NULL ELSE recase(fn1, ${h('$p', '$nj', 'fncase')}) END AS first_name,
        CASE WHEN ${sel('lnnull')} < 1 THEN NULL ELSE recase(ln1, ${h('$p', '$nj', 'lncase')}) END AS last_name,
        CASE WHEN ${sel('emailnull')} < 15 THEN NULL
             WHEN ${sel('emailfmt')} < 10 THEN upper(email0)
             WHEN ${sel('emailfmt')} < 18 THEN ' ' || email0 || ' '
             WHEN ${sel('emailfmt')} < 25 THEN upper(substr(email0, 1, 1)) || substr(email0, 2)
             ELSE email0 END AS email,
        CASE WHEN ${sel('phonenull')} < 15 THEN NULL
             ELSE CASE ${h('$p', '$nj', 'phonefmt')} % 6
               WHEN 0 THEN '(' || substr(digits, 1, 3) || ') ' || substr(digits, 4, 3) || '-' || substr(digits, 7)
               WHEN 1 THEN substr(digits, 1, 3) || '-' || substr(digits, 4, 3) || '-' || substr(digits, 7)
               WHEN 2 THEN digits
               WHEN 3 THEN '+1 ' || substr(digits, 1, 3) || ' ' || substr(digits, 4, 3) || ' ' || substr(digits, 7)
               WHEN 4 THEN substr(digits, 1, 3) || '.' || substr(digits, 4, 3) || '.' || substr(digits, 7)
               ELSE '1-' || substr(digits, 1, 3) || '-' || substr(digits, 4, 3) || '-' || substr(digits, 7) END
        END AS phone,
        CASE WHEN ${sel('dobnull')} < 6 THEN NULL
             WHEN ${sel('dobswap')} < 4 AND day(dob0) <= 12 THEN make_date(year(dob0), day(dob0), month(dob0))
             WHEN ${sel('dobyear')} < 2 THEN (dob0 + INTERVAL 1 YEAR)::DATE
             ELSE dob0 END::DATE AS dob,
        CASE WHEN ${sel('addrnull')} < 5 THEN NULL ELSE
          recase(
            CASE WHEN ${sel('ws')} < 10 THEN '  ' ELSE '' END
            || num::VARCHAR || ' '
            || CASE WHEN di IS NULL THEN ''
                    WHEN ${sel('dirfmt')} < 40 THEN L.lst_dir_full[di] || ' '
                    WHEN ${sel('dirfmt')} < 75 THEN L.lst_dir_abbr[di] || ' '
                    ELSE L.lst_dir_abbr[di] || '. ' END
            || street
            || CASE WHEN ${sel('ws')} BETWEEN 10 AND 17 THEN '   ' ELSE ' ' END
            || CASE WHEN ${sel('sfxfmt')} < 40 THEN L.lst_sfx_full[si]
                    WHEN ${sel('sfxfmt')} < 75 THEN L.lst_sfx_abbr[si]
                    ELSE L.lst_sfx_abbr[si] || '.' END
            || CASE unit_type
                 WHEN 0 THEN CASE ${h('$p', '$nj', 'unitfmt')} % 4
                   WHEN 0 THEN ' Apt ' WHEN 1 THEN ', Apt. ' WHEN 2 THEN ' # ' ELSE ' Apartment ' END || unit_no::VARCHAR
                 WHEN 1 THEN CASE ${h('$p', '$nj', 'unitfmt')} % 3
                   WHEN 0 THEN ' Suite ' WHEN 1 THEN ' Ste ' ELSE ', STE. ' END || unit_no::VARCHAR
                 WHEN 2 THEN CASE ${h('$p', '$nj', 'unitfmt')} % 2
                   WHEN 0 THEN ' Unit ' ELSE ' #' END || unit_no::VARCHAR
                 ELSE '' END
            || CASE WHEN ${sel('ws')} BETWEEN 18 AND 22 THEN ' ' ELSE '' END,
            ${h('$p', '$nj', 'addrcase')})
        END AS address_line,
        CASE WHEN ${sel('addrnull')} < 5 THEN NULL ELSE recase(L.lst_city[ci], ${h('$p', '$nj', 'citycase')}) END AS city,
        CASE WHEN ${sel('addrnull')} < 5 THEN NULL
             WHEN ${sel('statefmt')} < 10 THEN lower(L.lst_state[ci]) ELSE L.lst_state[ci] END AS state,
        CASE WHEN ${sel('addrnull')} < 5 OR ${sel('zipnull')} < 2 THEN NULL
             ELSE lpad((L.lst_zip_base[ci] + zip_off)::VARCHAR, 5, '0')
               || CASE WHEN ${sel('plus4')} < 30 THEN '-' || lpad(plus4::VARCHAR, 4, '0') ELSE '' END END AS zip,
        TIMESTAMP '${asOf}' - INTERVAL 730 DAY + to_seconds((${h('$p', '$j', 'upd')} % (730 * 86400))::BIGINT) AS updated_at,
        p
      FROM c, L`);

    await writeRecordFiles(conn, {
      columns: CUSTOMER_COLUMNS,
      records: opts.records,
      files,
      perFile,
      recordPrefix: 'c',
      personPrefix: 'p',
      recordsDir,
      labelsFile,
    });
  });
  await fs.rm(scratch, { recursive: true, force: true });
  return { recordsDir, labelsDir, labelsFile, files, persons };
}

/**
 * Writes table `out` (record_id = <recordPrefix><9 digits>, p = the person) as `files` record
 * files of `perFile` records each, in record order, and the labels file mapping each record to
 * its person (<personPrefix><9 digits>).
 */
export async function writeRecordFiles(
  conn: DuckDBConnection,
  opts: {
    columns: readonly string[];
    records: number;
    files: number;
    perFile: number;
    recordPrefix: string;
    personPrefix: string;
    recordsDir: string;
    labelsFile: string;
  },
): Promise<void> {
  const cols = opts.columns.join(', ');
  const id = (n: number) => sqlString(`${opts.recordPrefix}${String(n).padStart(9, '0')}`);
  for (let f = 0; f < opts.files; f++) {
    const lo = f * opts.perFile;
    const hi = Math.min(opts.records, lo + opts.perFile);
    const file = path.join(opts.recordsDir, `part-${String(f).padStart(5, '0')}.parquet`);
    await conn.run(
      `COPY (SELECT ${cols} FROM out WHERE record_id > ${id(lo)} AND record_id <= ${id(hi)} ORDER BY record_id)
       TO ${sqlString(file)} (FORMAT parquet)`,
    );
  }
  await conn.run(
    `COPY (SELECT record_id, printf('${opts.personPrefix}%09d', p) AS person_id FROM out ORDER BY record_id) TO ${sqlString(opts.labelsFile)} (FORMAT parquet)`,
  );
}

// The record fields identity resolution can compare, and which of them a dataset has. Every field
// is optional: a column that is absent from every file, or holds only nulls and blanks, is left
// out of blocking and scoring (and named in the run's report). Only record_id and at least two
// comparable fields are required.

/** A comparable field: its input column and the type family that column may have. */
export interface RecordField {
  name: FieldName;
  column: string;
  type: 'text' | 'any' | 'date-or-text';
}

export const FIELD_NAMES = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'dob',
  'address_line',
  'city',
  'state',
  'zip',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export const RECORD_FIELDS: RecordField[] = [
  { name: 'first_name', column: 'first_name', type: 'text' },
  { name: 'last_name', column: 'last_name', type: 'text' },
  { name: 'email', column: 'email', type: 'text' },
  { name: 'phone', column: 'phone', type: 'any' },
  // A DATE, a TIMESTAMP, or text such as 1956-04-09, 19560409 or 09/04/1956 (day first).
  { name: 'dob', column: 'dob', type: 'date-or-text' },
  { name: 'address_line', column: 'address_line', type: 'any' },
  { name: 'city', column: 'city', type: 'any' },
  { name: 'state', column: 'state', type: 'any' },
  { name: 'zip', column: 'zip', type: 'any' },
];

/**
 * An optional column prepended to address_line when present (data that keeps the house number
 * apart, such as FEBRL's street_number + address_1).
 */
export const STREET_NUMBER_COLUMN = 'street_number';

/** The comparable fields needed at the least. */
export const MIN_FIELDS = 2;

/** Which fields a dataset has (present: in the files and with at least one non-blank value). */
export interface FieldPresence {
  present: FieldName[];
  /** Fields whose column exists but holds only nulls or blanks. */
  empty: FieldName[];
  /** Fields with no column in any file. */
  absent: FieldName[];
  streetNumber: boolean;
}

export function isFieldName(x: string): x is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(x);
}

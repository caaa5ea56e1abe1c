// Which output columns hold personal data, so that violating rows shown in a DataQuality failure
// (and so in alerts, logs and the workflow history) never carry it.

/** Column names that hold PII in Daybreak's datasets, and the usual spellings elsewhere. */
const PII_NAME =
  /(^|_)(e?mail|email_address|phone|mobile|pii|ip|ip_address|ssn|dob|sha2|birth_?date|first_name|last_name|full_name|address|address_line|street|zip|zip5|postcode)($|_)/i;

export const MASK = '***';

export function isPiiColumn(name: string, extra: readonly string[] = []): boolean {
  return PII_NAME.test(name) || extra.includes(name);
}

/** A sample row with PII columns masked (null stays null: "missing" is not personal data). */
export function maskRow(
  row: Record<string, unknown>,
  extra: readonly string[] = [],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v !== null && isPiiColumn(k, extra) ? MASK : v]),
  );
}

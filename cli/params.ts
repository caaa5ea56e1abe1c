// Parsing of repeatable `--param key=value` options and dates on the command line.
import { InvalidArgumentError } from 'commander';
import { isLogicalDate, logicalDateOf } from '../lib/contracts/logical-date.js';

export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function parseDateOption(value: string): string {
  if (!isLogicalDate(value))
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

export function today(): string {
  return logicalDateOf(new Date());
}

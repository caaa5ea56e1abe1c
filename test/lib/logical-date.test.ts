import { expect, test } from 'vitest';
import { addDays, dateRange, isLogicalDate, parseLogicalDate } from '../../lib/contracts/logical-date.js';

test('logical dates are real calendar dates', () => {
  expect(isLogicalDate('2024-02-29')).toBe(true);
  expect(isLogicalDate('2025-02-29')).toBe(false);
  expect(isLogicalDate('2025-1-01')).toBe(false);
  expect(() => parseLogicalDate('yesterday', '--date')).toThrow(
    '--date must be a calendar date YYYY-MM-DD; got "yesterday"',
  );
});

test('date arithmetic crosses months and years', () => {
  expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
  expect(dateRange('2025-02-27', '2025-03-02')).toEqual([
    '2025-02-27',
    '2025-02-28',
    '2025-03-01',
    '2025-03-02',
  ]);
});

import { expect, test } from 'vitest';
import { formatDuration } from '../../lib/durations.js';

test('durations under a second show milliseconds; longer ones whole units', () => {
  expect(formatDuration(0)).toBe('0ms');
  expect(formatDuration(340.4)).toBe('340ms');
  expect(formatDuration(999)).toBe('999ms');
  expect(formatDuration(1000)).toBe('1s');
  expect(formatDuration(4_120)).toBe('4.1s');
  expect(formatDuration(65_400)).toBe('1m 5s');
  expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
  // A deadline already passed is no time left, not a negative one.
  expect(formatDuration(-20)).toBe('0ms');
});

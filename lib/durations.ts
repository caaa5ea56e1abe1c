// The one way Daybreak shows a duration to people (CLI tables, sensor messages, alerts), so a
// finished 340 ms run reads "340ms", not "0s": milliseconds under a second, tenths of a second
// under a minute, then whole units ("1m 5s", "2h 3m 4s").
import prettyMilliseconds from 'pretty-ms';

export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  return prettyMilliseconds(value, { secondsDecimalDigits: value < 60_000 ? 1 : 0 });
}

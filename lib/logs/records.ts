// The records of an attempt log, one JSON object per line: a header naming the attempt, its log
// lines (numbered, so a reader following a running attempt prints each once), and an end record
// once the attempt finished. A log without an end is running, or its worker died mid-attempt.

export interface AttemptHeader {
  kind: 'attempt';
  pipeline: string;
  runDate: string;
  workflowId: string;
  runId: string;
  activityType: string;
  activityId: string;
  step: string;
  attempt: number;
  worker: string;
  startedAt: string;
}

export interface LogLine {
  kind: 'line';
  /** 1, 2, ... in the order the attempt logged them (gaps where lines were left out). */
  n: number;
  ts: string;
  level: string;
  message: string;
  meta?: Record<string, unknown>;
}

export type AttemptStatus = 'succeeded' | 'failed' | 'cancelled';

export interface AttemptEnd {
  kind: 'end';
  status: AttemptStatus;
  endedAt: string;
  durationMs: number;
  /** `ErrorClass: message`, redacted. */
  error?: string;
}

export type AttemptRecord = AttemptHeader | LogLine | AttemptEnd;

export interface ParsedAttemptLog {
  header?: AttemptHeader;
  lines: LogLine[];
  end?: AttemptEnd;
}

/** Reads an attempt log's text; lines that are not records (a truncated write) are skipped. */
export function parseAttemptLog(text: string): ParsedAttemptLog {
  const out: ParsedAttemptLog = { lines: [] };
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let record: AttemptRecord;
    try {
      record = JSON.parse(raw) as AttemptRecord;
    } catch {
      continue;
    }
    if (record.kind === 'attempt') out.header = record;
    else if (record.kind === 'line') out.lines.push(record);
    else if (record.kind === 'end') out.end = record;
  }
  return out;
}

/** `05:15:48.123 INFO  loaded 3 files {"rows":12}`: one line as `daybreak logs` prints it. */
export function formatLogLine(line: LogLine): string {
  const time = line.ts.slice(11, 23);
  const meta = line.meta && Object.keys(line.meta).length ? ` ${JSON.stringify(line.meta)}` : '';
  return `${time} ${line.level.padEnd(5)} ${line.message}${meta}`;
}

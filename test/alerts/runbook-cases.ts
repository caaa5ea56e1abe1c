// Realistic error texts as the libraries print them, each with the runbook section on-call needs.
// Used to measure retrieval accuracy (test/alerts/runbook-index.test.ts).

export const OOM = 'Out of memory / worker killed';
export const DISK = 'Disk full';
export const TIMEOUT = 'Activity start-to-close timeout';
export const MISSING = 'Missing input partition';
export const SCHEMA = 'Schema drift / missing column';
export const CORRUPT = 'Corrupt Parquet file';
export const SENSOR = 'Sensor timeout (input never arrived)';
export const PERMISSION = 'Storage permission denied (GCS or local)';
export const REDIS = 'Redis unavailable';
export const TEMPORAL = 'Temporal unreachable';
export const NO_WORKERS = 'No live worker on a task queue';
export const SLA = 'SLA missed';
export const SMTP = 'Email (SMTP) delivery failing';
export const SLACK = 'Slack delivery failing';
export const SUPERSEDED = 'Superseded by a newer feature version';
export const QUALITY = 'Data-quality check failed';
export const SANDBOX = 'SQL pipeline refused by its sandbox';

export const RUNBOOK_CASES: { text: string; expected: string; source: string }[] = [
  // DuckDB
  {
    source: 'duckdb',
    expected: OOM,
    text: 'Error: Out of Memory Error: failed to allocate data of size 256.0 MiB (1.4 GiB/1.5 GiB used)',
  },
  {
    source: 'duckdb',
    expected: OOM,
    text: 'Out of Memory Error: could not allocate block of size 256.0 KiB (953.6 MiB/953.6 MiB used)',
  },
  {
    source: 'duckdb',
    expected: SCHEMA,
    text: 'Binder Error: Referenced column "visitor_id" not found in FROM clause!\nCandidate bindings: "visitorid", "lvr_id"',
  },
  { source: 'duckdb', expected: SCHEMA, text: "Conversion Error: Could not convert string 'n/a' to INT64" },
  {
    source: 'duckdb',
    expected: MISSING,
    text: 'IO Error: No files found that match the pattern "/data/raw/user_activity/dt=2025-03-01/*.parquet"',
  },
  {
    source: 'duckdb',
    expected: CORRUPT,
    text: "Invalid Input Error: No magic bytes found at end of file '/scratch/map-3/part-0007.parquet'",
  },
  {
    source: 'duckdb',
    expected: CORRUPT,
    text: "Invalid Input Error: File '/scratch/part-0001.parquet' too small to be a Parquet file",
  },
  {
    source: 'duckdb',
    expected: DISK,
    text: 'IO Error: Could not write file "/tmp/daybreak/duckdb/duckdb_temp_storage_S32K-4.tmp": No space left on device',
  },
  {
    source: 'duckdb',
    expected: DISK,
    text: 'Out of Memory Error: failed to offload data block of size 256.0 KiB: max_temp_directory_size reached (90.0 GiB/90.0 GiB used)',
  },
  // Node fs
  { source: 'node-fs', expected: DISK, text: 'ENOSPC: no space left on device, write' },
  {
    source: 'node-fs',
    expected: MISSING,
    text: "ENOENT: no such file or directory, open '/data/raw/events/dt=2025-03-01/part-0.parquet'",
  },
  {
    source: 'node-fs',
    expected: PERMISSION,
    text: "EACCES: permission denied, open '/data/curated/session-ranking/dt=2025-03-01/_SUCCESS'",
  },
  {
    source: 'node',
    expected: OOM,
    text: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
  },
  // GCS (@google-cloud/storage)
  {
    source: 'gcs',
    expected: PERMISSION,
    text: "daybreak-sa@prod-data.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).",
  },
  {
    source: 'gcs',
    expected: PERMISSION,
    text: "Anonymous caller does not have storage.objects.list access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist).",
  },
  {
    source: 'gcs',
    expected: PERMISSION,
    text: 'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.',
  },
  { source: 'gcs', expected: PERMISSION, text: 'invalid_grant: Invalid JWT Signature.' },
  {
    source: 'gcs',
    expected: MISSING,
    text: 'No such object: raw-bucket/raw/visitor_events/dt=2025-03-01/part-0000.parquet',
  },
  // ioredis
  { source: 'ioredis', expected: REDIS, text: 'connect ECONNREFUSED 127.0.0.1:6379' },
  {
    source: 'ioredis',
    expected: REDIS,
    text: 'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.',
  },
  { source: 'ioredis', expected: REDIS, text: "OOM command not allowed when used memory > 'maxmemory'." },
  { source: 'ioredis', expected: REDIS, text: "READONLY You can't write against a read only replica." },
  { source: 'ioredis', expected: REDIS, text: 'LOADING Redis is loading the dataset in memory' },
  { source: 'ioredis', expected: REDIS, text: 'NOAUTH Authentication required.' },
  {
    source: 'daybreak',
    expected: SUPERSEDED,
    text: 'Superseded: version 7 of customer was published while this sync (version 6) ran; not switching back to the older version',
  },
  {
    source: 'daybreak',
    expected: SUPERSEDED,
    text: 'incremental sync of address (version 9) was built on layers 7, but the published pointer is now version 8 with layers 8; run it again',
  },
  // gRPC / Temporal
  {
    source: 'grpc',
    expected: TEMPORAL,
    text: '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233',
  },
  { source: 'grpc', expected: TEMPORAL, text: '4 DEADLINE_EXCEEDED: Deadline exceeded after 10.002s' },
  { source: 'temporal', expected: TEMPORAL, text: 'TransportError: Failed to connect before the deadline' },
  { source: 'temporal', expected: OOM, text: 'TimeoutFailure: activity Heartbeat timeout' },
  { source: 'temporal', expected: TIMEOUT, text: 'TimeoutFailure: activity StartToClose timeout' },
  // nodemailer
  {
    source: 'nodemailer',
    expected: SMTP,
    text: 'Invalid login: 535 5.7.8 Authentication credentials invalid',
  },
  { source: 'nodemailer', expected: SMTP, text: 'Greeting never received' },
  {
    source: 'nodemailer',
    expected: SMTP,
    text: "Can't send mail - all recipients were rejected: 550 5.1.1 <oncall@example.com>: Recipient address rejected: User unknown",
  },
  { source: 'nodemailer', expected: SMTP, text: 'self-signed certificate in certificate chain' },
  // Slack webhook (Daybreak's sender surfaces Slack's error body)
  { source: 'slack', expected: SLACK, text: 'slack webhook default answered 400: invalid_blocks' },
  { source: 'slack', expected: SLACK, text: 'slack webhook oncall answered 404: channel_not_found' },
  // Daybreak's own failures
  {
    source: 'daybreak',
    expected: MISSING,
    text: 'MissingInput: no user_activity Parquet files found at gs://raw/user_activity/dt=2025-03-01',
  },
  {
    source: 'daybreak',
    expected: SCHEMA,
    text: 'BadInput: gs://raw/user_activity/dt=2025-03-01/part-0.parquet has no column "session_end" (columns: id, session_begin)',
  },
  {
    source: 'daybreak',
    expected: CORRUPT,
    text: 'BadInput: cannot read Parquet file gs://raw/profile/part-3.parquet: Invalid Input Error: No magic bytes found at end of file',
  },
  {
    source: 'daybreak',
    expected: SENSOR,
    text: 'SensorTimeout: raw/visitor_events/dt=2025-03-01 had no _SUCCESS manifest after 6h',
  },
  {
    source: 'daybreak',
    expected: SENSOR,
    text: 'InputMissing: input curated/model-scoring for 2025-03-01 was not published by its deadline: no _SUCCESS manifest at gs://lake/curated/model-scoring/dt=2025-03-01 after 6.0h (361 looks, deadline 2025-03-02T08:00:00.000Z)',
  },
  {
    source: 'daybreak',
    expected: OOM,
    text: 'WorkerLost: worker daybreak-worker@node-7:4121 stopped heartbeating (activity Heartbeat timeout)',
  },
  { source: 'daybreak', expected: NO_WORKERS, text: 'no live worker polled task queue daybreak for 300s' },
  {
    source: 'daybreak',
    expected: SLA,
    text: 'SLA missed: session-ranking/2025-03-01 still running 4h after its scheduled time',
  },
  {
    source: 'daybreak',
    expected: QUALITY,
    text: 'DataQuality: daily-visits 2025-03-02: 1 of 5 data-quality checks failed; the output was not published and the previous one stays. check rows.maxChangePct failed: 38.3% (60 rows against 97 on 2025-03-01), limit <= 20%',
  },
  {
    source: 'daybreak',
    expected: QUALITY,
    text: 'DataQuality: identity-join 2025-03-02: check report.matchRate failed: 0.41, limit >= 0.6',
  },
  {
    source: 'daybreak',
    expected: SANDBOX,
    text: 'SandboxViolation: pipelines/daily-visits.sql: the query may read only its declared inputs and write nothing; refused: Permission Error: Cannot access file "/etc/passwd"',
  },
  {
    source: 'daybreak',
    expected: SANDBOX,
    text: 'SandboxViolation: pipelines/export.sql: the query may read only its declared inputs and write nothing; refused: Cannot change configuration option "enable_external_access"',
  },
];

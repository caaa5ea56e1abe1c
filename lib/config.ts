// The one place that reads the environment. Every setting is validated here, and an error names
// the variable, the expected form and the value it got (secrets are never echoed).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 512MB or 4GB');
const positiveInt = z.coerce
  .number({ message: 'a positive whole number' })
  .int('a positive whole number')
  .positive('a positive whole number');
const port = z.coerce
  .number({ message: 'a port number 0-65535' })
  .int('a port number 0-65535')
  .min(0, 'a port number 0-65535')
  .max(65535, 'a port number 0-65535');
const url = z.string().url('a URL such as http://host:port');
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'one of true/false/1/0/yes/no' })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Variables whose values must never be printed, even in validation errors. */
export const SECRET_VARIABLES = new Set([
  'TEMPORAL_API_KEY',
  'SMTP_URL',
  'SLACK_WEBHOOK_URL',
  'DAYBREAK_API_TOKENS',
  'REDIS_URL',
  'SLACK_WEBHOOK_URLS',
]);

/**
 * The schema of every environment variable Daybreak reads. Exported so that deployment checks
 * (docker-compose, .env.example) compare against the source of truth instead of a copied list.
 * A variable is required when its schema has no default and is not optional.
 */
export const envSchema = z.object({
  // Temporal connection (also read by @temporalio/envconfig: TLS, API key, profiles).
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),
  /** Path to a `temporal` CLI binary; otherwise PATH, then the cache folder, then a Go build. */
  TEMPORAL_CLI: z.string().min(1).optional(),

  // Daybreak runtime.
  DAYBREAK_TASK_QUEUE: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _ . -')
    .default('daybreak'),
  DAYBREAK_DATA_ROOT: z.string().min(1).default('.daybreak/data'),
  DAYBREAK_STATE_DIR: z.string().min(1).default('.daybreak'),
  DAYBREAK_SCRATCH_DIR: z.string().min(1).default(path.join(os.tmpdir(), 'daybreak')),
  DAYBREAK_CACHE_DIR: z
    .string()
    .min(1)
    .default(path.join(os.homedir(), '.cache', 'daybreak')),
  /**
   * Install missing tools (`daybreak up`, `daybreak tools`, the test suite's setup): Debian
   * packages with apt-get when root, Go tools with `go install`. Off: only find them, and name
   * the command that installs each missing one.
   */
  DAYBREAK_PROVISION: bool.default(true),
  /**
   * Run the CLI compiled to JavaScript (bin/compile.js); off runs the TypeScript through tsx. Read
   * by bin/compile.js before any TypeScript is loaded; declared here to be validated and listed.
   */
  DAYBREAK_COMPILE: bool.default(true),
  DAYBREAK_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Per-attempt logs (`_logs/` under the data root) older than this are removed at worker start; 0 keeps them. */
  DAYBREAK_LOG_RETENTION_DAYS: z.coerce
    .number({ message: 'a whole number of days (0 keeps the logs)' })
    .int('a whole number of days (0 keeps the logs)')
    .min(0, 'a whole number of days (0 keeps the logs)')
    .default(30),
  DAYBREAK_DUCKDB_MEMORY_LIMIT: byteSize.optional(),
  DAYBREAK_DUCKDB_THREADS: positiveInt.default(Math.max(1, os.availableParallelism())),
  DAYBREAK_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(Math.max(2, os.availableParallelism())),
  /** Activity slots each worker keeps for the alert lane (lib/contracts/alert-lane.ts), beside the data slots. */
  DAYBREAK_ALERT_SLOTS: positiveInt.default(4),
  DAYBREAK_WORKER_IDENTITY: z.string().min(1).optional(),
  /** Longest a heartbeat's details wait before reaching the server (what a retry resumes from). */
  DAYBREAK_HEARTBEAT_FLUSH_MS: positiveInt.default(2000),
  /**
   * A workflow bundle prebuilt by `daybreak bundle` (the image builds one); unset, each worker
   * process bundles `workflows/` with webpack at start.
   */
  DAYBREAK_WORKFLOW_BUNDLE: z.string().min(1).optional(),

  // Metrics.
  /** Daybreak's /metrics (prom-client) on the worker; 0 turns it off. */
  METRICS_PORT: port.default(9464),
  /** The Temporal SDK's own Prometheus exporter; 0 turns it off. */
  TEMPORAL_METRICS_PORT: port.default(9465),
  /** Interface both metrics endpoints bind to. */
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),

  // Storage (GCS). Credentials come from the standard Google environment
  // (GOOGLE_APPLICATION_CREDENTIALS, metadata server), read by the client library itself.
  GCS_PROJECT_ID: z.string().min(1).optional(),
  /** GCS emulator endpoint for tests, e.g. http://127.0.0.1:4443 */
  STORAGE_EMULATOR_HOST: url.optional(),

  // Alerts.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'smtp://user:pass@host:port or smtps://...')
    .optional(),
  ALERT_EMAIL_FROM: z.string().min(3).default('daybreak@localhost'),
  ALERT_EMAIL_TO: z.string().optional(),
  SLACK_WEBHOOK_URL: url.optional(),
  ALERT_DEDUP_WINDOW_MINUTES: positiveInt.default(24 * 60),
  /** An alert a channel failed to deliver is retried this long (with backoff) before giving up. */
  ALERT_RETRY_HOURS: positiveInt.default(24),
  /** First wait before an undelivered alert is retried; doubles up to 30 minutes. */
  ALERT_RETRY_FIRST_SECONDS: positiveInt.default(60),
  /** Extra named Slack webhooks for alert routes: `name=https://hooks...,other=https://...` (secret). */
  SLACK_WEBHOOK_URLS: z
    .string()
    .regex(/^[\w-]+=https?:\/\/\S+(,[\w-]+=https?:\/\/\S+)*$/, 'name=url[,name=url...]')
    .optional(),
  /** Verify the SMTP server's TLS certificate (turn off only for a self-signed relay). */
  SMTP_TLS_REJECT_UNAUTHORIZED: bool.default(true),
  /** Watchdog: task queues it checks (comma-separated; default DAYBREAK_TASK_QUEUE). */
  WATCHDOG_TASK_QUEUES: z.string().optional(),
  /** Watchdog: a queue whose freshest poller is older than this has no live worker. */
  WATCHDOG_STALE_SECONDS: positiveInt.default(120),

  // Feature store.
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'redis://host:port')
    .default('redis://127.0.0.1:6379'),
  /**
   * Longest a feature sync waits for Redis to come back (a restart, a failover, LOADING of the
   * dataset) before its step fails; the step then runs again from its start.
   */
  DAYBREAK_REDIS_WAIT_SECONDS: positiveInt.default(300),
  API_PORT: port.default(8080),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated bearer tokens for the feature API. */
  DAYBREAK_API_TOKENS: z.string().optional(),
  /** A file holding bearer tokens, one per line (wins over DAYBREAK_API_TOKENS when both are set). */
  DAYBREAK_API_TOKENS_FILE: z.string().optional(),

  DAYBREAK_EMBEDDED_NO_UI: bool.default(false),

  // Identity resolution (model-scoring): the versioned model registry folder.
  DAYBREAK_MODELS_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../models/identity', import.meta.url))),

  /** SQL pipelines: every `*.sql` file here is a pipeline named after it (read client-side). */
  DAYBREAK_PIPELINES_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../pipelines', import.meta.url))),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates `env` (default: the process environment) and returns typed settings. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    known[key] = value === '' ? undefined : value;
  }
  const parsed = envSchema.safeParse(known);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const got = SECRET_VARIABLES.has(name) ? '(value hidden)' : JSON.stringify(known[name]);
    return `${name} must be ${issue.message}; got ${got}`;
  });
  // One problem fits on one line (what a user sees first); several get one line each.
  throw new ConfigError(
    problems.length === 1
      ? `Invalid configuration: ${problems[0]}`
      : `Invalid configuration:\n  ${problems.join('\n  ')}`,
  );
}

/** The raw environment, for the few libraries that read it themselves (envconfig, child processes). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

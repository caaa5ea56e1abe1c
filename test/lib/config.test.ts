import { describe, expect, test } from 'vitest';
import { ConfigError, envSchema, loadConfig } from '../../lib/config.js';

describe('loadConfig', () => {
  test('defaults apply when nothing is set', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.DAYBREAK_TASK_QUEUE).toBe('daybreak');
    expect(config.DAYBREAK_DUCKDB_THREADS).toBeGreaterThan(0);
    expect(config.DAYBREAK_DUCKDB_MEMORY_LIMIT).toBeUndefined();
  });

  test('values are parsed and typed', () => {
    const config = loadConfig({
      DAYBREAK_DUCKDB_THREADS: '3',
      DAYBREAK_DUCKDB_MEMORY_LIMIT: '1GB',
      METRICS_PORT: '0',
    });
    expect(config.DAYBREAK_DUCKDB_THREADS).toBe(3);
    expect(config.DAYBREAK_DUCKDB_MEMORY_LIMIT).toBe('1GB');
    expect(config.METRICS_PORT).toBe(0);
  });

  test('an empty variable counts as unset', () => {
    expect(loadConfig({ TEMPORAL_NAMESPACE: '' }).TEMPORAL_NAMESPACE).toBe('default');
  });

  test('every problem is named with the variable, the expected form and the value', () => {
    const attempt = () =>
      loadConfig({
        TEMPORAL_ADDRESS: 'nohost',
        DAYBREAK_DUCKDB_THREADS: 'abc',
        DAYBREAK_DUCKDB_MEMORY_LIMIT: 'lots',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('TEMPORAL_ADDRESS must be host:port; got "nohost"');
      expect(message).toContain('DAYBREAK_DUCKDB_THREADS must be a positive whole number; got "abc"');
      expect(message).toContain(
        'DAYBREAK_DUCKDB_MEMORY_LIMIT must be a size such as 512MB or 4GB; got "lots"',
      );
    }
  });

  test('secret values never appear in errors', () => {
    const secret = 'not-a-url-but-very-secret';
    expect(() => loadConfig({ SLACK_WEBHOOK_URL: secret })).toThrow(
      /SLACK_WEBHOOK_URL must be .*\(value hidden\)/,
    );
    try {
      loadConfig({ SLACK_WEBHOOK_URL: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });

  test('the schema is the list of known variables', () => {
    expect(Object.keys(envSchema.shape)).toContain('DAYBREAK_DATA_ROOT');
  });
});

// Prometheus metrics of the feature API (labels are route templates and views, never ids).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'daybreak_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'daybreak_api_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'daybreak_api_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    lookups: new Counter({
      name: 'daybreak_api_entity_lookups_total',
      help: 'Entities looked up by view and result (found, missing)',
      labelNames: ['view', 'result'] as const,
      registers: [registry],
    }),
    redisErrors: new Counter({
      name: 'daybreak_api_redis_errors_total',
      help: 'Requests answered 503 because Redis failed or was unreachable',
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

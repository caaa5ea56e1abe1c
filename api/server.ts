// The online feature API: GET /v1/{id}/{view}, POST /v1/batch/{view}, /healthz, /readyz,
// /metrics. Bearer-token auth; ids are checked against ENTITY_ID_PATTERN before any Redis call
// (so a key outside fs:<view>:* can never be asked for); errors are JSON without stack traces;
// Redis trouble is a 503. In a view that follows aliases (customer), a merged-away id answers
// with its survivor's features and `aliasOf` (findFeatures).
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { aliasTarget, decodeValue, type Features } from '../lib/features/encoding.js';
import type { Pointer } from '../lib/features/keys.js';
import { currentPointer, OnlineReader } from '../lib/features/online.js';
import { RespClient } from '../lib/features/resp-client.js';
import { ENTITY_ID_PATTERN, type FeatureView } from '../lib/features/types.js';
import { FEATURE_VIEWS, featureView } from '../lib/features/views/index.js';
import { createApiMetrics } from './metrics.js';
import { tokenChecker } from './tokens.js';

export const MAX_BATCH_IDS = 1000;
/** Switches seen between reading ids and their survivors before a lookup gives up (as OnlineReader). */
const MAX_ALIAS_ATTEMPTS = 5;
/** A view without aliases: no id answered by another (read-only, shared). */
const NO_ALIASES: ReadonlyArray<string | undefined> = [];
/** Long enough for the longest id plus room, so an over-long id gets our 400, not a router 404. */
const MAX_PARAM_LENGTH = 16_384;

export interface ApiOptions {
  redisUrl: string;
  tokens: string[];
  /** Per-command timeout: a hung Redis answers 503 instead of hanging the request. */
  redisTimeoutMs?: number;
  /** Told the cause of every 503 'unavailable' (for the log). */
  onUnavailable?: (err: Error) => void;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type('application/json').send({ error: code, message });
}

function viewOrThrow(name: string): FeatureView {
  const view = featureView(name);
  if (!view)
    throw new ApiError(
      404,
      'unknown_view',
      `no feature view named ${JSON.stringify(name.slice(0, 64))}; known: ${Object.keys(FEATURE_VIEWS).join(', ')}`,
    );
  return view;
}

const FIELD_SCHEMA = {
  int: { type: ['integer', 'null'] },
  text: { type: ['string', 'null'] },
  timestamp: { type: ['string', 'null'] },
  'text[]': { type: 'array', items: { type: 'string' } },
} as const;

function responseSchema(view: FeatureView) {
  return {
    type: 'object',
    properties: {
      view: { type: 'string' },
      [view.key]: { type: 'string' },
      aliasOf: { type: 'string' },
      version: { type: 'integer' },
      asOf: { type: 'string' },
      features: {
        type: 'object',
        properties: Object.fromEntries(view.fields.map((f) => [f.name, FIELD_SCHEMA[f.type]])),
      },
    },
  };
}

function checkId(view: FeatureView, id: unknown): string {
  if (typeof id !== 'string' || !ENTITY_ID_PATTERN.test(id))
    throw new ApiError(400, 'invalid_id', `${view.key} must be 1-128 characters of A-Z a-z 0-9 _ -`);
  return id;
}

/** What a lookup found: the version answered from, and each id's features (null: not found). */
interface Found {
  pointer: Pointer;
  features: Array<Features | null>;
  /** Per id, the surviving id whose features answer it when the id was merged away. */
  aliasOf: ReadonlyArray<string | undefined>;
}

export function createApiServer(opts: ApiOptions): { app: FastifyInstance; redis: RespClient } {
  // Reconnects by itself; while it is down, requests get 503 at once (no offline queue).
  const redis = new RespClient(opts.redisUrl, {
    commandTimeoutMs: opts.redisTimeoutMs ?? 1000,
    connectTimeoutMs: 5000,
  });
  const reader = new OnlineReader(redis);
  const metrics = createApiMetrics();
  const lookupCounters = new Map<
    string,
    { found: { inc(n?: number): void }; missing: { inc(n?: number): void } }
  >();
  const countLookups = (view: string, found: number, missing: number) => {
    let c = lookupCounters.get(view);
    if (!c) {
      c = {
        found: metrics.lookups.labels({ view, result: 'found' }),
        missing: metrics.lookups.labels({ view, result: 'missing' }),
      };
      lookupCounters.set(view, c);
    }
    if (found) c.found.inc(found);
    if (missing) c.missing.inc(missing);
  };

  /**
   * The one lookup both endpoints use. In a view that follows aliases, an id merged into another
   * identity holds an alias entry (lib/features/encoding.ts): its survivor's features answer it,
   * read under the same pointer as the id itself (else both are read again), so an answer never
   * mixes two versions.
   */
  const findFeatures = async (view: FeatureView, ids: string[]): Promise<Found> => {
    for (let attempt = 1; ; attempt++) {
      const found = await reader.lookup(view.name, ids);
      if (!found) throw new ApiError(503, 'no_version', `no version of ${view.name} is published yet`);
      if (!view.followsAliases) {
        const features = found.values.map((v) =>
          v === null ? null : decodeValue(view, v, found.timestampRadix),
        );
        return { pointer: found.pointer, features, aliasOf: NO_ALIASES };
      }
      const aliasOf = found.values.map((v) => (v === null ? undefined : aliasTarget(v)));
      const targets = [...new Set(aliasOf.filter((t) => t !== undefined))];
      let survivors = new Map<string, string | null>();
      if (targets.length) {
        const again = await reader.lookup(view.name, targets);
        if (!again || again.rawPointer !== found.rawPointer) {
          if (attempt === MAX_ALIAS_ATTEMPTS)
            throw new Error(`the pointer of ${view.name} moved ${attempt} times during one alias lookup`);
          continue;
        }
        survivors = new Map(targets.map((t, i) => [t, again.values[i]!]));
      }
      const features = found.values.map((v, i) => {
        const value = aliasOf[i] === undefined ? v : survivors.get(aliasOf[i]!)!;
        // A survivor is an entity; an alias pointing at another alias would be a broken table.
        return value === null || aliasTarget(value) !== undefined
          ? null
          : decodeValue(view, value, found.timestampRadix);
      });
      return { pointer: found.pointer, features, aliasOf };
    }
  };
  const authorized = tokenChecker(opts.tokens);
  /** The Authorization header each connection has passed the token check with. */
  const verifiedHeaders = new WeakMap<Socket, string>();
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: 1 << 20,
  });

  // Callback-style hooks and metric children cached per label set: at ~30k requests/s on one
  // core, async hooks and per-call label hashing were measurable (bench:feature-api).
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.url.startsWith('/v1/')) return done();
    const header = req.headers.authorization;
    // A keep-alive connection sends the same header on every request: once it has passed the
    // digest check, the same string on the same socket passes without another SHA-256 (~3 us, a
    // tenth of a lookup's CPU). Both sides of that comparison are what the client sent, so its
    // timing says nothing about a token; a different header is checked in full.
    // (A WeakMap rather than a property: a new property on sockets would change their shape.)
    const socket = req.raw.socket;
    if (header !== undefined && verifiedHeaders.get(socket) === header) return done();
    if (authorized(header)) {
      verifiedHeaders.set(socket, header!);
      return done();
    }
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, 401, 'unauthorized', 'a valid bearer token is required');
  });
  const requestCounters = new Map<string, ReturnType<typeof metrics.requests.labels>>();
  const durations = new Map<string, ReturnType<typeof metrics.duration.labels>>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${route} ${reply.statusCode}`;
    let counter = requestCounters.get(key);
    if (!counter) {
      counter = metrics.requests.labels({ route, status: String(reply.statusCode) });
      requestCounters.set(key, counter);
    }
    counter.inc();
    let duration = durations.get(route);
    if (!duration) durations.set(route, (duration = metrics.duration.labels({ route })));
    duration.observe(reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.status, err.code, err.message);
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return sendError(
        reply,
        status,
        status === 413 ? 'too_large' : 'bad_request',
        (err as Error).message.split('\n')[0]!,
      );
    // Anything else is Redis trouble (connection, timeout, script) or a bug: never a stack trace
    // in the answer; the cause goes to the operator's log.
    metrics.redisErrors.inc();
    opts.onUnavailable?.(err as Error);
    return sendError(reply, 503, 'unavailable', 'the feature store is unavailable; retry later');
  });
  app.setNotFoundHandler((req, reply) => {
    // /v1//customer (an empty id) never matches the route: it is a bad id, not a missing page.
    if (/^\/v1\/\/[^/]+\/?$/.test(req.url.split('?')[0]!))
      return sendError(reply, 400, 'invalid_id', 'the id is empty');
    return sendError(reply, 404, 'not_found', 'no such endpoint');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const views: Record<string, { version: number; asOf: string } | null> = {};
    try {
      for (const name of Object.keys(FEATURE_VIEWS)) {
        const p = await currentPointer(redis, name);
        views[name] = p ? { version: p.version, asOf: p.asOf } : null;
      }
    } catch {
      return sendError(reply, 503, 'unavailable', 'Redis is unreachable');
    }
    const ready = Object.values(views).some((v) => v !== null);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'no_version', views });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const single = async (view: FeatureView, rawId: string, reply: FastifyReply) => {
    const id = checkId(view, rawId);
    const { pointer, features, aliasOf } = await findFeatures(view, [id]);
    const entity = features[0];
    countLookups(view.name, entity ? 1 : 0, entity ? 0 : 1);
    if (!entity) return sendError(reply, 404, 'not_found', `no ${view.name} with ${view.key} ${id}`);
    return {
      view: view.name,
      [view.key]: id,
      ...(aliasOf[0] === undefined ? {} : { aliasOf: aliasOf[0] }),
      version: pointer.version,
      asOf: pointer.asOf,
      features: entity,
    };
  };
  // One route per view, with a response schema: Fastify then serializes with a compiled
  // stringifier instead of JSON.stringify.
  for (const view of Object.values(FEATURE_VIEWS)) {
    app.get<{ Params: { id: string } }>(
      `/v1/:id/${view.name}`,
      { schema: { response: { 200: responseSchema(view) } } },
      async (req, reply) => single(view, req.params.id, reply),
    );
  }
  app.get<{ Params: { id: string; view: string } }>('/v1/:id/:view', async (req, reply) =>
    single(viewOrThrow(req.params.view), req.params.id, reply),
  );

  app.post<{ Params: { view: string }; Body: unknown }>('/v1/batch/:view', async (req) => {
    const view = viewOrThrow(req.params.view);
    const body = req.body as { ids?: unknown } | undefined;
    const ids = body?.ids;
    if (!Array.isArray(ids) || ids.length === 0)
      throw new ApiError(400, 'bad_request', 'the body must be {"ids": [...]} with 1 to 1000 ids');
    if (ids.length > MAX_BATCH_IDS)
      throw new ApiError(400, 'too_many_ids', `at most ${MAX_BATCH_IDS} ids per request; got ${ids.length}`);
    const checked = ids.map((id) => checkId(view, id));
    const { pointer, features, aliasOf } = await findFeatures(view, checked);
    const hits = features.filter((f) => f !== null).length;
    countLookups(view.name, hits, checked.length - hits);
    return {
      view: view.name,
      version: pointer.version,
      asOf: pointer.asOf,
      results: checked.map((id, i) => ({
        [view.key]: id,
        ...(aliasOf[i] === undefined ? {} : { aliasOf: aliasOf[i] }),
        found: features[i] !== null,
        features: features[i],
      })),
    };
  });

  app.addHook('onClose', async () => {
    redis.close();
  });
  return { app, redis };
}

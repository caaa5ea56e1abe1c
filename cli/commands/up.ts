// `daybreak up` (what `npm start` runs): the whole platform on this machine. Sample data for every
// pipeline where it is missing, a local redis-server (data in `<state>/redis`), the Temporal dev
// server with its Web UI (runs in `<state>/temporal.db`), a worker and the feature API in this
// process, then the daily DAG for the run date, told one line per state change. Logs and stack
// traces go to `<state>/logs/`. Ctrl-C stops everything within seconds: running activities are
// cancelled, and the next start resumes them.
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig, type Config } from '../../lib/config.js';
import { DAILY_PIPELINE } from '../../lib/contracts/daily.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { sensorInput } from '../../lib/contracts/sensors.js';
import { curatedOutput } from '../../lib/paths.js';
import { parseDateOption, today } from '../params.js';

/** How long running activities get once Ctrl-C is pressed, before they are cancelled. */
const SHUTDOWN_GRACE = '500ms';
/** Past this, shutdown stops waiting for activities that ignore their cancellation. */
const SHUTDOWN_FORCE = '2s';
/** Everything is stopped within this; whatever still runs then is killed. */
const STOP_DEADLINE_MS = 4_500;

interface UpOptions {
  date: string;
  pipelines?: string[];
  run: boolean;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function defaultPort(url: string, fallback: number): number {
  return Number(new URL(url).port || fallback);
}

/** One customer id from feature-sync's offline store: the curl line reads a real one. */
async function sampleCustomerId(config: Config, runDate: string): Promise<string | undefined> {
  const { sqlString, withDuckDB } = await import('../../lib/duckdb.js');
  const glob = path.join(
    curatedOutput(config.DAYBREAK_DATA_ROOT, 'feature-sync', runDate),
    'customer',
    '*.parquet',
  );
  return withDuckDB({ scratchDir: config.DAYBREAK_SCRATCH_DIR, threads: 1 }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT customer_id FROM read_parquet(${sqlString(glob)}) ORDER BY record_count DESC, customer_id LIMIT 1`,
    );
    const row = reader.getRowObjects()[0];
    return row ? String(row.customer_id) : undefined;
  }).catch(() => undefined);
}

export function upCommand(): Command {
  return new Command('up')
    .description(
      'the whole platform locally: sample data, Redis, dev server + Web UI, worker, feature API, and the daily DAG for a date',
    )
    .option('--date <YYYY-MM-DD>', 'logical date of the daily run', parseDateOption, today())
    .option('--pipelines <a,b>', 'run only these pipelines of the daily DAG', (v: string) =>
      v
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .option('--no-run', 'start the platform without running the daily DAG')
    .action(async (opts: UpOptions) => {
      const config = loadConfig();
      const [
        { WorkflowExecutionAlreadyStartedError },
        { startEmbedded, logDir },
        { openLogFile },
        { provision },
        { portIsFree, requireFreePort },
        { startLocalRedis },
        { freePort },
        { ensureSampleData },
        { ensureDevToken },
        { isGcsUri },
        { webUiRunUrl },
        { runSearchAttributes },
        { compileSchedule, narrowSchedule },
        { SCHEDULES },
        { loadCatalogueWarning },
        { watchDaily },
      ] = await Promise.all([
        import('@temporalio/client'),
        import('../../devstack/embedded.js'),
        import('../../devstack/log-file.js'),
        import('../../devstack/provision.js'),
        import('../../devstack/ports.js'),
        import('../../devstack/redis-server.js'),
        import('../../devstack/dev-server.js'),
        import('../../devstack/sample-data.js'),
        import('../../devstack/dev-token.js'),
        import('../../lib/storage/index.js'),
        import('../../lib/temporal.js'),
        import('../../lib/contracts/search-attributes.js'),
        import('../../schedules/compile.js'),
        import('../../schedules/definitions/index.js'),
        import('../catalogue.js'),
        import('../daily-watch.js'),
      ]);
      const logs = logDir(config);
      const upLog = openLogFile(path.join(logs, 'up.log'));
      const say = (line: string) => {
        upLog.write(line);
        process.stderr.write(`daybreak: ${line}\n`);
      };
      const runDate = opts.date;
      // Temporal's ports are where other `daybreak` commands connect: taken, they stop us here.
      const temporalPort = portOf(config.TEMPORAL_ADDRESS);
      const uiPort = defaultPort(config.TEMPORAL_UI_URL, 8233);
      await requireFreePort(temporalPort, 'the Temporal dev server', 'TEMPORAL_ADDRESS');
      if (!config.DAYBREAK_EMBEDDED_NO_UI)
        await requireFreePort(uiPort, 'the Temporal Web UI', 'TEMPORAL_UI_URL');

      const tools = await provision({
        tools: ['temporal', 'redis-server'],
        install: config.DAYBREAK_PROVISION,
        cacheDir: config.DAYBREAK_CACHE_DIR,
        temporalCli: config.TEMPORAL_CLI,
        log: say,
      });
      // The built-in pipelines and the SQL pipelines of DAYBREAK_PIPELINES_DIR (pipelines/'s examples).
      const { catalogue } = await loadCatalogueWarning(config);
      if (opts.run && !isGcsUri(config.DAYBREAK_DATA_ROOT)) {
        // The raw datasets the pipelines to run declare (curated ones are their upstreams' outputs).
        const reads = (opts.pipelines ?? catalogue.names()).flatMap((name) =>
          Object.values(catalogue.get(name).inputs).filter((d) => d.producer === undefined),
        );
        const datasets = reads.filter((d, i) => reads.findIndex((e) => e.name === d.name) === i);
        await ensureSampleData({ dataRoot: config.DAYBREAK_DATA_ROOT, runDate, datasets, log: say });
      }

      // Redis and the API serve only this process (and the printed curl): a taken port moves.
      const pickPort = async (wanted: number, what: string, variable: string) => {
        if (await portIsFree(wanted)) return wanted;
        const port = await freePort();
        say(`port ${wanted} (${variable}) is taken by another process: ${what} uses port ${port} instead`);
        return port;
      };
      const redisPort = await pickPort(defaultPort(config.REDIS_URL, 6379), 'Redis', 'REDIS_URL');
      const redis = await startLocalRedis({
        binary: tools['redis-server'],
        port: redisPort,
        dir: path.resolve(config.DAYBREAK_STATE_DIR, 'redis'),
        logFile: path.join(logs, 'redis.log'),
        detached: true,
      });
      // A detached child outlives its parent: whatever way this process ends, they end too.
      const children: { kill(): void }[] = [redis];
      process.on('exit', () => children.forEach((c) => c.kill()));

      let embedded: Awaited<ReturnType<typeof startEmbedded>>;
      try {
        embedded = await startEmbedded({
          config: { ...config, REDIS_URL: redis.url },
          temporalCli: tools.temporal,
          persistent: true,
          port: temporalPort,
          uiPort,
          detached: true,
          shutdownGraceTime: SHUTDOWN_GRACE,
          shutdownForceTime: SHUTDOWN_FORCE,
        });
      } catch (err) {
        await redis.stop();
        throw err;
      }
      const server = embedded.server;
      children.push({ kill: () => server.process.exitCode === null && server.process.kill('SIGKILL') });

      const [{ createApiServer }, { loadTokens }] = await Promise.all([
        import('../../api/server.js'),
        import('../../api/tokens.js'),
      ]);
      const configured = Boolean(config.DAYBREAK_API_TOKENS || config.DAYBREAK_API_TOKENS_FILE);
      const devToken = configured ? undefined : ensureDevToken(path.resolve(config.DAYBREAK_STATE_DIR));
      const { app } = createApiServer({
        redisUrl: redis.url,
        tokens: devToken ? [devToken.token] : loadTokens(config),
        onUnavailable: (err) => upLog.write(`feature API answering 503: ${err.stack ?? err.message}`),
      });
      const apiPort = await pickPort(config.API_PORT, 'the feature API', 'API_PORT');
      await app.listen({ host: config.API_HOST, port: apiPort });
      const apiUrl = `http://${config.API_HOST}:${apiPort}`;

      const abandon = new AbortController();
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        say(`${signal}: stopping; running activities are cancelled and resume at the next start`);
        setTimeout(() => {
          say(`not stopped within ${STOP_DEADLINE_MS / 1000} s: killing what is left (see ${logs})`);
          process.exit(1);
        }, STOP_DEADLINE_MS).unref();
        abandon.abort();
        // The worker stops first (its activities are cancelled), then the servers it used.
        await Promise.all([app.close(), embedded.stop(1_000).then(() => redis.stop())]);
        say('stopped');
        upLog.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      // Our own server gone (killed, crashed) is the end: nothing would answer the worker or the CLI.
      server.process.once('exit', (code, signal) => {
        if (stopping) return;
        say(`the Temporal dev server exited (${signal ?? `code ${code}`}); see ${logs}/temporal-server.log`);
        process.exit(1);
      });

      const { config: live } = embedded;
      say(`Temporal dev server on ${server.address} (runs kept in ${config.DAYBREAK_STATE_DIR}/temporal.db)`);
      say(`Web UI: ${live.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
      say(`Redis on ${redis.url} (data in ${config.DAYBREAK_STATE_DIR}/redis)`);
      say(`feature API on ${apiUrl}`);
      if (devToken?.created)
        say(`feature API development token (kept in ${devToken.file}; shown only now): ${devToken.token}`);
      say(`worker polling task queue ${config.DAYBREAK_TASK_QUEUE}; data root ${config.DAYBREAK_DATA_ROOT}`);
      say(`logs in ${logs}`);

      if (opts.run) {
        const def = SCHEDULES.find((s) => s.name === DAILY_PIPELINE)!;
        const compiled = compileSchedule(narrowSchedule(def, opts.pipelines), {
          config: live,
          pipelines: catalogue.pipelines,
        });
        const input = { ...compiled.options.action.args![0]!, runDate, rerun: 'failed' as const };
        const workflowId = runWorkflowId(DAILY_PIPELINE, runDate);
        let handle;
        try {
          handle = await embedded.client.workflow.start(DAILY_PIPELINE, {
            taskQueue: config.DAYBREAK_TASK_QUEUE,
            workflowId,
            args: [input],
            memo: compiled.options.action.memo,
            typedSearchAttributes: runSearchAttributes(DAILY_PIPELINE, runDate),
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          });
          say(`started ${workflowId}: ${webUiRunUrl(live, workflowId, handle.firstExecutionRunId)}`);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          handle = embedded.client.workflow.getHandle(workflowId);
          say(`${workflowId} is already running (from an earlier start): following it`);
        }
        const branches = input.branches.map((b) => ({
          pipeline: b.pipeline,
          inputs: b.inputs.map((i) => sensorInput(i).uri.replaceAll('{date}', runDate)),
        }));
        void watchDaily({ client: embedded.client, handle, runDate, branches, say, signal: abandon.signal })
          .then(async (result) => {
            const sync = result?.outcomes.find((o) => o.pipeline === 'feature-sync');
            if (!sync || (sync.status !== 'completed' && sync.status !== 'up-to-date')) return;
            const id = await sampleCustomerId(config, runDate);
            if (!id) return;
            const url = `${apiUrl}/v1/${encodeURIComponent(id)}/customer`;
            const tokenArg = devToken ? `$(cat ${devToken.file})` : '<your token>';
            say(`read a customer's features: curl -H "Authorization: Bearer ${tokenArg}" ${url}`);
          })
          .catch((err: unknown) => {
            if (abandon.signal.aborted) return;
            upLog.write(
              `following ${workflowId} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
            );
            say(
              `lost track of ${workflowId}: ${err instanceof Error ? err.message : String(err)} (see ${upLog.file})`,
            );
          });
      }
      say('running; press Ctrl-C to stop');
      await new Promise(() => undefined);
    });
}

// `daybreak up` (what `npm start` runs): embedded dev server with Web UI and a SQLite file under
// the state folder, an in-process worker, sample data when the data root is empty, and one
// session-ranking run. Ctrl-C stops everything.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { rawDataset } from '../../lib/paths.js';
import { today } from '../params.js';

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

export function upCommand(): Command {
  return new Command('up')
    .description('start Daybreak on its embedded defaults: dev server + Web UI, worker, sample data, one run')
    .option('--no-sample-run', 'do not start the sample session-ranking run')
    .action(async (opts: { sampleRun: boolean }) => {
      const config = loadConfig();
      const log = (line: string) => process.stderr.write(`daybreak: ${line}\n`);
      const [
        { WorkflowExecutionAlreadyStartedError },
        { generateSessionRanking },
        { startEmbedded },
        { resolveDataset, isGcsUri },
        { describeRunFailure, waitForRun },
        { startRun },
        { webUiRunUrl },
      ] = await Promise.all([
        import('@temporalio/client'),
        import('../../datagen/session-ranking.js'),
        import('../../devstack/embedded.js'),
        import('../../lib/storage/index.js'),
        import('../../lib/runs.js'),
        import('../../pipelines/runs.js'),
        import('../../lib/temporal.js'),
      ]);
      const embedded = await startEmbedded({
        config,
        persistent: true,
        port: portOf(config.TEMPORAL_ADDRESS),
        uiPort: Number(new URL(config.TEMPORAL_UI_URL).port || 8233),
        log,
      });
      const abandonWaits = new AbortController();
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log('stopping worker and dev server...');
        abandonWaits.abort();
        await embedded.stop();
        log('stopped');
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      log(
        `Temporal dev server on ${embedded.server.address} (state in ${config.DAYBREAK_STATE_DIR}/temporal.db)`,
      );
      log(`Web UI: ${embedded.config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
      log(`worker polling task queue ${config.DAYBREAK_TASK_QUEUE}; data root ${config.DAYBREAK_DATA_ROOT}`);

      if (opts.sampleRun) {
        const activity = rawDataset(config.DAYBREAK_DATA_ROOT, 'user_activity');
        if (!isGcsUri(activity) && (await resolveDataset(activity)).length === 0) {
          log('data root is empty: generating sample session-ranking data (200,000 sessions, 20,000 users)');
          await generateSessionRanking({
            rows: 200_000,
            users: 20_000,
            seed: 1,
            out: rawDataset(config.DAYBREAK_DATA_ROOT, ''),
          });
        }
        const runDate = today();
        try {
          const handle = await startRun({
            client: embedded.client,
            config: embedded.config,
            pipeline: 'session-ranking',
            runDate,
          });
          log(
            `started ${handle.workflowId}: ${webUiRunUrl(embedded.config, handle.workflowId, handle.firstExecutionRunId)}`,
          );
          waitForRun(handle, undefined, abandonWaits.signal)
            .then(() =>
              log(
                `${handle.workflowId} completed; output in ${config.DAYBREAK_DATA_ROOT}/curated/session-ranking/dt=${runDate}`,
              ),
            )
            .catch((err) => {
              if (!abandonWaits.signal.aborted)
                log(`${handle.workflowId} failed: ${describeRunFailure(err)}`);
            });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          log(`${runWorkflowId('session-ranking', runDate)} is already running`);
        }
      }
      log('running; press Ctrl-C to stop');
      await new Promise(() => undefined);
    });
}

// A reader that keeps checking an output while runs write it and faults strike: whatever manifest
// `_SUCCESS` is at any moment must verify (every listed file present, its size, SHA-256 and Parquet
// rows as listed), and once published an output never goes without one. A check that raced a commit (the manifest changed while its files were being
// read) proves nothing and is not counted; storage that is down (an emulator restart) is skipped.
import { verifyOutput } from '../../lib/storage/verify.js';
import { readManifest } from '../../lib/storage/manifest.js';

export interface OutputWatch {
  /** Stops watching; returns the checks made and every violation seen. */
  stop(): Promise<{ checks: number; runsSeen: string[]; violations: string[] }>;
}

export function watchOutput(prefix: string, scratchDir: string, intervalMs = 100): OutputWatch {
  let running = true;
  let checks = 0;
  const runsSeen = new Set<string>();
  const violations: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const before = await readManifest(prefix);
        if (!before && runsSeen.size > 0) {
          checks++;
          violations.push(`${prefix}: the published manifest is gone`);
        }
        if (before) {
          const { problems } = await verifyOutput(prefix, scratchDir);
          const after = await readManifest(prefix);
          if (after?.run?.runId === before.run?.runId && after?.createdAt === before.createdAt) {
            checks++;
            runsSeen.add(before.run?.runId ?? '?');
            violations.push(...problems.map((p) => `manifest of run ${before.run?.runId}: ${p}`));
          }
        }
      } catch {
        // storage unreachable (a restart under way): nothing to check now
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { checks, runsSeen: [...runsSeen], violations };
    },
  };
}

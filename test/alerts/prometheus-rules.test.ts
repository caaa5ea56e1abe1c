// The Prometheus alert rules pass `promtool check rules` and their unit tests (`promtool test
// rules`), and a broken expectation makes promtool fail (the test can fail).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, inject, test } from 'vitest';
import { tempDir } from '../helpers/temporal.js';

const run = promisify(execFile);
const PROMTOOL = inject('tools').promtool;
const DIR = path.resolve('alerts/prometheus');

test('promtool check rules accepts every rule file', async () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.rules.yml'));
  expect(files.length).toBeGreaterThan(0);
  const { stdout } = await run(PROMTOOL, ['check', 'rules', ...files], { cwd: DIR });
  expect(stdout).toContain('SUCCESS: 7 rules found');
});

test('promtool test rules passes the rule unit tests', async () => {
  const { stdout } = await run(PROMTOOL, ['test', 'rules', 'daybreak.rules.test.yml'], { cwd: DIR });
  expect(stdout).toContain('SUCCESS');
});

test('a wrong expectation fails promtool (the unit tests have teeth)', async () => {
  const dir = tempDir('promtool');
  fs.copyFileSync(path.join(DIR, 'daybreak.rules.yml'), path.join(dir, 'daybreak.rules.yml'));
  const broken = fs
    .readFileSync(path.join(DIR, 'daybreak.rules.test.yml'), 'utf8')
    .replace(
      "pipeline: session-ranking }\n            exp_annotations:\n              summary: 'Pipeline session-ranking has not",
      "pipeline: identity-join }\n            exp_annotations:\n              summary: 'Pipeline session-ranking has not",
    );
  fs.writeFileSync(path.join(dir, 'broken.test.yml'), broken);
  const failure = (await run(PROMTOOL, ['test', 'rules', 'broken.test.yml'], { cwd: dir }).then(
    () => undefined,
    (err: { stdout: string; stderr: string }) => err,
  ))!;
  expect(failure, 'promtool should have failed').toBeDefined();
  expect(`${failure.stdout}${failure.stderr}`).toMatch(/FAILED[\s\S]*DaybreakPipelineStale/);
});

// Training beside the shipped versions: a Fellegi-Sunter model fitted by EM (no labels) and a
// logistic model fitted on labelled pairs, both on one generated set of 30k records, are evaluated with the
// shipped v1 and v2 on a HELD-OUT generated set (another seed). The figures go to the log.
// Then the CLI registers a trained version.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import { evaluateIdentityModels, trainIdentityModel } from '../../../activities/model-scoring/offline.js';
import type { Config } from '../../../lib/config.js';
import type { ModelEvaluation } from '../../../lib/identity/engine.js';
import type { IdentityModel } from '../../../lib/identity/model.js';
import { listVersions, loadModel } from '../../../lib/identity/registry.js';
import { testConfig, tempDir } from '../../helpers/temporal.js';

const run = promisify(execFile);
let dir: string;
let config: Config;
let train: { records: string; labels: string };
let heldOut: { records: string; labels: string };

beforeAll(async () => {
  dir = tempDir('ms-train');
  const models = path.join(dir, 'models');
  fs.mkdirSync(models);
  for (const v of ['v1', 'v2'])
    fs.copyFileSync(path.resolve('models/identity', `${v}.json`), path.join(models, `${v}.json`));
  config = testConfig({ DAYBREAK_MODELS_DIR: models, DAYBREAK_DUCKDB_THREADS: '2' });
  // u by random sampling and m by EM sessions (Splink's way) need no large sample: 30k records.
  const a = await generateCustomers({ records: 30_000, seed: 21, out: path.join(dir, 'train') });
  const b = await generateCustomers({ records: 20_000, seed: 22, out: path.join(dir, 'heldout') });
  train = { records: a.recordsDir, labels: a.labelsDir };
  heldOut = { records: b.recordsDir, labels: b.labelsDir };
});

const line = (e: ModelEvaluation, name: string) =>
  `${name.padEnd(22)} threshold ${e.threshold.toFixed(4)}  blocking recall ${e.pairwise.blockingRecall.toFixed(4)}  P ${e.pairwise.precision.toFixed(4)}  R ${e.pairwise.recall.toFixed(4)}  F1 ${e.pairwise.f1.toFixed(4)}  cluster F1 ${e.clusters.f1.toFixed(4)}`;

test('trained models against the shipped versions on a held-out set', async () => {
  const fsModel = {
    version: 'v98',
    ...(await trainIdentityModel(config, {
      ...train,
      labels: undefined,
      kind: 'fellegi-sunter',
      register: false,
    })),
  } as IdentityModel;
  const lrModel = {
    version: 'v99',
    ...(await trainIdentityModel(config, { ...train, kind: 'logistic', register: false })),
  } as IdentityModel;
  const shipped = [
    await loadModel(config.DAYBREAK_MODELS_DIR, 'v1'),
    await loadModel(config.DAYBREAK_MODELS_DIR, 'v2'),
  ];
  const [v1, v2, fsNew, lrNew] = await evaluateIdentityModels(config, heldOut, [
    ...shipped,
    fsModel,
    lrModel,
  ]);
  console.log(
    [
      'held-out 20k records (seed 22), each model with its own blocking rules:',
      line(v1!, 'shipped v1 (FS)'),
      line(fsNew!, 'trained FS (EM, 30k)'),
      line(v2!, 'shipped v2 (logistic)'),
      line(lrNew!, 'trained logistic (30k)'),
    ].join('\n'),
  );
  // "Equals" allows 0.002 of F1: the shipped version was fitted on another sample of the same
  // generator, so either may win by sampling noise at this size.
  expect(lrNew!.pairwise.f1).toBeGreaterThanOrEqual(v2!.pairwise.f1 - 0.002);
  // The EM model is trained for data the generator did not make (u from random pairs, its own
  // blocking): on this generator's households (relatives sharing home, landline and surname)
  // it stays below v1, whose EM was fitted on this generator's candidate pairs. Its bar here is
  // the bar for a world it was not built for, and it must find more true pairs.
  expect(fsNew!.pairwise.f1).toBeGreaterThanOrEqual(0.97);
  expect(fsNew!.clusters.f1).toBeGreaterThanOrEqual(0.95);
  expect(fsNew!.pairwise.blockingRecall).toBeGreaterThan(v1!.pairwise.blockingRecall);
  expect(v1!.pairwise.f1).toBeGreaterThanOrEqual(0.9);
  for (const e of [v2!, lrNew!]) expect(e.pairwise.f1).toBeGreaterThanOrEqual(0.95);
}, 600_000);

test('daybreak models train registers the next version; an unknown version is one clear line', async () => {
  const env = {
    ...process.env,
    DAYBREAK_MODELS_DIR: config.DAYBREAK_MODELS_DIR,
    DAYBREAK_SCRATCH_DIR: config.DAYBREAK_SCRATCH_DIR,
  };
  const cli = (...args: string[]) => run(process.execPath, ['bin/daybreak.js', ...args], { env });
  await cli('models', 'train', '--kind', 'logistic', '--records', train.records, '--labels', train.labels);
  expect(await listVersions(config.DAYBREAK_MODELS_DIR)).toEqual(['v1', 'v2', 'v3']);
  const v3 = await loadModel(config.DAYBREAK_MODELS_DIR, 'v3');
  expect(v3.kind).toBe('logistic');
  expect(v3.training).toMatchObject({ method: 'newton-l2', records: train.records });
  const missing = await cli('models', 'show', 'v7').then(
    () => undefined,
    (e: { stderr: string; code: number }) => e,
  );
  expect(missing?.code).toBe(2);
  expect(missing?.stderr).toMatch(/unknown model version v7 .*known: v1, v2, v3/);
}, 600_000);

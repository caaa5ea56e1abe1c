// Lint rules: typescript-eslint's recommended set, plus two house rules: only lib/config.ts reads
// the environment, and a lower layer never imports a higher one (LAYERS below).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, lowest first: what each top-level folder may import from the others (its own folder
 * always). `types` may also be imported as types only (`import type`), which the compiler erases:
 * a workflow names its activities' and parameters' types, never their code.
 */
const LAYERS = {
  'lib/contracts': { values: [] }, // workflow-safe contracts: nothing but @temporalio/common|workflow
  lib: { values: [] },
  datagen: { values: ['lib'] },
  alerts: { values: ['lib'] },
  activities: { values: ['lib', 'alerts'], types: ['pipelines'] },
  workflows: { values: ['lib/contracts', 'lib/errors.js'], types: ['lib', 'activities', 'pipelines'] },
  // The catalogue names each pipeline's workflow and (lazily, for workers) its activities.
  pipelines: { values: ['lib', 'alerts', 'activities', 'workflows'] },
  schedules: { values: ['lib', 'alerts', 'pipelines'], types: ['workflows'] },
  api: { values: ['lib'] },
  workers: { values: ['lib', 'alerts', 'activities', 'pipelines', 'workflows'] },
  devstack: { values: ['lib', 'datagen', 'workers'] },
  cli: {
    values: [
      'lib',
      'datagen',
      'alerts',
      'activities',
      'pipelines',
      'schedules',
      'api',
      'workers',
      'devstack',
    ],
    types: ['workflows'],
  },
};
const TOP_LEVEL = [
  'lib',
  'datagen',
  'alerts',
  'activities',
  'workflows',
  'pipelines',
  'schedules',
  'api',
  'workers',
  'devstack',
  'cli',
  'bench',
  'test',
];

/** no-restricted-imports patterns for a file of `layer` that sits `depth` folders below the root. */
function layerPatterns(layer, depth) {
  const { values, types = [] } = LAYERS[layer];
  const allowed = [...values, ...types.map((t) => `types of ${t}`)];
  const message = `layer rule (eslint.config.js): ${layer} may import ${allowed.join(', ') || 'nothing outside itself'}`;
  // The contracts reach nothing outside their folder.
  if (layer === 'lib/contracts') return [{ group: ['../*', '../**'], message }];
  const up = '../'.repeat(depth);
  const patterns = [];
  for (const top of TOP_LEVEL) {
    if (top === layer || values.includes(top)) continue;
    // Part of lib may be allowed (workflows: the contracts and the error types).
    const parts = values.filter((v) => v.startsWith(`${top}/`)).map((v) => `!${up}${v}`);
    const group = [`${up}${top}/**`, ...parts, ...parts.map((p) => `${p}/**`)];
    patterns.push({ group, message, allowTypeImports: types.includes(top) });
  }
  return patterns;
}

/** The same rule for `await import(...)` (which no-restricted-imports does not see): whole folders only. */
function dynamicImportRule(layer, depth) {
  const { values } = LAYERS[layer];
  const banned = TOP_LEVEL.filter(
    (top) => top !== layer && !values.includes(top) && layer !== 'lib/contracts',
  );
  if (!banned.length) return undefined;
  // esquery regex: `.` stands for the slashes.
  const selector = `ImportExpression[source.value=/^(\\.\\..){${depth}}(${banned.join('|')}).+/]`;
  return { selector, message: `layer rule (eslint.config.js): ${layer} may not import ${banned.join(', ')}` };
}

const layerRules = Object.keys(LAYERS).flatMap((layer) => {
  const base = layer.split('/').length; // files directly in the layer's folder
  return [0, 1, 2, 3].map((nested) => {
    const dynamic = dynamicImportRule(layer, base + nested);
    return {
      files: [`${layer}/${'*/'.repeat(nested)}*.ts`],
      ...(layer === 'lib' ? { ignores: ['lib/contracts/**'] } : {}),
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          { patterns: layerPatterns(layer, base + nested) },
        ],
        ...(dynamic ? { 'no-restricted-syntax': ['error', dynamic] } : {}),
      },
    };
  });
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.daybreak/**', 'bench/results/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through lib/config.ts only.' },
      ],
    },
  },
  {
    files: ['lib/config.ts', 'test/**', 'bench/**', 'bin/**', 'eslint.config.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...layerRules,
);

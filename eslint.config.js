// Lint rules: typescript-eslint's recommended set, plus the house rule that only lib/config.ts
// reads the environment.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);

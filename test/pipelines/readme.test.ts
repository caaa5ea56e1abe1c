// The README's catalogue table is the one `daybreak pipelines list --markdown` prints (with the
// example SQL pipelines of pipelines/).
import fs from 'node:fs';
import { expect, test } from 'vitest';
import { catalogueMarkdown } from '../../cli/commands/pipelines.js';
import { loadConfig } from '../../lib/config.js';
import { loadCatalogue } from '../../pipelines/sql.js';

test('the README shows the catalogue as the definitions declare it (the SQL files of pipelines/ too)', async () => {
  const { catalogue, errors } = await loadCatalogue(loadConfig({}));
  expect(errors).toEqual([]);
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = /<!-- catalogue:begin[^>]*-->\n([\s\S]*?)\n<!-- catalogue:end -->/.exec(readme)?.[1];
  expect(table, 'the catalogue markers in README.md').toBeDefined();
  expect(table).toBe(catalogueMarkdown(catalogue));
});

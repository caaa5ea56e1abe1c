// Turns fitted parameters into a registrable model (everything but the version number).
import { fitFellegiSunter, fitLogistic, type Pattern } from './fit.js';
import type { IdentityModel, ModelKind } from './model.js';

export type NewModel = Omit<IdentityModel, 'version'>;

export function trainFromPatterns(
  kind: ModelKind,
  patterns: Pattern[],
  meta: { description?: string; data?: Record<string, unknown>; created?: string },
): NewModel {
  const pairs = patterns.reduce((s, p) => s + p.count, 0);
  const created = meta.created ?? new Date().toISOString();
  if (kind === 'fellegi-sunter') {
    const fit = fitFellegiSunter(patterns);
    return {
      kind,
      created,
      threshold: fit.threshold,
      description: meta.description ?? 'Fellegi-Sunter, m/u by EM on unlabelled candidate pairs',
      training: { method: 'em', iterations: fit.iterations, pairs, patterns: patterns.length, ...meta.data },
      parameters: fit.parameters,
    } as NewModel;
  }
  const fit = fitLogistic(patterns);
  return {
    kind,
    created,
    threshold: fit.threshold,
    description:
      meta.description ?? 'Logistic regression over comparison levels, Newton-Raphson on labelled pairs',
    training: {
      method: 'newton-l2',
      iterations: fit.iterations,
      pairs,
      patterns: patterns.length,
      ...meta.data,
    },
    parameters: fit.parameters,
  } as NewModel;
}

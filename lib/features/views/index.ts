// The registry of feature views: the pipeline computes and syncs them, the API serves them.
import type { FeatureView } from '../types.js';
import { addressView } from './address.js';
import { customerView } from './customer.js';

export const FEATURE_VIEWS: Record<string, FeatureView> = {
  [customerView.name]: customerView,
  [addressView.name]: addressView,
};

export function featureView(name: string): FeatureView | undefined {
  return Object.hasOwn(FEATURE_VIEWS, name) ? FEATURE_VIEWS[name] : undefined;
}

// Failure types shared by activities and workflows. A bad-input failure is non-retryable: retrying
// a missing column ten times only delays the alert.
import { ApplicationFailure } from '@temporalio/common';

/** Error type names, used in retry policies, alerts (error class) and metrics labels. */
export const ErrorType = {
  BadInput: 'BadInput',
  MissingInput: 'MissingInput',
  PermissionDenied: 'PermissionDenied',
  /** A sensor's input was not published by its deadline (names the dataset and the date). */
  InputMissing: 'InputMissing',
  WorkerLost: 'WorkerLost',
  /** Another run published newer output meanwhile (e.g. two syncs of one feature view at once). */
  Superseded: 'Superseded',
  /** Another running run holds the output prefix, or reads from it (lib/storage/publish.ts). */
  OutputBusy: 'OutputBusy',
  /** The output prefix holds files but no Daybreak manifest: they are not Daybreak's to replace. */
  OutputNotEmpty: 'OutputNotEmpty',
  /** A file the run staged changed or vanished before commit, or the run lost the output's lock. */
  OutputChanged: 'OutputChanged',
  /** Redis stayed unreachable (or loading) longer than a feature sync waits (DAYBREAK_REDIS_WAIT_SECONDS). */
  RedisUnavailable: 'RedisUnavailable',
  /** A run planned by an earlier release that this release cannot continue (the plan's shape changed). */
  IncompatiblePlan: 'IncompatiblePlan',
  /** A pipeline's SQL tried to read, write or configure something its sandbox does not allow. */
  SandboxViolation: 'SandboxViolation',
  /** A data-quality check on a staged output failed; the output was not published. */
  DataQuality: 'DataQuality',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Types that no retry can fix. Workflows list them in `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorType.BadInput,
  ErrorType.MissingInput,
  ErrorType.InputMissing,
  ErrorType.PermissionDenied,
  ErrorType.Superseded,
  ErrorType.OutputBusy,
  ErrorType.OutputNotEmpty,
  ErrorType.OutputChanged,
  ErrorType.RedisUnavailable,
  ErrorType.IncompatiblePlan,
  ErrorType.SandboxViolation,
  ErrorType.DataQuality,
];

/** Bad input (missing column, wrong type, unreadable file): the message names the file and column. */
export function badInput(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.BadInput,
    message,
    nonRetryable: true,
    details: details === undefined ? undefined : [details],
  });
}

export function missingInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorType.MissingInput, message, nonRetryable: true });
}

export function permissionDenied(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorType.PermissionDenied, message, nonRetryable: true });
}

export function superseded(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorType.Superseded, message, nonRetryable: true });
}

/** A failure of the publish protocol (OutputBusy, OutputNotEmpty, OutputChanged): never retried. */
export function outputFailure(
  type: typeof ErrorType.OutputBusy | typeof ErrorType.OutputNotEmpty | typeof ErrorType.OutputChanged,
  message: string,
): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function sandboxViolation(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ErrorType.SandboxViolation, message, nonRetryable: true });
}

/** `details` carries every check result (the alert and `run --json` show them). */
export function dataQuality(message: string, details: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.DataQuality,
    message,
    nonRetryable: true,
    details: [details],
  });
}

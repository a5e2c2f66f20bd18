/**
 * Collection as the library offers it: the collect layer's functions, which
 * know probes and never rule names, plus the host's `enabledRules` turned
 * into probes to skip with the rules' own declarations (probesToSkip). Only
 * the entry point may join the two halves; this is that join, kept thin.
 */
import {
  collect as collectProbes,
  type CollectSettings as ProbeCollectSettings,
  type ProgressEvent,
} from './collect/collect.js';
import {
  collectMany as collectManyProbes,
  type CollectManySettings as ProbeCollectManySettings,
} from './collect/collect-many.js';
import { withProbesSkipped } from './collect/smtp/transactions.js';
import type { CheckOptions } from './config/options.js';
import type { Observation, TransactionKind } from './model/observation.js';
import { probesToSkip } from './rules/index.js';

export type { ProgressEvent };

/** What the host says about its rules: a rule mapped to false means the probes only it needs are not sent. */
export interface EnabledRulesSetting {
  enabledRules?: Record<string, boolean>;
}

export type CollectSettings = ProbeCollectSettings & EnabledRulesSetting;
export type CollectManySettings = ProbeCollectManySettings & EnabledRulesSetting;

/** `settings` without `enabledRules`, its disabled rules' probes added to `skipProbes`. */
function translated<T extends { skipProbes?: readonly TransactionKind[] }>(
  settings: T & EnabledRulesSetting,
): Omit<T, 'enabledRules'> {
  const { enabledRules, ...rest } = settings;
  const skip = probesToSkip(enabledRules);
  if (skip.length === 0) return rest;
  return { ...rest, skipProbes: [...new Set([...(rest.skipProbes ?? []), ...skip])] };
}

/**
 * Collect everything about `rawOptions.domain` (see collect/collect.ts).
 * Throws OptionError for bad options before any connection.
 */
export function collect(rawOptions: Record<string, unknown>, settings: CollectSettings = {}): Promise<Observation> {
  return collectProbes(rawOptions, translated(settings));
}

/** Collect every domain of `domains`, sharing DNS answers and SMTP sessions (see collect/collect-many.ts). */
export function collectMany(domains: string[], settings: CollectManySettings = {}): Promise<Observation[]> {
  return collectManyProbes(domains, translated(settings));
}

/** `options` with the probes only disabled rules need switched off, as collect() does with `enabledRules`. */
export function applyEnabledRules(options: CheckOptions, enabledRules?: Record<string, boolean>): CheckOptions {
  return withProbesSkipped(options, probesToSkip(enabledRules));
}

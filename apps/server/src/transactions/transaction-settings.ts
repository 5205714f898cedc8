import { CheckbackDestinationPolicy } from 'postbox';

/**
 * Timings of the service's background work for transactional messaging.
 * Defaults suit production; the lead may expose them in config.ts as
 * POSTBOX_CHECKBACK_* / POSTBOX_*_RETENTION_MS.
 */
export interface TransactionSettings {
  /** How often the check-back runner looks for due checks while none are due. */
  checkbackPollIntervalMs: number;
  /** A check-back HTTP call that takes longer failed (and is retried). */
  checkTimeoutMs: number;
  /**
   * Where a checkbackUrl may point besides public addresses:
   * POSTBOX_CHECKBACK_ALLOW, comma-separated host names, IPs and CIDRs
   * (e.g. "orders.internal,10.1.0.0/16"). Loopback, private, link-local
   * (cloud metadata) and other non-public addresses are refused otherwise.
   */
  checkbackAllow: CheckbackDestinationPolicy;
  /** How often inbox rows and resolved transactions past their retention are deleted. */
  maintenanceIntervalMs: number;
  inboxRetentionMs: number;
  transactionRetentionMs: number;
}

export const TRANSACTION_SETTINGS = Symbol('TRANSACTION_SETTINGS');

export const DEFAULT_TRANSACTION_SETTINGS: TransactionSettings = {
  checkbackPollIntervalMs: 1_000,
  checkTimeoutMs: 10_000,
  checkbackAllow: new CheckbackDestinationPolicy(),
  maintenanceIntervalMs: 10 * 60_000,
  inboxRetentionMs: 7 * 24 * 3600 * 1000,
  transactionRetentionMs: 7 * 24 * 3600 * 1000,
};

/** The settings with what the environment says (a malformed POSTBOX_CHECKBACK_ALLOW stops the start, naming the entry). */
export function transactionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TransactionSettings {
  return {
    ...DEFAULT_TRANSACTION_SETTINGS,
    checkbackAllow: new CheckbackDestinationPolicy(env.POSTBOX_CHECKBACK_ALLOW ?? ''),
  };
}

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
  /** How often inbox rows and resolved transactions past their retention are deleted. */
  maintenanceIntervalMs: number;
  inboxRetentionMs: number;
  transactionRetentionMs: number;
}

export const TRANSACTION_SETTINGS = Symbol('TRANSACTION_SETTINGS');

export const DEFAULT_TRANSACTION_SETTINGS: TransactionSettings = {
  checkbackPollIntervalMs: 1_000,
  checkTimeoutMs: 10_000,
  maintenanceIntervalMs: 10 * 60_000,
  inboxRetentionMs: 7 * 24 * 3600 * 1000,
  transactionRetentionMs: 7 * 24 * 3600 * 1000,
};

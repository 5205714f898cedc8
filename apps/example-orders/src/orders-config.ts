/** The example's settings, from the environment (all optional). */
export interface OrdersConfig {
  databaseUrl: string;
  port: number;
  /** Payments above this are declined (retried, then dead-lettered). Default 100000 (1000.00). */
  paymentLimitCents: number;
  /** Simulated payment-gateway latency per payment. Default 100 ms. */
  paymentLatencyMs: number;
  /** Lease of the example's queues: how soon a message held by a killed process is delivered again. Default 10000. */
  leaseMs: number;
}

export const ORDERS_CONFIG = 'ORDERS_CONFIG';

export const DEFAULT_PORT = 3100;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function ordersConfigFromEnv(databaseUrl: string): OrdersConfig {
  return {
    databaseUrl,
    port: intFromEnv('PORT', DEFAULT_PORT),
    paymentLimitCents: intFromEnv('PAYMENT_LIMIT_CENTS', 100_000),
    paymentLatencyMs: intFromEnv('PAYMENT_LATENCY_MS', 100),
    leaseMs: intFromEnv('LEASE_MS', 10_000),
  };
}

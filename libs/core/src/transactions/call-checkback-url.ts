import type { TransactionInfo } from './transaction';

/** A producer's answer to "what happened to this transaction?". */
export type CheckAnswer = 'commit' | 'rollback' | 'unknown';

const ANSWERS: readonly string[] = ['commit', 'rollback', 'unknown'];

export function isCheckAnswer(value: unknown): value is CheckAnswer {
  return typeof value === 'string' && ANSWERS.includes(value);
}

/**
 * Asks the producer over HTTP: POST `{transactionId, queue|topic, headers,
 * check}` to its checkbackUrl, expecting 2xx `{"status": "commit" | "rollback"
 * | "unknown"}`. Anything else (non-2xx, another body, a network error, no
 * answer within timeoutMs) throws, and the runner retries with backoff.
 */
export async function callCheckbackUrl(
  url: string,
  transaction: TransactionInfo,
  timeoutMs: number,
): Promise<CheckAnswer> {
  const payload = {
    transactionId: transaction.transactionId,
    ...(transaction.queue !== undefined ? { queue: transaction.queue } : { topic: transaction.topic }),
    headers: transaction.message.headers ?? {},
    check: transaction.checks,
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`check-back ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  let status: unknown;
  try {
    status = (JSON.parse(text) as { status?: unknown }).status;
  } catch {
    throw new Error(`check-back ${url} answered a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!isCheckAnswer(status)) {
    throw new Error(`check-back ${url} answered status ${JSON.stringify(status)}, not commit, rollback or unknown`);
  }
  return status;
}

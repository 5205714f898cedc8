import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { bareHost, CheckbackDestinationPolicy, CheckbackRefusedError } from './checkback-destination';
import type { TransactionInfo } from './transaction';

/** A producer's answer to "what happened to this transaction?". */
export type CheckAnswer = 'commit' | 'rollback' | 'unknown';

const ANSWERS: readonly string[] = ['commit', 'rollback', 'unknown'];

/** A check-back answer is `{"status": …}`; more than this is not one (and is not read further). */
const MAX_ANSWER_BYTES = 64 * 1024;

export function isCheckAnswer(value: unknown): value is CheckAnswer {
  return typeof value === 'string' && ANSWERS.includes(value);
}

/**
 * A failed check-back, with a message fit for `lastError` (shown over REST
 * to whoever may read the transaction): a status and a short reason only.
 * Never the answer's body, never a stack: the check-back URL may point at
 * something the caller could not read otherwise.
 */
export class CheckbackCallError extends Error {
  override name = 'CheckbackCallError';
}

/**
 * Asks the producer over HTTP: POST `{transactionId, queue|topic, headers,
 * check}` to its checkbackUrl, expecting 2xx `{"status": "commit" | "rollback"
 * | "unknown"}`. Anything else (non-2xx, another body, a network error, no
 * answer within timeoutMs) throws a CheckbackCallError, and the runner retries
 * with backoff. The destination must pass `policy` (checkback-destination.ts)
 * on the address the socket connects to; redirects are not followed.
 */
export async function callCheckbackUrl(
  url: string,
  transaction: TransactionInfo,
  timeoutMs: number,
  policy: CheckbackDestinationPolicy = new CheckbackDestinationPolicy(),
): Promise<CheckAnswer> {
  const target = new URL(url);
  const refused = policy.literalRefusal(target);
  if (refused) throw new CheckbackCallError(`refused: ${refused}`);
  const payload = JSON.stringify({
    transactionId: transaction.transactionId,
    ...(transaction.queue !== undefined ? { queue: transaction.queue } : { topic: transaction.topic }),
    headers: transaction.message.headers ?? {},
    check: transaction.checks,
  });
  const { status, text } = await post(target, payload, timeoutMs, policy);
  if (status < 200 || status > 299) throw new CheckbackCallError(`HTTP ${status}`);
  let answer: unknown;
  try {
    answer = (JSON.parse(text) as { status?: unknown }).status;
  } catch {
    throw new CheckbackCallError(`HTTP ${status}: the answer is not JSON`);
  }
  if (!isCheckAnswer(answer)) {
    throw new CheckbackCallError(`HTTP ${status}: "status" is not commit, rollback or unknown`);
  }
  return answer;
}

function post(
  target: URL,
  payload: string,
  timeoutMs: number,
  policy: CheckbackDestinationPolicy,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => reject(new CheckbackCallError(reason));
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
        // IP literals never reach a lookup; literalRefusal above vetted them.
        lookup: isIP(bareHost(target.hostname)) ? undefined : policy.lookup,
        // A pooled socket could outlive a DNS change; each check connects afresh.
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            request.destroy();
            fail(`HTTP ${response.statusCode}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on('error', () => fail(`HTTP ${response.statusCode}: the answer was cut off`));
      },
    );
    // `timeout` above is for an idle socket; this bounds the whole call.
    const timer = setTimeout(() => {
      request.destroy();
      fail(`timeout after ${timeoutMs} ms`);
    }, timeoutMs);
    request.on('timeout', () => {
      request.destroy();
      fail(`timeout after ${timeoutMs} ms`);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof CheckbackRefusedError) fail(error.message);
      else fail(`network error: ${error.code ?? 'unknown'}`);
    });
    request.on('close', () => clearTimeout(timer));
    request.end(payload);
  });
}

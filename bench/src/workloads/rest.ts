import autocannon from 'autocannon';
import { POSTBOX_QUEUE } from '../peers/postbox-peer';
import { now } from '../timing';
import { startService } from './service-process';

export type RestResult =
  | { skipped: string }
  | {
      singlePostPerSecond: number;
      batchRequestsPerSecond: number;
      batchMessagesPerSecond: number;
      receiveAckMessagesPerSecond: number;
      errors: number;
    };

const BATCH = 100;
const RECEIVE_MAX = 100;

/**
 * Workload 5: the REST service as users run it (its own process, `npm
 * start`'s entry point, on the bench database), driven by autocannon:
 * single-message POSTs, 100-message batch POSTs, then a receive(100) + ack
 * loop over the backlog those left behind.
 */
export async function restWorkloads(
  url: string,
  { seconds, connections }: { seconds: number; connections: number },
  log: (line: string) => void,
): Promise<RestResult> {
  const service = await startService(url);
  if ('skipped' in service) return service;
  const { base } = service;
  try {
    const created = await fetch(`${base}/v1/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: POSTBOX_QUEUE }),
    });
    if (!created.ok) return { skipped: `creating the queue answered ${created.status}` };
    const messagesUrl = `${base}/v1/queues/${POSTBOX_QUEUE}/messages`;
    const post = (body: unknown) =>
      autocannon({
        url: messagesUrl,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        connections,
        duration: seconds,
      });

    // Single POSTs are the most load-sensitive number here (10 s of
    // ~1k req/s), so they get two runs, keeping the better, as the
    // throughput workloads do.
    log('  REST single POST (two runs)');
    const first = await post({ body: { n: 1, t: 0 } });
    const second = await post({ body: { n: 1, t: 0 } });
    const single = first['2xx'] / first.duration >= second['2xx'] / second.duration ? first : second;
    log('  REST batch POST');
    const batch = await post({ messages: Array.from({ length: BATCH }, (_, n) => ({ body: { n, t: 0 } })) });

    log('  REST receive + ack');
    let received = 0;
    let errors = first.non2xx + first.errors + second.non2xx + second.errors + batch.non2xx + batch.errors;
    const end = now() + seconds * 1000;
    const start = now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (now() < end) {
          const r = await fetch(`${base}/v1/queues/${POSTBOX_QUEUE}/receive`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ max: RECEIVE_MAX }),
          });
          if (!r.ok) {
            errors++;
            continue;
          }
          const { messages } = (await r.json()) as { messages: { receipt: string }[] };
          if (messages.length === 0) break;
          const a = await fetch(`${base}/v1/queues/${POSTBOX_QUEUE}/ack`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ receipts: messages.map((m) => m.receipt) }),
          });
          if (a.ok) received += messages.length;
          else errors++;
        }
      }),
    );
    const elapsed = (now() - start) / 1000;
    return {
      singlePostPerSecond: single['2xx'] / single.duration,
      batchRequestsPerSecond: batch['2xx'] / batch.duration,
      batchMessagesPerSecond: (batch['2xx'] / batch.duration) * BATCH,
      receiveAckMessagesPerSecond: received / elapsed,
      errors,
    };
  } finally {
    await service.stop();
  }
}

import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { now } from '../timing';
import { startService } from './service-process';

export type SqsEndpointResult =
  | { skipped: string }
  | {
      sqsSendPerSecond: number;
      restSendPerSecond: number;
      sqsReceiveDeletePerSecond: number;
      restReceiveAckPerSecond: number;
      errors: number;
    };

/** SQS's largest batch; the REST side uses the same size so the rows compare like with like. */
const BATCH = 10;
const KEY = 'bench-sqs-key';
const SQS_QUEUE = 'bench-sqs-endpoint';
const REST_QUEUE = 'bench-sqs-rest';

/** Runs `loop` in `concurrency` parallel workers for `seconds`; returns messages per second. */
async function timed(seconds: number, concurrency: number, loop: () => Promise<number>): Promise<number> {
  let messages = 0;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < end) {
        const n = await loop();
        if (n === 0) break;
        messages += n;
      }
    }),
  );
  return messages / ((now() - start) / 1000);
}

/**
 * The SQS endpoint against the native REST routes, same service process
 * (`npm start`'s entry, POSTBOX_API_KEY set so both sides authenticate:
 * SigV4 for SQS, a bearer key for REST), same batch size of 10: a
 * SendMessageBatch loop vs POST /messages, then ReceiveMessage(10) +
 * DeleteMessageBatch vs receive(10) + ack over the backlogs they left.
 */
export async function sqsEndpointWorkloads(
  url: string,
  { seconds, concurrency }: { seconds: number; concurrency: number },
  log: (line: string) => void,
): Promise<SqsEndpointResult> {
  const service = await startService(url, { POSTBOX_API_KEY: KEY });
  if ('skipped' in service) return service;
  const { base } = service;
  const sqs = new SQSClient({
    endpoint: base,
    region: 'us-east-1',
    credentials: { accessKeyId: 'postbox', secretAccessKey: KEY },
  });
  const rest = (route: string, body: unknown) =>
    fetch(`${base}/v1/queues/${REST_QUEUE}/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: SQS_QUEUE }));
    const created = await fetch(`${base}/v1/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ name: REST_QUEUE }),
    });
    if (!created.ok) return { skipped: `creating the REST queue answered ${created.status}` };
    let errors = 0;
    const entries = Array.from({ length: BATCH }, (_, n) => ({
      Id: `m${n}`,
      MessageBody: JSON.stringify({ n, t: 0 }),
    }));
    const messages = Array.from({ length: BATCH }, (_, n) => ({ body: JSON.stringify({ n, t: 0 }) }));

    log('  SQS SendMessageBatch');
    const sqsSendPerSecond = await timed(seconds, concurrency, async () => {
      const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries })).catch(() => null);
      if (!r || r.Failed?.length) errors++;
      return r?.Successful?.length ?? 0;
    });
    log('  REST batch POST (10 per request)');
    const restSendPerSecond = await timed(seconds, concurrency, async () => {
      const r = await rest('messages', { messages });
      if (!r.ok) errors++;
      await r.arrayBuffer();
      return r.ok ? BATCH : 0;
    });

    log('  SQS ReceiveMessage + DeleteMessageBatch');
    const sqsReceiveDeletePerSecond = await timed(seconds, concurrency, async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: BATCH }));
      if (Messages.length === 0) return 0;
      const d = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if (d.Failed?.length) errors++;
      return d.Successful?.length ?? 0;
    });
    log('  REST receive + ack (10 per request)');
    const restReceiveAckPerSecond = await timed(seconds, concurrency, async () => {
      const r = await rest('receive', { max: BATCH });
      if (!r.ok) {
        errors++;
        return 0;
      }
      const { messages: got } = (await r.json()) as { messages: { receipt: string }[] };
      if (got.length === 0) return 0;
      const a = await rest('ack', { receipts: got.map((m) => m.receipt) });
      await a.arrayBuffer();
      if (!a.ok) errors++;
      return a.ok ? got.length : 0;
    });
    return { sqsSendPerSecond, restSendPerSecond, sqsReceiveDeletePerSecond, restReceiveAckPerSecond, errors };
  } finally {
    sqs.destroy();
    await service.stop();
  }
}

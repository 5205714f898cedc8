import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { freePort } from '@postbox/server';
import { now, sleep } from '../timing';

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

function serverEntry(): string | null {
  for (const candidate of [
    path.resolve('dist/apps/server/src/main.js'),
    path.resolve(__dirname, '../../../apps/server/src/main.js'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

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
  const entry = serverEntry();
  if (!entry) return { skipped: 'no compiled service (dist/apps/server/src/main.js); run `npm run bench`' };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      POSTBOX_API_KEY: KEY,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
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
    const deadline = now() + 60_000;
    for (;;) {
      if (server.exitCode !== null)
        return { skipped: `service exited (${server.exitCode}): ${stderr.trim().slice(-500)}` };
      if (
        await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (now() > deadline) return { skipped: 'service did not become healthy within 60 s' };
      await sleep(200);
    }
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
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      if (server.exitCode !== null) resolve(null);
      else server.once('exit', resolve);
    });
  }
}

import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import Table from 'cli-table3';
import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { format } from '../report';
import { bodies, now, sleep, waitUntil } from '../timing';
import type { ScalingChildMessage } from './scaling-consumer-process';
import { type Saturation, SaturationSampler } from './scaling-sampler';
import { type ServiceProcess, startService } from './service-process';

export interface ScalingSizes {
  /** 2: every step twice, in A B C C B A order (each keeps its better run); 1: once. */
  rounds: 1 | 2;
  /** Backlog each consumer-process step drains. */
  messages: number;
  /** … in lock mode: its default claim of 10 locks per transaction drains ~4× slower, so a smaller backlog. */
  lockMessages: number;
  processes: number[];
  /** `default` is consume(queue, handler, { concurrency: 10 }) (lease claims); `lock` adds claimMode 'lock'. */
  modes: ('default' | 'lock')[];
  /** Length of each service step (single sends, then receive + ack). */
  seconds: number;
  /** autocannon connections for single sends, spread evenly over the instances. */
  connections: number;
  /** receive(10) + ack loops, spread evenly over the instances. */
  receivers: number;
  /** Messages waiting before each receive + ack step (sent through the library, not timed). */
  receiveBacklog: number;
}

export interface ScalingStep extends Saturation {
  group: string;
  setting: string;
  messages: number;
  perSecond: number;
  /** perSecond ÷ the first step of the same group (1 process / 1 instance). */
  ratio: number;
  errors: number;
}

export type ScalingResult =
  | { skipped: string }
  | {
      /** The better run of each setting, in the order first run. */
      steps: ScalingStep[];
      /** Every run, in the order run. */
      runs: ScalingStep[];
      /** A message sent through one instance was received and acked through the other, both ways. */
      stateless: { ok: boolean; detail: string };
      table: string;
      markdown: string;
    };

const DRAIN_QUEUE = 'scaling';
const REST_QUEUE = 'scaling-rest';
const STATELESS_QUEUE = 'scaling-stateless';
const KEY = 'scaling-bench-admin-key-0123456789';
const RECEIVE_MAX = 10;
interface Bench {
  peer: PostboxPeer;
  url: string;
  sampler: SaturationSampler;
  /** The bench's own connection: analyze, and nothing timed. */
  admin: pg.Client;
  log: (line: string) => void;
}

function abba<T>(steps: T[], rounds: 1 | 2): T[] {
  return rounds === 1 ? steps : [...steps, ...[...steps].reverse()];
}

const epoch = () => performance.timeOrigin + performance.now();

/**
 * Issue 14 item 7: how Postbox scales on one database, and what saturates.
 *
 * 1. Consumer processes: a backlog of `messages`, drained by 1, 2, 4
 *    separate Node processes, each `consume(queue, handler, { concurrency:
 *    10 })` with a handler that only counts (scaling-consumer-process.ts);
 *    msg/s from the first handler call to the queue found empty in the
 *    database. Once with the defaults (lease claims), once with claimMode
 *    'lock'.
 * 2. Service instances: 1, then 2 instances of the REST service (own
 *    processes, same database, bootstrap key) driven by the bench: single
 *    POSTs through autocannon, then receive(10) + ack loops, both spread
 *    evenly over the instances. Between them, a message sent through one
 *    instance is received and acked through the other, both ways: the
 *    service keeps nothing a request needs in memory.
 *
 * Each step records Postgres's and the Node processes' CPU, WAL bytes per
 * message and what the backends waited on (scaling-sampler.ts). With
 * `rounds: 2` the steps run 1 2 4 4 2 1 (and 1 2 2 1 instances), each
 * setting keeping its better run, as the peer comparison does.
 */
export async function scaling(
  peer: PostboxPeer,
  url: string,
  sizes: ScalingSizes,
  log: (line: string) => void,
): Promise<ScalingResult> {
  const sampler = await SaturationSampler.open(url);
  const admin = new pg.Client(url);
  await admin.connect();
  const bench: Bench = { peer, url, sampler, admin, log };
  const runs: ScalingStep[] = [];
  const services: ServiceProcess[] = [];
  try {
    await peer.postbox.createQueue(DRAIN_QUEUE);
    for (const mode of sizes.modes) {
      for (const processes of abba(sizes.processes, sizes.rounds))
        runs.push(
          await drainWithProcesses(bench, mode === 'lock' ? sizes.lockMessages : sizes.messages, processes, mode),
        );
    }

    const first = await startKeyedService(url);
    if ('skipped' in first) return first;
    services.push(first);
    const created = await call(first.base, 'POST', '/v1/queues', { name: REST_QUEUE });
    if (created.status >= 300) return { skipped: `creating the queue answered ${created.status}` };
    let stateless = { ok: false, detail: 'never ran' };
    for (const count of abba([1, 2], sizes.rounds)) {
      if (count === 2 && services.length === 1) {
        const second = await startKeyedService(url);
        if ('skipped' in second) return second;
        services.push(second);
        stateless = await crossInstance(first, second);
        if (!stateless.ok) log(`  scaling: NOT stateless: ${stateless.detail}`);
      }
      if (count === 1 && services.length === 2) await services.pop()?.stop();
      runs.push(await restSends(bench, services, sizes));
      runs.push(await restReceiveAck(bench, services, sizes));
    }

    // Each setting keeps its better run (the other is in `runs`): on a shared machine a load spike otherwise decides.
    const steps: ScalingStep[] = [];
    for (const run of runs) {
      const i = steps.findIndex((s) => s.setting === run.setting);
      if (i < 0) steps.push(run);
      else if (run.perSecond > (steps[i] as ScalingStep).perSecond) steps[i] = run;
    }
    for (const step of steps) {
      const one = steps.find((s) => s.group === step.group) as ScalingStep;
      step.ratio = step.perSecond / one.perSecond;
    }
    return { steps, runs, stateless, table: scalingTable(steps), markdown: scalingMarkdown(steps) };
  } finally {
    for (const service of services) await service.stop();
    await sampler.close();
    await admin.end();
  }
}

/** One drain: `processes` consumer processes, started together on a prefilled backlog. */
async function drainWithProcesses(
  { peer, url, sampler, admin, log }: Bench,
  total: number,
  processes: number,
  mode: 'default' | 'lock',
): Promise<ScalingStep> {
  const setting = `${processes} consumer process${processes > 1 ? 'es' : ''} (${mode === 'lock' ? 'lock' : 'default: lease'})`;
  log(`  scaling: ${setting}, ${total} messages`);
  await peer.clean();
  for (let i = 0; i < total; i += 1000)
    await peer.postbox.sendBatch(
      DRAIN_QUEUE,
      bodies(Math.min(1000, total - i), i).map((body) => ({ body })),
    );
  await admin.query('analyze postbox.messages');

  const entry = path.join(__dirname, 'scaling-consumer-process.js');
  const children: {
    child: ChildProcess;
    ready: boolean;
    handled: number;
    first: number;
    last: number;
    stderr: string;
  }[] = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      const child = fork(entry, [], {
        env: { ...process.env, SCALING_URL: url, SCALING_QUEUE: DRAIN_QUEUE, SCALING_CLAIM_MODE: mode },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      const state = { child, ready: false, handled: 0, first: 0, last: 0, stderr: '' };
      child.stderr?.on('data', (chunk) => {
        state.stderr = (state.stderr + chunk).slice(-2000);
      });
      child.on('message', (message: ScalingChildMessage) => {
        if (message.type === 'ready') state.ready = true;
        else if (message.type === 'failed') failures.push(message.error);
        else Object.assign(state, { handled: message.handled, first: message.first, last: message.last });
      });
      children.push(state);
    }
    await waitUntil(
      () => failures.length > 0 || children.every((c) => c.ready),
      60_000,
      `${processes} consumer processes to connect`,
    );
    if (failures.length > 0) throw new Error(`a consumer process failed: ${failures[0]}`);

    await sampler.start();
    for (const { child } of children) child.send('go');
    const handled = () => children.reduce((a, c) => a + c.handled, 0);
    await waitUntil(
      () => handled() >= total || failures.length > 0,
      300_000,
      `${processes} processes to drain ${total}`,
    );
    if (failures.length > 0) throw new Error(`a consumer process failed: ${failures[0]}`);
    // The last acks are batched: the drain ends when the database has no message left.
    while ((await peer.remaining()) > 0) await sleep(10);
    const emptyAt = epoch();
    const saturation = await sampler.stop();

    for (const { child } of children) child.send('stop');
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    );
    const first = Math.min(...children.map((c) => c.first).filter((t) => t > 0));
    const perSecond = total / ((emptyAt - first) / 1000);
    const extra = handled() - total;
    log(
      `    ${format(perSecond)} msg/s; per process ${children.map((c) => c.handled).join(' / ')}${extra > 0 ? `; ${extra} handled twice` : ''}`,
    );
    return {
      group: `consumers-${mode}`,
      setting,
      messages: total,
      perSecond,
      ratio: 1,
      errors: extra,
      ...saturation,
    };
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The service with the bench's bootstrap key. */
function startKeyedService(url: string): Promise<ServiceProcess | { skipped: string }> {
  return startService(url, { POSTBOX_API_KEY: KEY });
}

const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

async function call(
  base: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${base}${route}`, {
    method,
    headers: HEADERS,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const instances = (services: ServiceProcess[]) =>
  `${services.length} service instance${services.length > 1 ? 's' : ''}`;

/** Single-message POSTs for `seconds`, autocannon's connections split evenly over the instances. */
async function restSends(
  { peer, sampler, log }: Bench,
  services: ServiceProcess[],
  sizes: ScalingSizes,
): Promise<ScalingStep> {
  const setting = `REST single sends, ${instances(services)}`;
  log(`  scaling: ${setting}, ${sizes.connections} connections, ${sizes.seconds} s`);
  await peer.clean();
  await sampler.start();
  // One autocannon run per instance, side by side: the connections split evenly.
  const runs = await Promise.all(
    services.map((service) =>
      autocannon({
        url: `${service.base}/v1/queues/${REST_QUEUE}/messages`,
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ body: { n: 1, t: 0 } }),
        connections: Math.ceil(sizes.connections / services.length),
        duration: sizes.seconds,
      }),
    ),
  );
  const saturation = await sampler.stop();
  const sent = runs.reduce((a, r) => a + r['2xx'], 0);
  const duration = Math.max(...runs.map((r) => r.duration));
  const stored = await peer.remaining();
  // stored may exceed sent by the requests still in flight when autocannon stopped; fewer would be lost sends.
  const errors = runs.reduce((a, r) => a + r.non2xx + r.errors, 0) + Math.max(0, sent - stored);
  log(`    ${format(sent / duration)} sends/s; ${errors} errors (${stored} stored for ${sent} answered 201)`);
  return {
    group: 'rest-send',
    setting,
    messages: sent,
    perSecond: sent / duration,
    ratio: 1,
    errors,
    ...saturation,
  };
}

/** receive(10) + ack loops over a prefilled backlog for `seconds`, spread evenly over the instances. */
async function restReceiveAck(
  { peer, sampler, admin, log }: Bench,
  services: ServiceProcess[],
  sizes: ScalingSizes,
): Promise<ScalingStep> {
  const setting = `REST receive(${RECEIVE_MAX}) + ack, ${instances(services)}`;
  log(`  scaling: ${setting}, ${sizes.receivers} loops over ${sizes.receiveBacklog} waiting, ${sizes.seconds} s`);
  await peer.clean();
  for (let i = 0; i < sizes.receiveBacklog; i += 1000)
    await peer.postbox.sendBatch(
      REST_QUEUE,
      bodies(Math.min(1000, sizes.receiveBacklog - i), i).map((body) => ({ body })),
    );
  await admin.query('analyze postbox.messages');
  let acked = 0;
  let errors = 0;
  await sampler.start();
  const start = now();
  const end = start + sizes.seconds * 1000;
  await Promise.all(
    Array.from({ length: sizes.receivers }, async (_, i) => {
      const { base } = services[i % services.length] as ServiceProcess;
      while (now() < end) {
        const received = await call(base, 'POST', `/v1/queues/${REST_QUEUE}/receive`, { max: RECEIVE_MAX });
        const messages = (received.json.messages ?? []) as { receipt: string }[];
        if (received.status !== 200) errors++;
        else if (messages.length === 0) break;
        else {
          const ack = await call(base, 'POST', `/v1/queues/${REST_QUEUE}/ack`, {
            receipts: messages.map((m) => m.receipt),
          });
          if (ack.status === 200) acked += ack.json.acked as number;
          else errors++;
        }
      }
    }),
  );
  const seconds = (now() - start) / 1000;
  const saturation = await sampler.stop();
  log(`    ${format(acked / seconds)} msg/s received + acked; ${errors} errors`);
  return {
    group: 'rest-receive',
    setting,
    messages: acked,
    perSecond: acked / seconds,
    ratio: 1,
    errors,
    ...saturation,
  };
}

/**
 * Statelessness, asserted: a message sent through one instance is received
 * and acked through the other (the receipt works on an instance that never
 * saw the claim), and the first instance then finds the queue empty; both
 * ways round.
 */
async function crossInstance(a: ServiceProcess, b: ServiceProcess): Promise<{ ok: boolean; detail: string }> {
  const created = await call(a.base, 'POST', '/v1/queues', { name: STATELESS_QUEUE });
  if (created.status >= 300) return { ok: false, detail: `creating ${STATELESS_QUEUE} answered ${created.status}` };
  const route = (verb: string) => `/v1/queues/${STATELESS_QUEUE}/${verb}`;
  for (const [from, to, names] of [
    [a, b, 'A → B'],
    [b, a, 'B → A'],
  ] as const) {
    const marker = `${names} ${Date.now()}`;
    const sent = await call(from.base, 'POST', route('messages'), { body: { marker } });
    const id = (sent.json.ids as string[] | undefined)?.[0];
    if (sent.status !== 201 || !id) return { ok: false, detail: `${names}: send answered ${sent.status}` };
    const received = await call(to.base, 'POST', route('receive'), { max: 10, waitMs: 5000 });
    const messages = (received.json.messages ?? []) as { id: string; receipt: string; body: { marker?: string } }[];
    if (messages.length !== 1 || messages[0]?.id !== id || messages[0]?.body.marker !== marker)
      return { ok: false, detail: `${names}: receive answered ${received.status} ${JSON.stringify(messages)}` };
    const acked = await call(to.base, 'POST', route('ack'), { receipts: [messages[0].receipt] });
    if (acked.json.acked !== 1) return { ok: false, detail: `${names}: ack answered ${JSON.stringify(acked.json)}` };
    const stats = await call(from.base, 'GET', `/v1/queues/${STATELESS_QUEUE}`);
    const left = ['ready', 'delayed', 'inFlight'].map((k) => stats.json[k]);
    if (left.some((n) => n !== 0))
      return { ok: false, detail: `${names}: the sending instance still sees ${JSON.stringify(stats.json)}` };
  }
  return {
    ok: true,
    detail: 'sent through A, received + acked through B, and the other way round; each sender then saw 0 left',
  };
}

const HEAD = [
  'setting',
  'msg/s',
  'ratio to 1',
  'PG CPU %',
  'Node CPU %',
  'machine CPU %',
  'others CPU %',
  'waited for a core % (PG / Node)',
  'CPU ms per 1k msg (PG / Node)',
  'WAL bytes/msg',
  'commits per 1k msg',
  'backends in (avg per sample)',
];

function cells(step: ScalingStep): string[] {
  const node = step.group.startsWith('rest')
    ? `${format(step.nodeCpuPercent)} + ${format(step.benchCpuPercent)} clients`
    : format(step.nodeCpuPercent);
  // CPU time per message does not depend on how the machine's cores were shared: what a dedicated core buys.
  const perThousand = (percent: number) => ((percent / 100) * step.seconds * 1e6) / step.messages;
  const waits = Object.entries(step.events)
    .slice(0, 3)
    .map(([event, n]) => `${event} ${format(n)}`)
    .join(', ');
  return [
    step.setting,
    format(step.perSecond),
    `${format(step.ratio)}×`,
    step.pgCpuPercent === null ? '—' : format(step.pgCpuPercent),
    node,
    format(step.machineCpuPercent),
    format(step.machineCpuPercent - (step.pgCpuPercent ?? 0) - step.nodeCpuPercent - step.benchCpuPercent),
    `${step.pgRunQueuePercent === null ? '—' : format(step.pgRunQueuePercent)} / ${format(step.nodeRunQueuePercent)}`,
    `${step.pgCpuPercent === null ? '—' : format(perThousand(step.pgCpuPercent))} / ${format(perThousand(step.nodeCpuPercent))}`,
    format(step.walBytes / step.messages),
    format((1000 * step.commits) / step.messages),
    waits || '—',
  ];
}

/** The scaling table for the terminal (also rebuilt from a results JSON's raw.scaling.steps). */
export function scalingTable(steps: ScalingStep[]): string {
  const t = new Table({ head: HEAD, style: { head: [], border: [] } });
  for (const step of steps) t.push(cells(step));
  return t.toString();
}

/** The same as GitHub markdown, for docs/scaling.md. */
export function scalingMarkdown(steps: ScalingStep[]): string {
  return [
    `| ${HEAD.join(' | ')} |`,
    `|---|${HEAD.slice(1)
      .map((_, i) => (i === HEAD.length - 2 ? '---|' : '---:|'))
      .join('')}`,
    ...steps.map((step) => `| ${cells(step).join(' | ')} |`),
  ].join('\n');
}

import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { bodies, now, sleep } from '../timing';

export interface SteadyStateResult {
  seconds: number;
  targetPerSecond: number;
  /** What the producer actually managed (it shares the CPU with the consumer). */
  producedPerSecond: number;
  firstWindowPerSecond: number;
  lastWindowPerSecond: number;
  /** last ÷ first window. */
  ratio: number;
  backlogAtEnd: number;
  tableBytesAtEnd: number;
  indexBytesAtEnd: number;
  deadTuplesAtEnd: number;
  maxDeadTuples: number;
  /** Every 10 s: live rows, dead rows, heap + index bytes. */
  samples: { second: number; consumed: number; live: number; dead: number; bytes: number }[];
}

/**
 * Workload 6: a backlog of `backlog` messages, then `seconds` of produce +
 * consume at `rate` (~80% of the drain rate measured earlier in the run).
 * The consumer is paced at the same rate, so the backlog stays put and old
 * rows keep churning through the live table; if claims slow down as dead
 * rows and dead index entries pile up, the consumer falls behind the pace
 * and the last window's throughput drops below the first's.
 */
export async function steadyState(
  peer: PostboxPeer,
  { backlog, seconds, rate, windowSeconds }: { backlog: number; seconds: number; rate: number; windowSeconds: number },
  log: (line: string) => void,
): Promise<SteadyStateResult> {
  await peer.clean();
  for (let i = 0; i < backlog; i += 1000) await peer.enqueueBatch(bodies(Math.min(1000, backlog - i), i));
  const stats = new pg.Client(peer.url);
  await stats.connect();
  await stats.query('analyze postbox.messages');

  const perSecond = new Array<number>(seconds + 5).fill(0);
  const start = now();
  let nextSlot = start;
  const slot = 1000 / rate;
  const stop = await peer.consume(async () => {
    // Pace: each handler takes the next free slot of a `rate`/s schedule.
    const mine = Math.max(nextSlot, now());
    nextSlot = mine + slot;
    const wait = mine - now();
    if (wait > 1) await sleep(wait);
    const second = Math.floor((now() - start) / 1000);
    if (second < perSecond.length) perSecond[second] = (perSecond[second] ?? 0) + 1;
  }, 10);

  const sample = async () => {
    const { rows } = await stats.query(
      `select n_live_tup::int as live, n_dead_tup::int as dead,
              pg_table_size('postbox.messages')::bigint as heap, pg_indexes_size('postbox.messages')::bigint as idx
       from pg_stat_user_tables where relid = 'postbox.messages'::regclass`,
    );
    return rows[0] as { live: number; dead: number; heap: string; idx: string };
  };
  const samples: SteadyStateResult['samples'] = [];
  let produced = 0;
  const tickMs = 20;
  const end = start + seconds * 1000;
  let nextSample = start + 10_000;
  while (now() < end) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    const send = Math.min(1000, due - produced);
    if (send > 0) {
      await peer.enqueueBatch(bodies(send, backlog + produced));
      produced += send;
    }
    if (now() >= nextSample) {
      nextSample += 10_000;
      const s = await sample();
      const second = Math.round((now() - start) / 1000);
      const consumed = perSecond.slice(0, second).reduce((a, b) => a + b, 0);
      samples.push({ second, consumed, live: s.live, dead: s.dead, bytes: Number(s.heap) + Number(s.idx) });
      log(`  steady ${second}s: consumed ${consumed}, live ${s.live}, dead ${s.dead}`);
    }
    await sleep(tickMs);
  }
  await stop();
  await sleep(1000); // let the stats collector catch up with the last acks
  const last = await sample();
  await stats.end();
  const sum = (from: number, to: number) => perSecond.slice(from, to).reduce((a, b) => a + b, 0);
  const firstWindow = sum(0, windowSeconds) / windowSeconds;
  const lastWindow = sum(seconds - windowSeconds, seconds) / windowSeconds;
  return {
    seconds,
    targetPerSecond: rate,
    producedPerSecond: produced / seconds,
    firstWindowPerSecond: firstWindow,
    lastWindowPerSecond: lastWindow,
    ratio: lastWindow / firstWindow,
    backlogAtEnd: await peer.remaining(),
    tableBytesAtEnd: Number(last.heap),
    indexBytesAtEnd: Number(last.idx),
    deadTuplesAtEnd: last.dead,
    maxDeadTuples: Math.max(last.dead, ...samples.map((s) => s.dead)),
    samples,
  };
}

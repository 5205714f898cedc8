import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { bodies, now, sleep } from '../timing';

export interface SteadyStateResult {
  seconds: number;
  /** Produce + consume rate the calibration found; the run paces at 80% of it. */
  sustainedPerSecond: number;
  targetPerSecond: number;
  backlogAtStart: number;
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
  /** Mean of the dead-tuple samples in the first and in the last window (n_dead_tup is a sawtooth: vacuum resets it). */
  firstWindowDeadTuples: number;
  lastWindowDeadTuples: number;
  /** Heap + index bytes at the end of the first window and at the end of the run. */
  firstWindowBytes: number;
  lastWindowBytes: number;
  /** VACUUMs of the messages table during the run: manual (Postbox's maintenance) and autovacuum. */
  vacuums: number;
  autovacuums: number;
  /** Every second: live rows, dead rows, heap + index bytes. */
  samples: { second: number; consumed: number; waiting: number; live: number; dead: number; bytes: number }[];
}

/**
 * Workload 6: a backlog of `backlog` messages, then `seconds` of produce +
 * consume at 80% of what this machine sustains doing both at once.
 *
 * That rate is calibrated first (`calibrationSeconds`): the consumer runs
 * flat out while the producer refills whatever it takes, keeping the backlog
 * at `backlog`. (80% of the drain rate alone, as first tried, is over
 * capacity on 2 shared cores: aiming at 13.5k/s after a 23k/s drain, the
 * consumer managed ~6k/s and the backlog grew from 100k to 1.28M.) Then the
 * producer and the consumer are both paced at that rate, so the backlog
 * stays put while every message churns through the live table (insert,
 * claim update, ack delete); if claims slow down as dead rows and dead index
 * entries pile up, the consumer falls behind the pace and the last window's
 * throughput drops below the first's.
 */
export async function steadyState(
  peer: PostboxPeer,
  {
    backlog,
    seconds,
    windowSeconds,
    calibrationSeconds,
  }: { backlog: number; seconds: number; windowSeconds: number; calibrationSeconds: number },
  log: (line: string) => void,
): Promise<SteadyStateResult> {
  await peer.clean();
  for (let i = 0; i < backlog; i += 1000) await peer.enqueueBatch(bodies(Math.min(1000, backlog - i), i));
  const stats = new pg.Client(peer.url);
  await stats.connect();
  await stats.query('analyze postbox.messages');

  const perSecond = new Array<number>(seconds + 5).fill(0);
  let consumed = 0;
  let produced = 0;
  let start = now();
  let rate = 0; // 0 while calibrating: the consumer is not paced
  let paced = 0;
  const stop = await peer.consume(async () => {
    if (rate > 0) {
      // Pace: a handler that is more than 20 ms ahead of a `rate`/s schedule
      // waits. (Per-message slots of a fraction of a millisecond were tried
      // first: timer granularity then capped 10 handlers well below 10k/s.)
      paced++;
      const ahead = (paced / rate) * 1000 - (now() - start);
      if (ahead > 20) await sleep(ahead);
      const second = Math.floor((now() - start) / 1000);
      if (second >= 0 && second < perSecond.length) perSecond[second] = (perSecond[second] ?? 0) + 1;
    }
    consumed++;
  }, 10);

  // Calibration: keep the backlog full, measure the consumer over the second half.
  const calibrationEnd = start + calibrationSeconds * 1000;
  let halfConsumed = 0;
  let halfStart = 0;
  while (now() < calibrationEnd) {
    if (!halfStart && now() > start + (calibrationSeconds * 1000) / 2) {
      halfStart = now();
      halfConsumed = consumed;
    }
    const refill = Math.min(1000, consumed - produced); // waiting = backlog + produced - consumed
    if (refill > 0) {
      await peer.enqueueBatch(bodies(refill, backlog + produced));
      produced += refill;
    } else await sleep(5);
  }
  const sustained = ((consumed - halfConsumed) / (now() - halfStart)) * 1000;
  rate = Math.round(0.8 * sustained);
  log(`  steady: sustained ${Math.round(sustained)}/s producing + consuming; pacing both at ${rate}/s`);

  const backlogAtStart = backlog + produced - consumed;
  produced = 0;
  const consumedAtStart = consumed;
  start = now();
  const sample = async () => {
    const { rows } = await stats.query(
      `select n_live_tup::int as live, n_dead_tup::int as dead,
              vacuum_count::int as vacuums, autovacuum_count::int as autovacuums,
              pg_table_size('postbox.messages')::bigint as heap, pg_indexes_size('postbox.messages')::bigint as idx
       from pg_stat_user_tables where relid = 'postbox.messages'::regclass`,
    );
    return rows[0] as { live: number; dead: number; vacuums: number; autovacuums: number; heap: string; idx: string };
  };
  const samples: SteadyStateResult['samples'] = [];
  const tickMs = 50; // batches of ~rate/20 when keeping up: near the 500 the enqueue workload uses
  const end = start + seconds * 1000;
  // Every second: with a vacuum every ~5 s, n_dead_tup is a sawtooth that
  // samples every 5 s can alias (one run read a mean of 6.6k dead in the
  // first minute and 26.5k in the last, the maximum never above 42k).
  const sampleMs = 1_000;
  const atStart = await sample();
  let nextSample = start + sampleMs;
  while (now() < end) {
    // Everything due, in batches of up to 1000. (Capping a tick at one batch
    // capped the producer at ~12.5k/s, below the lock-mode consumer's pace,
    // and the backlog drained instead of staying put.)
    // …and never more than a second's worth ahead of what was consumed: when
    // the consumer falls behind the pace (a load spike on the shared cores:
    // load 17 in one run, the backlog grew 100k -> 846k), the backlog stays
    // put instead of growing, so table size measures bloat, not backlog.
    const due = Math.min(Math.floor(((now() - start) / 1000) * rate), consumed - consumedAtStart + rate);
    while (due - produced > 0) {
      const send = Math.min(1000, due - produced);
      await peer.enqueueBatch(bodies(send, 10_000_000 + produced));
      produced += send;
    }
    if (now() >= nextSample) {
      nextSample += sampleMs;
      const s = await sample();
      const second = Math.round((now() - start) / 1000);
      const waiting = backlogAtStart + produced - (consumed - consumedAtStart);
      const counted = perSecond.slice(0, second).reduce((a, b) => a + b, 0);
      samples.push({
        second,
        consumed: counted,
        waiting,
        live: s.live,
        dead: s.dead,
        bytes: Number(s.heap) + Number(s.idx),
      });
      if (samples.length % 10 === 0)
        log(
          `  steady ${second}s: consumed ${counted}, waiting ${waiting}, dead ${s.dead}, ${Math.round((Number(s.heap) + Number(s.idx)) / 1e6)} MB`,
        );
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
  const inWindow = (from: number, to: number) => samples.filter((s) => s.second > from && s.second <= to);
  const first = inWindow(0, windowSeconds);
  const lastSamples = inWindow(seconds - windowSeconds, seconds + 5);
  const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    seconds,
    sustainedPerSecond: sustained,
    targetPerSecond: rate,
    backlogAtStart,
    producedPerSecond: produced / seconds,
    firstWindowPerSecond: firstWindow,
    lastWindowPerSecond: lastWindow,
    ratio: lastWindow / firstWindow,
    backlogAtEnd: await peer.remaining(),
    tableBytesAtEnd: Number(last.heap),
    indexBytesAtEnd: Number(last.idx),
    deadTuplesAtEnd: last.dead,
    vacuums: last.vacuums - atStart.vacuums,
    autovacuums: last.autovacuums - atStart.autovacuums,
    maxDeadTuples: Math.max(last.dead, ...samples.map((s) => s.dead)),
    firstWindowDeadTuples: mean(first.map((s) => s.dead)),
    lastWindowDeadTuples: mean(lastSamples.map((s) => s.dead)),
    firstWindowBytes: first.at(-1)?.bytes ?? Number.NaN,
    lastWindowBytes: lastSamples.at(-1)?.bytes ?? Number.NaN,
    samples,
  };
}

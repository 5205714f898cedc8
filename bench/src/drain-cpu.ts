/**
 * CPU per message of a drain, for Postbox's claim modes and graphile-worker:
 * the Node process's CPU (process.cpuUsage) and every Postgres process's
 * (utime + stime from /proc, the postmaster and its children: backends,
 * WAL writer, checkpointer). On these shared 2-core machines wall-clock
 * throughput moves by ~40% between runs with the load; CPU per message moves
 * far less, and on 2 cores it is what bounds the drain. Linux only; the
 * database must run on this machine (embedded, or DATABASE_URL to a local one).
 *   npm run build && node bench/dist/drain-cpu.js [messages] [rounds]
 * PEERS=postbox-lease,graphile-worker narrows the run; PROFILE=dir writes a
 * V8 CPU profile of each drain (the consume phase only) into dir.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { openBenchDatabase } from './bench-database';
import type { Peer } from './peer';
import { GraphileWorkerPeer } from './peers/graphile-worker-peer';
import { PostboxPeer } from './peers/postbox-peer';
import { bodies, now, waitUntil } from './timing';
import { processes, readStat, TICKS_PER_SECOND } from './workloads/scaling-sampler';

/** The postmaster and all its children's CPU (backends, WAL writer, checkpointer), in ms. */
function postgresCpuMs(postmaster: number): number {
  let ticks = 0;
  for (const { pid, stat } of processes()) if (pid === postmaster || stat.ppid === postmaster) ticks += stat.own;
  return (ticks * 1000) / TICKS_PER_SECOND;
}

async function findPostmaster(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const postmaster = readStat(rows[0].pid)?.ppid ?? -1; // while the backend still exists
  await client.end();
  if (postmaster <= 1) throw new Error('cannot find the postmaster: is the database on this machine?');
  return postmaster;
}

async function drain(peer: Peer, total: number, postmaster: number) {
  await peer.clean();
  const all = bodies(total);
  for (let i = 0; i < total; i += 500) await peer.enqueueBatch(all.slice(i, i + 500));
  let handled = 0;
  const profiler = process.env.PROFILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const node0 = process.cpuUsage();
  const pg0 = postgresCpuMs(postmaster);
  const t0 = now();
  const stop = await peer.consume(() => {
    handled++;
  }, 10);
  await waitUntil(() => handled >= total, 300_000, `${peer.name} to drain`);
  const seconds = (now() - t0) / 1000;
  // Read before stop(): graphile-worker's runner closes its pool, and an
  // exited backend's CPU is gone from /proc.
  const node = process.cpuUsage(node0);
  const pgMs = postgresCpuMs(postmaster) - pg0;
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(`${process.env.PROFILE}/${peer.name}-${Date.now()}.cpuprofile`, JSON.stringify(profile));
    profiler.disconnect();
  }
  await stop();
  return {
    perSecond: total / seconds,
    nodeUs: (node.user + node.system) / total,
    postgresUs: (pgMs * 1000) / total,
  };
}

async function main() {
  const total = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 2);
  const database = await openBenchDatabase((line) => console.error(line));
  const postmaster = await findPostmaster(database.url);
  const peers: Peer[] = [
    new PostboxPeer(database.url, 'default'),
    new PostboxPeer(database.url, 'lease'),
    new PostboxPeer(database.url, 'lock'),
    new GraphileWorkerPeer(database.url),
  ];
  const only = process.env.PEERS?.split(',');
  const active = peers.filter((p) => !only || only.includes(p.name));
  for (const peer of active) await peer.start();
  console.log('peer                 msg/s   node µs/msg   postgres µs/msg   total µs/msg');
  try {
    for (let round = 0; round < rounds; round++) {
      for (const peer of round % 2 === 0 ? active : [...active].reverse()) {
        const r = await drain(peer, total, postmaster);
        console.log(
          `${peer.name.padEnd(18)} ${r.perSecond.toFixed(0).padStart(7)} ${r.nodeUs.toFixed(1).padStart(13)} ${r.postgresUs
            .toFixed(1)
            .padStart(17)} ${(r.nodeUs + r.postgresUs).toFixed(1).padStart(14)}`,
        );
      }
    }
  } finally {
    for (const peer of active) await peer.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

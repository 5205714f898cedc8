import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import { now } from '../timing';

/** What one measured window cost, to say what saturated. CPU is in % of one core (the machine has 100 × cores). */
export interface Saturation {
  seconds: number;
  /** The postmaster and every backend (exited ones too, through the postmaster's reaped-children time); null when Postgres is not on this machine. */
  pgCpuPercent: number | null;
  /** The Node processes under test: consumer processes, or service instances. */
  nodeCpuPercent: number;
  /** The bench process itself (the HTTP clients in the service steps). */
  benchCpuPercent: number;
  /**
   * Time the Postgres processes and the Node processes under test were ready
   * to run but waited for a core (run_delay in /proc/<pid>/schedstat), in %
   * of the window: over 100 means more than one of them was waiting on
   * average. High while own CPU is low means the machine's cores, not this
   * work, were the limit.
   */
  pgRunQueuePercent: number | null;
  nodeRunQueuePercent: number;
  /** Every process on the machine, other sessions' included (/proc/stat). */
  machineCpuPercent: number;
  walBytes: number;
  /**
   * Transactions committed in the bench database (pg_stat_database.xact_commit;
   * backends report it at most once a second, so ±1 s of commits at the edges),
   * this sampler's own read-only ones left out.
   */
  commits: number;
  /** Samples taken of pg_stat_activity (one per 100 ms). */
  samples: number;
  /**
   * Per event, the average number of this database's backends in it at a
   * sample: `CPU` (active, no wait event), `Lock:…`, `LWLock:…`, `IO:…`, and
   * `idle in transaction` (a lock-mode batch waiting for its handlers: Node,
   * not Postgres).
   */
  events: Record<string, number>;
  /** Samples × backends seen waiting on heavyweight locks and on LWLocks. */
  lockWaits: number;
  lwlockWaits: number;
}

/** USER_HZ: /proc reports CPU time in ticks of 1/100 s on every Linux architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

export interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime */
  own: number;
  /** cutime + cstime: children this process has reaped */
  reaped: number;
}

export function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: split after the last ')'.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      own: Number(fields[11]) + Number(fields[12]),
      reaped: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return null;
  }
}

/** Nanoseconds this process's main thread spent runnable but not running. */
function runDelay(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return 0;
  }
}

export function processes(): { pid: number; stat: ProcStat }[] {
  const all: { pid: number; stat: ProcStat }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push({ pid: Number(name), stat });
  }
  return all;
}

function machineTicks(): { busy: number; total: number } {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/);
  const ticks = values.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

interface Snapshot {
  at: number;
  pg: number;
  node: Map<number, number>;
  pgDelay: Map<number, number>;
  nodeDelay: Map<number, number>;
  bench: number;
  machine: { busy: number; total: number };
  lsn: string;
  commits: number;
}

/**
 * Samples, over one window, the CPU of Postgres and of the Node processes
 * under test (from /proc), the WAL written (pg_current_wal_lsn) and what the
 * database's backends were doing (pg_stat_activity every 100 ms).
 *
 * Node processes under test are this process's children named `node`: the
 * consumer processes or the service instances (the embedded postmaster is a
 * child too, named `postgres`). Postgres is found from this connection's own
 * backend: its parent is the postmaster.
 */
export class SaturationSampler {
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  private samples = 0;
  private counts: Record<string, number> = {};
  private begin: Snapshot | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly postmaster: number | null,
  ) {}

  static async open(url: string): Promise<SaturationSampler> {
    const client = new pg.Client(url);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const backend = readStat(rows[0]?.pid as number);
    // DATABASE_URL may name another machine: a local pid of the same number is not its backend.
    const parent = backend?.comm === 'postgres' ? readStat(backend.ppid) : null;
    return new SaturationSampler(client, parent?.comm === 'postgres' ? (backend?.ppid as number) : null);
  }

  private async snapshot(): Promise<Snapshot> {
    const { rows } = await this.client.query<{ lsn: string; commits: string }>(
      `select pg_current_wal_lsn()::text as lsn, xact_commit::text as commits
       from pg_stat_database where datname = current_database()`,
    );
    const all = processes();
    let pg = 0;
    const pgDelay = new Map<number, number>();
    const node = new Map<number, number>();
    const nodeDelay = new Map<number, number>();
    for (const { pid, stat } of all) {
      if (this.postmaster !== null && pid === this.postmaster) pg += stat.own + stat.reaped;
      else if (this.postmaster !== null && stat.ppid === this.postmaster) pg += stat.own;
      else if (stat.ppid === process.pid && stat.comm === 'node') {
        node.set(pid, stat.own);
        nodeDelay.set(pid, runDelay(pid));
        continue;
      } else continue;
      pgDelay.set(pid, runDelay(pid));
    }
    const usage = process.cpuUsage();
    return {
      at: now(),
      pg,
      node,
      pgDelay,
      nodeDelay,
      bench: (usage.user + usage.system) / 1e6,
      machine: machineTicks(),
      lsn: rows[0]?.lsn as string,
      commits: Number(rows[0]?.commits),
    };
  }

  private async sample(): Promise<void> {
    const { rows } = await this.client.query<{ event: string; n: number }>(
      `select case when state = 'idle in transaction' then 'idle in transaction'
                   when wait_event is null then 'CPU'
                   else wait_event_type || ':' || wait_event end as event,
              count(*)::int as n
       from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid()
         and state in ('active', 'idle in transaction')
       group by 1`,
    );
    this.samples++;
    for (const { event, n } of rows) this.counts[event] = (this.counts[event] ?? 0) + n;
  }

  async start(): Promise<void> {
    this.samples = 0;
    this.counts = {};
    this.begin = await this.snapshot();
    this.timer = setInterval(() => {
      // One sample at a time: a slow pg_stat_activity read skips a tick rather than piling up.
      this.sampling = this.sampling.then(() => this.sample()).catch(() => {});
    }, 100);
  }

  async stop(): Promise<Saturation> {
    clearInterval(this.timer);
    await this.sampling;
    const begin = this.begin as Snapshot;
    const end = await this.snapshot();
    const { rows } = await this.client.query<{ bytes: string }>(
      'select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint::text as bytes',
      [end.lsn, begin.lsn],
    );
    const seconds = (end.at - begin.at) / 1000;
    const percent = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / seconds;
    let node = 0;
    for (const [pid, ticks] of end.node) node += ticks - (begin.node.get(pid) ?? 0);
    // Per process, ended ones dropped: a backend that exits in the window (an idle pooled connection closed) takes its delay along.
    const delay = (a: Map<number, number>, b: Map<number, number>) =>
      [...b].reduce((sum, [pid, ns]) => sum + ns - (a.get(pid) ?? 0), 0);
    const machine =
      (100 * os.cpus().length * (end.machine.busy - begin.machine.busy)) / (end.machine.total - begin.machine.total);
    const events = Object.fromEntries(
      Object.entries(this.counts)
        .sort((a, b) => b[1] - a[1])
        .map(([event, n]) => [event, n / Math.max(1, this.samples)]),
    );
    const sum = (prefix: string) =>
      Object.entries(this.counts)
        .filter(([event]) => event.startsWith(prefix))
        .reduce((a, [, n]) => a + n, 0);
    return {
      seconds,
      pgCpuPercent: this.postmaster === null ? null : percent(end.pg - begin.pg),
      nodeCpuPercent: percent(node),
      pgRunQueuePercent: this.postmaster === null ? null : (100 * delay(begin.pgDelay, end.pgDelay)) / 1e9 / seconds,
      nodeRunQueuePercent: (100 * delay(begin.nodeDelay, end.nodeDelay)) / 1e9 / seconds,
      benchCpuPercent: (100 * (end.bench - begin.bench)) / seconds,
      machineCpuPercent: machine,
      walBytes: Number(rows[0]?.bytes),
      // Less this sampler's own: one per sample and the first snapshot's.
      commits: end.commits - begin.commits - this.samples - 1,
      samples: this.samples,
      events,
      lockWaits: sum('Lock:'),
      lwlockWaits: sum('LWLock:'),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.client.end();
  }
}

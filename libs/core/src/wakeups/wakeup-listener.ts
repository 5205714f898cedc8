import pg, { type ClientConfig } from 'pg';

export interface WakeupListenerOptions {
  connectionString?: string;
  /** pg client config when there is no connection string (e.g. taken from a pool). */
  clientConfig?: ClientConfig;
  channel: string;
  /** First reconnect delay; doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** A query on the listening connection this often detects a silently dead socket. */
  keepaliveMs?: number;
  onError?: (error: unknown) => void;
}

type Callback = () => void;

/**
 * One LISTEN connection per process, shared by every consumer and long poll.
 * Notifications carry the queue name; subscribers of that queue are called.
 *
 * When the connection drops (pg_terminate_backend, a database restart, a
 * network cut) it reconnects with backoff, and on every (re)connect calls
 * every subscriber: a NOTIFY sent while nobody was listening is lost, so each
 * consumer re-polls at once instead of waiting for its fallback interval.
 */
export class WakeupListener {
  private client: pg.Client | null = null;
  private readonly subscribers = new Map<string, Set<Callback>>();
  private closed = false;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private delayMs: number;
  /** How many times the connection was (re)established; for tests and metrics. */
  connects = 0;
  /** Date.now() of the last notification on the channel (metrics: the listener's health). */
  lastNotificationAt: number | null = null;

  constructor(private readonly options: WakeupListenerOptions) {
    this.delayMs = options.reconnectDelayMs ?? 50;
  }

  /** Calls `callback` on each wake-up of `queue`; returns the unsubscribe function. */
  subscribe(queue: string, callback: Callback): () => void {
    let set = this.subscribers.get(queue);
    if (!set) {
      set = new Set();
      this.subscribers.set(queue, set);
    }
    set.add(callback);
    void this.start();
    return () => {
      set.delete(callback);
      if (set.size === 0) this.subscribers.delete(queue);
    };
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** Connects now (idempotent); resolves once LISTEN is in place or the attempt failed. */
  start(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async connect(): Promise<void> {
    // Named so operators (and the fault tests) can find it in pg_stat_activity.
    const client = new pg.Client({
      ...(this.options.clientConfig ?? {}),
      ...(this.options.connectionString ? { connectionString: this.options.connectionString } : {}),
      application_name: 'postbox-listener',
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      this.lastNotificationAt = Date.now();
      if (message.channel === this.options.channel && message.payload) this.fire(message.payload);
    });
    try {
      await client.connect();
      await client.query(`listen "${this.options.channel.replace(/"/g, '""')}"`);
    } catch (error) {
      client.removeAllListeners('end');
      client.end().catch(() => {});
      this.options.onError?.(error);
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connects++;
    this.delayMs = this.options.reconnectDelayMs ?? 50;
    const keepaliveMs = this.options.keepaliveMs ?? 10_000;
    this.keepaliveTimer = setInterval(() => {
      client.query('select 1').catch((error) => this.lost(client, error));
    }, keepaliveMs);
    this.keepaliveTimer.unref();
    // Anything sent while we were not listening was missed: everyone looks now.
    for (const queue of this.subscribers.keys()) this.fire(queue);
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (error) this.options.onError?.(error);
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.options.maxReconnectDelayMs ?? 2_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.start();
    }, delay);
    this.reconnectTimer.unref();
  }

  private fire(queue: string): void {
    const set = this.subscribers.get(queue);
    if (!set) return;
    for (const callback of [...set]) callback();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    await this.connecting;
    const client = this.client;
    this.client = null;
    this.subscribers.clear();
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reply = { status: number; body: unknown; after?: Promise<void> } | 'hang';

/** A producer's check-back endpoint: scripted replies per transaction, every call recorded. */
export class ProducerServer {
  readonly calls: { transactionId: string; body: Record<string, unknown>; at: number }[] = [];
  private readonly scripts = new Map<string, Reply[]>();
  private readonly hanging = new Set<http.ServerResponse>();
  private server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as { transactionId: string };
      this.calls.push({ transactionId: body.transactionId, body, at: Date.now() });
      const script = this.scripts.get(body.transactionId) ?? [];
      const reply = script.length > 1 ? (script.shift() as Reply) : (script[0] ?? { status: 404, body: {} });
      if (reply === 'hang') {
        this.hanging.add(res);
        return;
      }
      void (reply.after ?? Promise.resolve()).then(() => {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/checkback`;
    return this;
  }
  /** Replies in order; the last one repeats. */
  script(transactionId: string, ...replies: Reply[]): void {
    this.scripts.set(transactionId, replies);
  }
  callsFor(transactionId: string) {
    return this.calls.filter((c) => c.transactionId === transactionId);
  }
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export const answer = (status: 'commit' | 'rollback' | 'unknown'): Reply => ({ status: 200, body: { status } });

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCheckbackUrl } from '../../libs/core/src/half-messages/call-checkback-url';
import {
  CheckbackDestinationPolicy,
  CheckbackRefusedError,
} from '../../libs/core/src/half-messages/checkback-destination';
import { CheckbackRunner } from '../../libs/core/src/half-messages/checkback-runner';
import { prepareTransaction } from '../../libs/core/src/half-messages/prepare';
import { InvalidInputError, type Postbox, type TransactionInfo } from '../../libs/core/src/index';
import { startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';

/** An HTTP server on 127.0.0.1 that records each call and answers what it is told. */
class LocalEndpoint {
  calls = 0;
  reply: { status: number; body: string; headers?: Record<string, string> } | 'hang' = {
    status: 200,
    body: '{"status":"commit"}',
  };
  private readonly server = http.createServer((req, res) => {
    this.calls++;
    req.resume();
    const reply = this.reply;
    if (reply === 'hang') return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body);
  });
  port = 0;
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  url(host = '127.0.0.1'): string {
    return `http://${host}:${this.port}/checkback`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const SECRET = 'SECRET-instance-credentials-AKIA1234';

const transaction = {
  transactionId: '00000000-0000-4000-8000-000000000001',
  queue: 'ssrf',
  message: { body: 1 },
  checks: 1,
} as unknown as TransactionInfo;

describe('check-back destination policy', () => {
  const policy = new CheckbackDestinationPolicy();

  it('refuses loopback, private, link-local (metadata), CGNAT, unspecified, multicast and their IPv4-mapped forms', () => {
    const refused: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['10.0.0.5', 'private'],
      ['172.16.3.4', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['fd12:3456::1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['::ffff:a00:5', 'private'],
    ];
    for (const [address, kind] of refused) expect(policy.refusal(address), address).toContain(kind);
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111']) {
      expect(policy.refusal(address), address).toBeNull();
    }
  });

  it('allows what POSTBOX_CHECKBACK_ALLOW lists (hosts, addresses, CIDRs) and rejects a malformed entry', () => {
    const allowing = new CheckbackDestinationPolicy(' 10.1.0.0/16, 127.0.0.1 ,orders.internal,fd00::/8');
    expect(allowing.refusal('10.1.2.3')).toBeNull();
    expect(allowing.refusal('10.2.0.1')).toBe('10.2.0.1 is a private address');
    expect(allowing.refusal('127.0.0.1')).toBeNull();
    expect(allowing.refusal('127.0.0.2')).toBe('127.0.0.2 is a loopback address');
    expect(allowing.refusal('fd00::7')).toBeNull();
    expect(allowing.hostAllowed('Orders.Internal.')).toBe(true);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'http://x', 'a b', '::1/129']) {
      expect(() => new CheckbackDestinationPolicy(bad), bad).toThrow(`"${bad}" is not a host name`);
    }
  });

  it('a host name that resolves to loopback is refused by the lookup the socket uses', async () => {
    const outcome = await new Promise<unknown>((resolve) =>
      policy.lookup('localhost', { all: true }, (error, addresses) => resolve(error ?? addresses)),
    );
    expect(outcome).toBeInstanceOf(CheckbackRefusedError);
    expect((outcome as Error).message).toMatch(/^refused: (127\.0\.0\.1|::1) is a loopback address$/);
  });
});

describe('check-back calls', () => {
  let endpoint: LocalEndpoint;
  let redirected: LocalEndpoint;

  beforeAll(async () => {
    endpoint = await new LocalEndpoint().start();
    redirected = await new LocalEndpoint().start();
  });
  afterAll(async () => {
    await endpoint.close();
    await redirected.close();
  });

  it('a server on 127.0.0.1 is refused by default (never called) and called when allowed', async () => {
    const before = endpoint.calls;
    await expect(callCheckbackUrl(endpoint.url(), transaction, 2_000)).rejects.toThrow(
      /^refused: 127\.0\.0\.1 is a loopback address$/,
    );
    expect(endpoint.calls).toBe(before);
    const allowed = new CheckbackDestinationPolicy('127.0.0.1');
    await expect(callCheckbackUrl(endpoint.url(), transaction, 2_000, allowed)).resolves.toBe('commit');
    expect(endpoint.calls).toBe(before + 1);
  });

  it('"localhost" is refused without being called; the metadata address too', async () => {
    const before = endpoint.calls;
    await expect(callCheckbackUrl(endpoint.url('localhost'), transaction, 2_000)).rejects.toThrow(/^refused: /);
    await expect(
      callCheckbackUrl('http://169.254.169.254/latest/meta-data/iam/security-credentials/', transaction, 2_000),
    ).rejects.toThrow('refused: 169.254.169.254 is a link-local address (cloud metadata lives here)');
    await expect(callCheckbackUrl('http://[::ffff:169.254.169.254]/', transaction, 2_000)).rejects.toThrow(
      /^refused: .* is a link-local address/,
    );
    expect(endpoint.calls).toBe(before);
  });

  it('redirects are not followed', async () => {
    const allowed = new CheckbackDestinationPolicy('127.0.0.1');
    endpoint.reply = { status: 302, body: '', headers: { location: redirected.url() } };
    await expect(callCheckbackUrl(endpoint.url(), transaction, 2_000, allowed)).rejects.toThrow(/^HTTP 302$/);
    expect(redirected.calls).toBe(0);
  });
});

describe('what a failed check leaves in lastError', () => {
  let postbox: Postbox;
  let endpoint: LocalEndpoint;
  let server: TestServer;

  beforeAll(async () => {
    ({ postbox } = await openTestPostbox());
    endpoint = await new LocalEndpoint().start();
    await postbox.createQueue('ssrf');
    delete process.env.POSTBOX_CHECKBACK_ALLOW;
    server = await startTestServer(postbox);
  });
  afterAll(async () => {
    await server.close();
    await endpoint.close();
  });

  /** Prepares a due transaction (bypassing the prepare-time check), runs one round of a runner with `allow`, returns its lastError. */
  async function checkOnce(url: string, allow?: string): Promise<string | null | undefined> {
    const { transactionId } = await prepareTransaction(
      postbox.db,
      { queue: 'ssrf' },
      { body: 'x' },
      { checkbackUrl: url, checkAfterMs: 0, checkbackAllow: '0.0.0.0/0,::/0' },
    );
    const runner = new CheckbackRunner({ db: postbox.db, checkTimeoutMs: 300, checkbackAllow: allow });
    await runner.runOnce();
    const tx = await postbox.getTransaction(transactionId);
    expect(tx.state).toBe('prepared');
    return tx.lastError;
  }

  it('refused destination: a short reason, and nothing was sent', async () => {
    const before = endpoint.calls;
    expect(await checkOnce(endpoint.url())).toBe('refused: 127.0.0.1 is a loopback address');
    expect(await checkOnce('http://169.254.169.254/latest/meta-data/')).toBe(
      'refused: 169.254.169.254 is a link-local address (cloud metadata lives here)',
    );
    expect(endpoint.calls).toBe(before);
  });

  it('an answer is never echoed: status and reason only, no body text, no stack', async () => {
    const errors: (string | null | undefined)[] = [];
    endpoint.reply = { status: 500, body: `${SECRET}\n    at Object.<anonymous> (/srv/app/index.js:1:1)` };
    errors.push(await checkOnce(endpoint.url(), '127.0.0.1'));
    endpoint.reply = { status: 200, body: SECRET };
    errors.push(await checkOnce(endpoint.url(), '127.0.0.1'));
    endpoint.reply = { status: 200, body: JSON.stringify({ status: SECRET }) };
    errors.push(await checkOnce(endpoint.url(), '127.0.0.1'));
    endpoint.reply = 'hang';
    errors.push(await checkOnce(endpoint.url(), '127.0.0.1'));
    expect(errors).toEqual([
      'HTTP 500',
      'HTTP 200: the answer is not JSON',
      'HTTP 200: "status" is not commit, rollback or unknown',
      'timeout after 300 ms',
    ]);
    for (const error of errors) {
      expect(error).not.toContain('SECRET');
      expect(error).not.toMatch(/\n|\bat \S+ \(|\.ts:\d+/);
    }
  });

  it('prepare answers 400 naming checkbackUrl for a disallowed literal host, storing nothing', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:8080/x',
      'http://localhost:8080/x',
      'http://[::1]/x',
      'http://10.0.0.5/x',
      'https://[::ffff:192.168.0.1]/x',
    ]) {
      await expect(postbox.prepare({ queue: 'ssrf' }, { body: 1 }, { checkbackUrl: url }), url).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      const res = await server.request('POST', '/v1/transactions', {
        body: { queue: 'ssrf', body: 1, checkbackUrl: url },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^checkbackUrl is not an allowed destination: /);
    }
    // A public name is checked when called (it may resolve inward then): accepted here.
    const ok = await server.request('POST', '/v1/transactions', {
      body: { queue: 'ssrf', body: 1, checkbackUrl: 'https://orders.example.com/checkback' },
    });
    expect(ok.status).toBe(201);
  });
});

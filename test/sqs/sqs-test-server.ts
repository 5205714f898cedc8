import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Postbox } from '../../libs/core/src/index';
import { startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';

/** The bootstrap key: access key id `postbox`, secret POSTBOX_API_KEY. */
export const SQS_SECRET = 'sqs-test-secret';
export const ACCOUNT = '000000000000';

/** Who signs (default: the bootstrap key), and any other client setting (e.g. systemClockOffset). */
export interface SqsClientOptions extends Omit<SQSClientConfig, 'credentials' | 'endpoint'> {
  accessKeyId?: string;
  secret?: string;
}

export interface SqsTestServer {
  readonly db: TestDatabase;
  readonly postbox: Postbox;
  /** A raw client on the same database, for assertions on the rows. */
  readonly client: pg.Client;
  readonly server: TestServer;
  /** An AWS SDK client signed with the bootstrap key (made again by restart()). */
  readonly sqs: SQSClient;
  /** Another AWS SDK client, e.g. signed with a stored key or a wrong secret; destroyed after the file. */
  sdk(options?: SqsClientOptions): SQSClient;
  /** Closes the service and starts it again over the same Postbox, as a restart; `server` and `sqs` follow. */
  restart(): Promise<void>;
}

export interface SqsTestServerOptions {
  /** The service's POSTBOX_API_KEY; null starts it without one (dev mode: unsigned requests are served). */
  apiKey?: string | null;
  /** Start a second instance of the service (its own Postbox) on that one's database, as a second replica. */
  sameDatabaseAs?: SqsTestServer;
}

/**
 * The real service and AWS SDK clients pointed at it, for the calling
 * describe block: started in its beforeAll, closed in its afterAll (SDK
 * clients included). Read the fields inside tests, not at collection time.
 */
export function useSqsTestServer({ apiKey = SQS_SECRET, sameDatabaseAs }: SqsTestServerOptions = {}): SqsTestServer {
  let started: { db: TestDatabase; postbox: Postbox; client: pg.Client } | undefined;
  let server: TestServer | undefined;
  let sqs: SQSClient | undefined;
  const sdks: SQSClient[] = [];
  const serverOptions = apiKey === null ? {} : { apiKey };

  const ready = () => {
    if (!started || !server || !sqs)
      throw new Error('useSqsTestServer: read its fields inside a test (after beforeAll)');
    return { ...started, server, sqs };
  };
  const sdk = ({ accessKeyId = 'postbox', secret = apiKey ?? SQS_SECRET, ...config }: SqsClientOptions = {}) => {
    if (!server) throw new Error('useSqsTestServer: make SDK clients inside a test (after beforeAll)');
    const made = new SQSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: secret },
      maxAttempts: 1,
      ...config,
    });
    sdks.push(made);
    return made;
  };
  const start = async (postbox: Postbox) => {
    server = await startTestServer(postbox, serverOptions);
    sqs = sdk();
  };

  beforeAll(async () => {
    if (sameDatabaseAs) {
      const { db } = sameDatabaseAs;
      started = { db, postbox: await db.postbox(), client: await db.client() };
    } else {
      started = await openTestPostbox();
    }
    await start(started.postbox);
  });
  afterAll(async () => {
    for (const made of sdks) made.destroy();
    await server?.close();
  });

  return {
    get db() {
      return ready().db;
    },
    get postbox() {
      return ready().postbox;
    },
    get client() {
      return ready().client;
    },
    get server() {
      return ready().server;
    },
    get sqs() {
      return ready().sqs;
    },
    sdk,
    async restart() {
      const { postbox } = ready();
      await server?.close();
      sqs?.destroy();
      await start(postbox);
    },
  };
}

/** The error an SDK call failed with (the test fails if the call succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

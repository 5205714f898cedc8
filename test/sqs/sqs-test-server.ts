import { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import type { Postbox } from '../../libs/core/src/index';
import { startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';

/** The bootstrap key: access key id `postbox`, secret POSTBOX_API_KEY. */
export const SQS_SECRET = 'sqs-test-secret';
export const ACCOUNT = '000000000000';

export interface SqsTestServer {
  postbox: Postbox;
  client: pg.Client;
  server: TestServer;
  sqs(overrides?: { secret?: string; accessKeyId?: string }): SQSClient;
}

/** The real service with POSTBOX_API_KEY set, and AWS SDK clients pointed at it (call in beforeAll). */
export async function startSqsTestServer(): Promise<SqsTestServer> {
  const { postbox, client } = await openTestPostbox();
  const server = await startTestServer(postbox, { apiKey: SQS_SECRET });
  return {
    postbox,
    client,
    server,
    sqs: ({ secret = SQS_SECRET, accessKeyId = 'postbox' } = {}) =>
      new SQSClient({
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId, secretAccessKey: secret },
        maxAttempts: 1,
      }),
  };
}

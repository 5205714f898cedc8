import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, SQS_SECRET, useSqsTestServer } from './sqs-test-server';

// Debian's python3-boto3 (1.26, botocore 1.29) speaks SQS's query protocol; a
// newer boto3 installed with pip speaks AWS JSON. Each one found here runs
// the script: Debian's first on the PYTHONPATH, then python3's default.
const DEBIAN_PACKAGES = '/usr/lib/python3/dist-packages';

interface Python {
  label: string;
  env: NodeJS.ProcessEnv;
  /** Where boto3 was imported from. */
  boto3: string;
}

function findBoto3(label: string, env: NodeJS.ProcessEnv): Python | string {
  try {
    const file = execFileSync('python3', ['-c', 'import boto3; print(boto3.__file__)'], { env, stdio: 'pipe' });
    return { label, env, boto3: file.toString().trim() };
  } catch (error) {
    return `python3 -c 'import boto3' failed (${(error as Error).message.split('\n')[0]})`;
  }
}

const debian = existsSync(join(DEBIAN_PACKAGES, 'boto3'))
  ? findBoto3('debian', { ...process.env, PYTHONPATH: DEBIAN_PACKAGES })
  : 'no python3-boto3 in /usr/lib/python3/dist-packages';
const standard = findBoto3('default', process.env);
const pythons: Python[] = [];
if (typeof debian !== 'string') pythons.push(debian);
if (typeof standard !== 'string' && standard.boto3 !== (typeof debian === 'string' ? '' : debian.boto3)) {
  pythons.push(standard);
}
const missing = pythons.length === 0 ? `${standard}; apt-get install python3-boto3` : null;
if (missing) console.log(`boto3 SQS test skipped: ${missing}`);

describe.skipIf(missing !== null)('SQS endpoint with Python boto3', () => {
  const t = useSqsTestServer();

  it.each(
    pythons,
  )('runs a boto3 script ($label boto3) through queues, messages, FIFO and errors; its rows are Postbox rows', async (python) => {
    const queue = `boto-${python.label}`;
    const { stdout } = await promisify(execFile)('python3', [join(__dirname, 'boto3-client.py')], {
      env: { ...python.env, SQS_ENDPOINT: t.server.url, SQS_SECRET, SQS_QUEUE: queue },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout);
    console.log(`boto3 ${out.boto3} / botocore ${out.botocore} (${python.boto3}): ${out.protocol} protocol`);
    if (python.label === 'debian') expect(out.protocol).toBe('query');
    expect(out.queueUrl).toBe(`${t.server.url}/${ACCOUNT}/${queue}`);
    expect(out.sameUrl).toBe(true);
    expect(out.listed).toEqual([out.queueUrl]);
    // SQS's published vector for {ordinal: Number 1, category: String test} does not hold here (blob is added);
    // send and receive must agree, and the SDK-independent value is checked in aws-sdk.spec.ts.
    expect(out.firstMd5OfAttributes).toBe(out.sendMd5OfAttributes);
    expect(out.batchOk).toEqual(['b0', 'b1', 'b2']);
    expect(out.batchFailed).toEqual([['empty', 'MissingParameter', true]]);
    expect(out.bodies).toEqual(['hello <xml> & ünïcode', 'batch 0', 'batch 1', 'batch 2']);
    expect(out.firstAttributes).toEqual({ ordinal: '1', category: 'test', blob: [0, 1, 255] });
    expect(out.firstTypes).toEqual({ ordinal: 'Number', category: 'String', blob: 'Binary' });
    expect(out.receiveCount).toBe('1');
    expect(out.again).toEqual([['hello <xml> & ünïcode', '2']]);
    expect(out.deleted).toEqual(['d0', 'd1', 'd2', 'd3']);
    expect(out.deleteFailed).toEqual([['bad', 'ReceiptHandleIsInvalid']]);
    expect(out.attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      VisibilityTimeout: '40',
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${queue}`,
    });
    expect(out.fifo).toEqual([['one', 'g']]);
    expect(out.errors).toEqual({
      missing: ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 400],
      receipt: 'ReceiptHandleIsInvalid',
      exists: 'QueueAlreadyExists',
      forged: 'SignatureDoesNotMatch',
      purgeMissing: 'AWS.SimpleQueueService.NonExistentQueue',
    });
    expect(out.purged).toEqual(['p-held', '0', '1', '0']);
    const { rows } = await t.client.query(
      'select m.body, m.group_key, m.dedup_key from postbox.messages m where queue = $1 order by m.id',
      [`${queue}.fifo`],
    );
    expect(rows).toEqual([
      { body: 'one', group_key: 'g', dedup_key: 'one' },
      { body: 'two', group_key: 'g', dedup_key: 'two' },
    ]);
    const { rows: deleted } = await t.client.query('select count(*)::int as n from postbox.queues where name = $1', [
      queue,
    ]);
    expect(deleted[0].n).toBe(0);
  });
});

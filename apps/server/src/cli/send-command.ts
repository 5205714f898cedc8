import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { count, integer, report, UsageError } from './output';
import { type Progress, progressWanted, startProgress } from './progress';
import { type OutgoingJson, type Target, type TargetOptions, targetOptions, withTarget } from './target';

interface SendOptions extends TargetOptions {
  file?: string;
  envelope?: boolean;
  header: string[];
  delay?: string;
  priority?: string;
  dedupKey?: string;
  groupKey?: string;
  batch: string;
  progress?: boolean;
}

/** One line of a file: a JSON body, or with --envelope a whole message {body, headers?, …}. */
function parseLine(
  text: string,
  lineNo: number,
  envelope: boolean,
  defaults: Omit<OutgoingJson, 'body'>,
): OutgoingJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`line ${lineNo}: not JSON (${(error as Error).message})`);
  }
  if (!envelope) return { ...defaults, body: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('body' in value)) {
    throw new UsageError(`line ${lineNo}: with --envelope each line is an object with a "body"`);
  }
  return { ...defaults, ...(value as OutgoingJson) };
}

/** Sends `lines` in batches, one batch in flight (each batch is one statement: all or nothing). */
async function sendLines(
  target: Target,
  queue: string,
  lines: AsyncIterable<OutgoingJson>,
  batchSize: number,
  progress: Progress,
): Promise<{ sent: number; duplicates: number }> {
  let sent = 0;
  let duplicates = 0;
  let batch: OutgoingJson[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await target.sendBatch(queue, batch).catch((error: Error) => {
      throw new Error(`${error.message} (after ${count(sent)} sent; this batch of ${batch.length} was not)`);
    });
    sent += batch.length - result.duplicates.length;
    duplicates += result.duplicates.length;
    progress.add(batch.length);
    batch = [];
  };
  for await (const message of lines) {
    batch.push(message);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { sent, duplicates };
}

async function* fromStdin(envelope: boolean, defaults: Omit<OutgoingJson, 'body'>): AsyncIterable<OutgoingJson> {
  let lineNo = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNo++;
    if (text.trim()) yield parseLine(text, lineNo, envelope, defaults);
  }
}

async function* fromArray(messages: OutgoingJson[]): AsyncIterable<OutgoingJson> {
  yield* messages;
}

/**
 * `postbox send`: one message, or JSON lines from a file (checked whole
 * before anything is sent, so a bad line 90,000 sends nothing) or stdin
 * (streamed, sent as it comes), in batches, with a progress bar.
 */
export function addSendCommand(program: Command): void {
  targetOptions(
    program
      .command('send')
      .description('send one message (a JSON body), or JSON lines from a file or stdin ("-")')
      .argument('<queue>')
      .argument('[body]', 'the message body as JSON, e.g. \'{"orderId":42}\'')
      .option('-f, --file <path>', 'JSON lines to send, one message per line; "-" reads stdin')
      .option('--envelope', 'each line is a message {body, headers?, delayMs?, priority?, dedupKey?, groupKey?}')
      .option('-H, --header <name=value>', 'a header (repeatable)', (v: string, all: string[]) => [...all, v], [])
      .option('--delay <ms>', 'invisible for this long')
      .option('--priority <n>', 'lower is delivered first')
      .option('--dedup-key <key>', 'a second send with this key within the window returns the first id')
      .option('--group-key <key>', 'FIFO group')
      .option('--batch <n>', 'messages per request/statement (1..1000)', '500')
      .option('--progress', 'always show the progress bar (default: on a terminal)')
      .option('--no-progress', 'never show the progress bar')
      .action((queue: string, body: string | undefined, options: SendOptions) =>
        withTarget(options, async (target) => {
          const defaults = messageDefaults(options);
          if (options.file === undefined) {
            if (body === undefined) throw new UsageError('give a body, or --file <path> (or "-" for stdin)');
            const message = parseLine(body, 1, false, defaults);
            const { ids, duplicates } = await target.sendBatch(queue, [message]);
            const duplicate = duplicates.length > 0;
            report(options.json, { id: ids[0], duplicate }, duplicate ? `duplicate of ${ids[0]}` : `sent ${ids[0]}`);
            return;
          }
          if (body !== undefined) throw new UsageError('give a body or --file, not both');
          const batchSize = integer(options.batch, '--batch', 1, 1000);
          const envelope = Boolean(options.envelope);
          let lines: AsyncIterable<OutgoingJson>;
          let total: number | undefined;
          if (options.file === '-') lines = fromStdin(envelope, defaults);
          else {
            const messages = readFileSync(options.file, 'utf8')
              .split('\n')
              .map((text, i) => (text.trim() ? parseLine(text, i + 1, envelope, defaults) : null))
              .filter((m): m is OutgoingJson => m !== null);
            total = messages.length;
            lines = fromArray(messages);
          }
          const started = performance.now();
          const progress = startProgress(`send ${queue}`, total, progressWanted(options));
          let result: { sent: number; duplicates: number };
          try {
            result = await sendLines(target, queue, lines, batchSize, progress);
          } finally {
            progress.stop();
          }
          const seconds = (performance.now() - started) / 1000;
          const rate = Math.round((result.sent + result.duplicates) / Math.max(seconds, 0.001));
          report(
            options.json,
            { ...result, seconds: Number(seconds.toFixed(3)), perSecond: rate },
            `sent ${count(result.sent)} message(s) to ${queue}${result.duplicates ? ` (${count(result.duplicates)} duplicates skipped)` : ''} in ${seconds.toFixed(1)} s, ${count(rate)}/s`,
          );
        }),
      ),
  );
}

function messageDefaults(options: SendOptions): Omit<OutgoingJson, 'body'> {
  const defaults: Omit<OutgoingJson, 'body'> = {};
  if (options.header.length > 0) {
    defaults.headers = {};
    for (const pair of options.header) {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--header: "${pair}" is not name=value`);
      defaults.headers[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  if (options.delay !== undefined) defaults.delayMs = integer(options.delay, '--delay', 0);
  if (options.priority !== undefined)
    defaults.priority = integer(options.priority, '--priority', -(2 ** 31), 2 ** 31 - 1);
  if (options.dedupKey !== undefined) defaults.dedupKey = options.dedupKey;
  if (options.groupKey !== undefined) defaults.groupKey = options.groupKey;
  return defaults;
}

import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { BadRequestException, HttpException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { HttpRequest, HttpResponse, NextFunction } from '../http-types';
import { FREE_JSON_KEYS } from './free-json';
import { scanJson } from './json-scan';

/**
 * The one way a request body is read: JSON, strictly, or not at all.
 *
 * - A body with any content type but JSON (text/plain, a form, none at all)
 *   is a 415, never read as an empty body: body-parser skipped such bodies
 *   and left `{}`, so a text/plain `{"ids":["5"]}` sent to redrive
 *   redrove every dead letter of the queue.
 * - content-encoding gzip, deflate or br is inflated (the limit applies to
 *   the inflated size); a body that does not inflate is a 400, any other
 *   encoding a 415.
 * - The text must be UTF-8 (a 400 otherwise, never replacement characters),
 *   and passes scanJson (depth, NUL, lone surrogates, inexact numbers,
 *   prototype keys) before JSON.parse builds anything.
 *
 * Each refusal is an HttpException passed to next(): the error filter gives it
 * the API's error shape.
 */
export interface JsonBodyOptions {
  /** Largest body, after inflation: bytes, or body-parser syntax ("1mb", "512kb"). */
  limit: number | string;
  /** Deepest nesting of objects and arrays; deeper is a 400 before parsing. */
  maxDepth: number;
}

/**
 * Nesting the API accepts: a message body may itself nest about 95 levels.
 * Deeper bodies are refused before anything walks them (class-transformer
 * and Nest's ValidationPipe recurse once per level).
 */
export const MAX_JSON_DEPTH = 100;

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export function parseByteSize(limit: number | string): number {
  if (typeof limit === 'number') return limit;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!match) throw new Error(`body limit "${limit}" is not a size such as "1mb"`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] as number));
}

function isJsonType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType);
}

function checkContentType(header: string | undefined): void {
  if (!header) {
    throw new UnsupportedMediaTypeException('a body needs content-type: application/json');
  }
  const [type = '', ...params] = header.split(';');
  const mediaType = type.trim().toLowerCase();
  if (!isJsonType(mediaType)) {
    throw new UnsupportedMediaTypeException(
      `content-type ${JSON.stringify(mediaType.slice(0, 100))} is not supported: bodies are JSON (application/json)`,
    );
  }
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new UnsupportedMediaTypeException(
        `charset ${JSON.stringify(charset.slice(0, 40))} is not supported: bodies are UTF-8`,
      );
    }
  }
}

function inflater(encoding: string): Readable & NodeJS.WritableStream {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UnsupportedMediaTypeException(
        `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported (gzip, deflate, br or identity)`,
      );
  }
}

/** The body's bytes, inflated, at most `limit` of them. */
function readBody(req: HttpRequest, encoding: string, limit: number, tooLarge: () => HttpException): Promise<Buffer> {
  const source: Readable = encoding === 'identity' ? req : req.pipe(inflater(encoding));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (error: HttpException) => {
      if (done) return;
      done = true;
      if (source !== req) req.unpipe();
      // Read and drop the rest, so the client gets the answer rather than a reset while still sending.
      req.resume();
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) fail(tooLarge());
      else chunks.push(chunk);
    });
    source.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    source.on('error', () => fail(new BadRequestException(`body is not valid ${encoding} data`)));
    if (source !== req) req.on('error', () => fail(new BadRequestException('body was incomplete')));
    req.on('aborted', () => fail(new BadRequestException('body was incomplete')));
  });
}

function declaresBody(req: HttpRequest): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return length !== undefined && length !== '0';
}

export async function readJsonBody(req: HttpRequest, options: JsonBodyOptions): Promise<unknown> {
  if (!declaresBody(req)) return undefined;
  checkContentType(req.headers['content-type']);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity';
  const source = encoding === 'identity' ? null : inflater(encoding); // 415 before reading
  source?.destroy();
  const limit = parseByteSize(options.limit);
  // API.md: a body too large is a 400 like any bad input (413 is a message over the queue's maxMessageBytes).
  const tooLarge = () =>
    new BadRequestException(
      `body must not be larger than ${typeof options.limit === 'string' ? options.limit : `${limit} bytes`}`,
    );
  if (encoding === 'identity' && Number(req.headers['content-length']) > limit) {
    req.resume();
    throw tooLarge();
  }
  const bytes = await readBody(req, encoding, limit, tooLarge);
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestException('body is not valid UTF-8');
  }
  const problem = scanJson(text, { maxDepth: options.maxDepth, freeJsonKeys: FREE_JSON_KEYS });
  if (problem) {
    const subject =
      problem.path === '' ? 'body' : problem.reason === 'should not exist' ? `property ${problem.path}` : problem.path;
    throw new BadRequestException(`${subject} ${problem.reason}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestException(`body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

/** Express middleware: sets req.body (undefined when there is none) or passes the refusal to next(). */
export function jsonBodyParser(options: JsonBodyOptions) {
  return (req: HttpRequest, _res: HttpResponse, next: NextFunction): void => {
    readJsonBody(req, options).then(
      (body) => {
        (req as { body?: unknown }).body = body;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

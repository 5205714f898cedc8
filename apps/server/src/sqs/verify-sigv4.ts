import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type SqsCredential, type SqsCredentials } from './sqs-credentials';
import { sqsErrors } from './sqs-error';

export interface SignedRequest {
  method: string;
  /** Path and query string exactly as sent (req.originalUrl). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** AWS allows 5 minutes of clock difference before it calls a signature expired. */
const MAX_SKEW_MS = 5 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';

interface SignatureParts {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Presigned URLs sign the query string without their own X-Amz-Signature. */
  presigned: boolean;
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ percent-encoded. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return value;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAuthorization(value: string, amzDate: string | undefined): SignatureParts {
  if (!value.startsWith(`${ALGORITHM} `)) {
    throw sqsErrors.signatureDoesNotMatch(`Only ${ALGORITHM} signatures are accepted.`);
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature || !amzDate) {
    throw sqsErrors.signatureDoesNotMatch(
      'Authorization header requires Credential, SignedHeaders and Signature, and X-Amz-Date must be set.',
    );
  }
  return {
    ...parseCredential(credential),
    signedHeaders: signedHeaders.split(';'),
    signature,
    amzDate,
    presigned: false,
  };
}

function parseCredential(credential: string) {
  const [accessKeyId, scopeDate, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request') {
    throw sqsErrors.signatureDoesNotMatch(`Credential should be scoped to a valid region and service: ${credential}.`);
  }
  return { accessKeyId, scopeDate, region, service };
}

function parseQuerySignature(query: URLSearchParams): SignatureParts | null {
  const signature = query.get('X-Amz-Signature');
  if (!signature) return null;
  const credential = query.get('X-Amz-Credential') ?? '';
  const amzDate = query.get('X-Amz-Date') ?? '';
  if (query.get('X-Amz-Algorithm') !== ALGORITHM || !amzDate) {
    throw sqsErrors.signatureDoesNotMatch(`Presigned requests need X-Amz-Algorithm=${ALGORITHM} and X-Amz-Date.`);
  }
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? 'host').split(';');
  return { ...parseCredential(credential), signedHeaders, signature, amzDate, presigned: true };
}

function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw sqsErrors.signatureDoesNotMatch(`X-Amz-Date "${amzDate}" is not in ISO 8601 basic format.`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

function canonicalQuery(rawQuery: string, dropSignature: boolean): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
      return [uriEncode(key), uriEncode(value)] as const;
    })
    .filter(([key]) => !(dropSignature && key === 'X-Amz-Signature'));
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * The canonical request of SigV4 for a non-S3 service: the path's segments
 * encoded once more than sent, sorted query, the signed headers lowercased
 * with whitespace collapsed, and the payload's SHA-256.
 */
function canonicalRequest(request: SignedRequest, parts: SignatureParts): string {
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const rawQuery = q < 0 ? '' : request.url.slice(q + 1);
  const path = rawPath
    .split('/')
    .map((segment) => uriEncode(decode(segment)))
    .join('/');
  const headers = parts.signedHeaders
    .map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  // The body's own hash, always: a client's x-amz-content-sha256 is signed, but it says nothing about
  // the bytes that arrived unless it is checked against them.
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const declared = header(request.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== bodyHash && !(parts.presigned && declared === 'UNSIGNED-PAYLOAD')) {
    throw sqsErrors.signatureDoesNotMatch('The provided x-amz-content-sha256 header does not match what was computed.');
  }
  const payloadHash = parts.presigned ? (declared ?? 'UNSIGNED-PAYLOAD') : bodyHash;
  return [
    request.method,
    path || '/',
    canonicalQuery(rawQuery, parts.presigned),
    headers,
    parts.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

function signature(secret: string, parts: SignatureParts, canonical: string): Buffer {
  const scope = `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key = createHmac('sha256', `AWS4${secret}`).update(parts.scopeDate).digest();
  for (const step of [parts.region, parts.service, 'aws4_request'])
    key = createHmac('sha256', key).update(step).digest();
  return createHmac('sha256', key).update(stringToSign).digest();
}

/**
 * Verifies a SigV4-signed request (Authorization header, or a presigned
 * query string) and returns the signer's credential. In dev mode (no keys
 * configured) every request passes and the result is null.
 */
export async function verifySigV4(
  request: SignedRequest,
  credentials: SqsCredentials,
  now = Date.now(),
): Promise<SqsCredential | null> {
  if (!(await credentials.configured())) return null;
  const authorization = header(request.headers, 'authorization');
  const q = request.url.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
  const parts = authorization
    ? parseAuthorization(authorization, header(request.headers, 'x-amz-date'))
    : parseQuerySignature(query);
  if (!parts) throw sqsErrors.missingAuthenticationToken();
  const signedAt = parseAmzDate(parts.amzDate);
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw sqsErrors.signatureDoesNotMatch(
      `Signature expired: ${parts.amzDate} is now earlier or later than 5 minutes from ${new Date(now).toISOString()}.`,
    );
  }
  if (parts.amzDate.slice(0, 8) !== parts.scopeDate) {
    throw sqsErrors.signatureDoesNotMatch('Credential scope date does not match X-Amz-Date.');
  }
  if (!parts.signedHeaders.includes('host')) {
    throw sqsErrors.signatureDoesNotMatch("'Host' must be a signed header.");
  }
  const credential = await credentials.lookup(parts.accessKeyId);
  if (!credential) throw sqsErrors.invalidClientTokenId();
  const expected = signature(credential.secret, parts, canonicalRequest(request, parts));
  const given = Buffer.from(parts.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw sqsErrors.signatureDoesNotMatch(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return credential;
}

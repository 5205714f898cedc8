import { createHash, randomBytes } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { DEFAULT_SCHEMA } from '../database/tables';
import type { KeyScope } from './key-scopes';

/** A stored API key as listed: never its secret. */
export interface ApiKeyInfo {
  name: string;
  scopes: KeyScope[];
  /** Glob of the queues and topics it may touch; null = all. */
  names: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ApiKeyRow {
  name: string;
  key_id: string;
  secret_sha256: Buffer;
  scopes: KeyScope[];
  names: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export function apiKeysTable(schema: string = DEFAULT_SCHEMA): RawBuilder<unknown> {
  return sql.table(`${schema}.api_keys`);
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKeyInfo {
  return {
    name: row.name,
    scopes: row.scopes,
    names: row.names,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * The key as handed out: `pbk_<keyId>_<secret>`. keyId (12 random bytes as
 * hex: 24 characters, never a `_`) finds the row; the secret (32 random
 * bytes as base64url: 43 characters, which may hold `_`) proves possession.
 * Both lengths are fixed, so the split is unambiguous.
 */
export interface KeyParts {
  keyId: string;
  secret: string;
}

const KEY_FORMAT = /^pbk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export function newKeyParts(): KeyParts {
  return { keyId: randomBytes(12).toString('hex'), secret: randomBytes(32).toString('base64url') };
}

export function formatKey({ keyId, secret }: KeyParts): string {
  return `pbk_${keyId}_${secret}`;
}

/** The parts of a presented key, or null when it does not have the shape of one (then no lookup is made). */
export function parseKey(key: string): KeyParts | null {
  const match = KEY_FORMAT.exec(key);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : null;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

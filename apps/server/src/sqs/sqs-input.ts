import { sqsErrors } from './sqs-error';

/**
 * An action's parameters in the JSON protocol's shape (the query protocol's
 * form is turned into the same shape by query-protocol.ts), read with the
 * checks below: numbers may arrive as numbers (JSON) or strings (query).
 */
export type SqsInput = Record<string, unknown>;

export function optionalString(input: SqsInput, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a string.`);
  return value;
}

export function requiredString(input: SqsInput, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') throw sqsErrors.missingParameter(name);
  return value;
}

export function optionalInt(input: SqsInput, name: string, min: number, max: number): number | undefined {
  const raw = input[name];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw sqsErrors.invalidParameterValue(
      `Value ${String(raw)} for parameter ${name} is invalid. Reason: must be an integer between ${min} and ${max}.`,
    );
  }
  return value;
}

export function stringList(input: SqsInput, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a list of strings.`);
  }
  return value as string[];
}

export function stringMap(input: SqsInput, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a map of strings.`);
  }
  return value as Record<string, string>;
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** A batch's Entries: 1 to 10, each with a distinct, well-formed Id (SQS's rules and error names). */
export function batchEntries(input: SqsInput): (SqsInput & { Id: string })[] {
  const entries = input.Entries;
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) throw sqsErrors.emptyBatchRequest();
  if (!Array.isArray(entries) || entries.some((e) => e === null || typeof e !== 'object' || Array.isArray(e))) {
    throw sqsErrors.invalidParameterValue('Entries must be a list of objects.');
  }
  if (entries.length > 10) throw sqsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries as SqsInput[]) {
    const id = entry.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return entries as (SqsInput & { Id: string })[];
}

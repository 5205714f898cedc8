import type { SqsError } from './sqs-error';
import type { SqsInput } from './sqs-input';

type Tree = { [key: string]: Tree | string } | Tree[];

/** Form keys "A.1.B" become nested objects; numbered segments become (1-based) array slots. */
function nest(form: URLSearchParams): Record<string, Tree | string> {
  const root: Record<string, Tree | string> = {};
  for (const [key, value] of form) {
    const path = key.split('.');
    // biome-ignore lint/suspicious/noExplicitAny: walking a tree of unknown shape
    let node: any = root;
    path.forEach((segment, i) => {
      const slot = /^\d+$/.test(segment) ? Number(segment) - 1 : segment;
      if (i === path.length - 1) {
        node[slot] = value;
        return;
      }
      node[slot] ??= /^\d+$/.test(path[i + 1] as string) ? [] : {};
      node = node[slot];
    });
  }
  return root;
}

const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
};

/** The nested form in the JSON protocol's shape: Attribute.N → Attributes map, *RequestEntry.N → Entries, … */
function reshape(node: Record<string, Tree | string>): SqsInput {
  const out: SqsInput = {};
  for (const [key, value] of Object.entries(node)) {
    const items = Array.isArray(value) ? value.filter((v) => v !== undefined) : null;
    if (key === 'Attribute' && items) {
      out.Attributes = Object.fromEntries(
        items.map((a) => {
          const pair = a as Record<string, string>;
          return [pair.Name, pair.Value];
        }),
      );
    } else if (key === 'MessageAttribute' && items) {
      out.MessageAttributes = Object.fromEntries(
        items.map((a) => {
          const pair = a as Record<string, Tree>;
          return [pair.Name, pair.Value];
        }),
      );
    } else if (key in LISTS && items) {
      out[LISTS[key] as string] = items;
    } else if (key.endsWith('RequestEntry') && items) {
      out.Entries = items.map((e) => reshape(e as Record<string, Tree | string>));
    } else if (key === 'Tag') {
      out.tags = items;
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function parseQueryRequest(body: Buffer): { action: string | null; input: SqsInput } {
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  form.delete('Action');
  form.delete('Version');
  return { action, input: reshape(nest(form)) };
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"'\r]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c] as string,
  );
}

/** Flattened lists in SQS's XML: the member element repeats under its own name. */
const LIST_ELEMENTS: Record<string, (action: string) => string> = {
  QueueUrls: () => 'QueueUrl',
  queueUrls: () => 'QueueUrl',
  Messages: () => 'Message',
  Successful: (action) => `${action}ResultEntry`,
  Failed: () => 'BatchResultErrorEntry',
  Results: () => 'ListMessageMoveTasksResultEntry',
};

function element(name: string, value: unknown, action: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const member = LIST_ELEMENTS[name]?.(action) ?? name;
    return value.map((v) => element(member, v, action)).join('');
  }
  if (name === 'Attributes' && typeof value === 'object') {
    return Object.entries(value as Record<string, string>)
      .map(([k, v]) => `<Attribute><Name>${escapeXml(k)}</Name><Value>${escapeXml(String(v))}</Value></Attribute>`)
      .join('');
  }
  if (name === 'MessageAttributes' && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(
        ([k, v]) => `<MessageAttribute><Name>${escapeXml(k)}</Name>${element('Value', v, action)}</MessageAttribute>`,
      )
      .join('');
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v, action))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

export function queryResponse(action: string, result: Record<string, unknown>, requestId: string): string {
  const inner = Object.entries(result)
    .map(([k, v]) => element(k, v, action))
    .join('');
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}"><${action}Result>${inner}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryErrorResponse(error: SqsError, requestId: string): string {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}"><Error><Type>${error.fault}</Type>` +
    `<Code>${escapeXml(error.queryCode)}</Code><Message>${escapeXml(error.message)}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

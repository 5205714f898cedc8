import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface ReadmeBlock {
  /** How the block is tested: the word after `readme-test:` in the comment just above it. */
  kind: string;
  /** The rest of that comment: a name, or the file that covers the block. */
  arg: string;
  lang: string;
  code: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

const MARKER = /^<!-- readme-test: (\S+)(?: (.+?))? -->$/;

/**
 * Every fenced code block of README.md with the marker above it. A block
 * without a marker is an error: each one is run, or named a test that
 * exercises it (test/readme/readme.spec.ts, test/packaging/packages.spec.ts).
 */
export function readmeBlocks(file = path.join(ROOT, 'README.md')): ReadmeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)$/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const marker = MARKER.exec(lines[i - 1] ?? '');
    if (!marker) throw new Error(`README.md:${i + 1}: code block without a <!-- readme-test: … --> marker`);
    blocks.push({
      kind: marker[1] as string,
      arg: marker[2] ?? '',
      lang: fence[1] ?? '',
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

/**
 * Import direction (DESIGN.md "Layout", issue 8): each folder of src/ may import only the folders
 * listed for it, so that the pipeline knows no transport, config knows no source or connector, and the
 * SFTP source and destination share src/transports instead of importing each other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Folder -> the src/ folders it must never import from. */
const FORBIDDEN: Record<string, string[]> = {
  config: ['sources', 'destinations', 'connectors', 'daemon', 'pipeline', 'cli'],
  pipeline: ['sources', 'destinations', 'connectors', 'daemon', 'cli'],
  transports: ['sources', 'destinations', 'connectors', 'daemon', 'pipeline', 'cli'],
  destinations: ['sources', 'connectors', 'daemon', 'cli'],
  sources: ['destinations', 'connectors', 'daemon', 'cli'],
  ledger: ['sources', 'destinations', 'connectors', 'daemon', 'pipeline', 'cli'],
  formats: ['sources', 'destinations', 'connectors', 'daemon', 'pipeline', 'cli', 'ledger'],
  mapping: ['sources', 'destinations', 'connectors', 'daemon', 'pipeline', 'cli', 'ledger'],
  connectors: ['sources', 'destinations', 'daemon', 'cli'],
};

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesOf(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('import direction', () => {
  it.each(Object.keys(FORBIDDEN))('src/%s imports none of the folders it must not know', (folder) => {
    const offending: string[] = [];
    for (const file of filesOf(path.join(SRC, folder))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!));
        const top = target.split(path.sep)[0]!;
        if (FORBIDDEN[folder]!.includes(top)) offending.push(`${path.relative(SRC, file)} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

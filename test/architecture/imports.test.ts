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

/** The src/-relative paths a module imports (static, type-only, re-exports and dynamic imports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => path.relative(SRC, path.resolve(path.dirname(file), m[1]!)));
}

describe('import direction', () => {
  it.each(Object.keys(FORBIDDEN))('src/%s imports none of the folders it must not know', (folder) => {
    const offending: string[] = [];
    for (const file of filesOf(path.join(SRC, folder))) {
      for (const target of importsOf(file)) {
        const top = target.split(path.sep)[0]!;
        if (FORBIDDEN[folder]!.includes(top)) offending.push(`${path.relative(SRC, file)} -> ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the pipeline and the destinations import nothing from src/sources (a batch is all the pipeline sees)', () => {
    const offending = ['pipeline', 'destinations'].flatMap((folder) =>
      filesOf(path.join(SRC, folder)).flatMap((file) =>
        importsOf(file).filter((target) => target.split(path.sep)[0] === 'sources').map((target) => `${path.relative(SRC, file)} -> ${target}`),
      ),
    );
    expect(offending).toEqual([]);
  });

  it('the pipeline takes batches: past its ports it names no file source or ready file', () => {
    const offending = filesOf(path.join(SRC, 'pipeline'))
      .filter((file) => path.basename(file) !== 'ports.ts')
      .filter((file) => /\b(FileSource|ReadyFile)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(offending).toEqual([]);
  });

  it('prom-client stays out of every command but `wharf run`: only src/http loads the metrics; the sink the pipeline calls imports nothing', () => {
    const offending = filesOf(SRC)
      .filter((file) => !['http', 'observe'].includes(path.relative(SRC, file).split(path.sep)[0]!))
      .filter((file) => /from 'prom-client'/.test(readFileSync(file, 'utf8')) || importsOf(file).some((t) => t === path.join('observe', 'metrics.js')))
      .map((file) => path.relative(SRC, file));
    expect(offending).toEqual([]);
    expect(importsOf(path.join(SRC, 'observe', 'sink.ts'))).toEqual([]);
  });

  it('no transport is faked: only src/sources implements a FileSource', () => {
    const offending = filesOf(SRC)
      .filter((file) => path.relative(SRC, file).split(path.sep)[0] !== 'sources')
      .filter((file) => /implements\s+[^{]*\bFileSource\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(offending).toEqual([]);
  });
});

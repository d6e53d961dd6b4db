/**
 * Every fenced ```yaml block in README.md and docs/*.md is loaded by the real loader, and so is the
 * bundled config/wharf.yaml with its commented-out channel examples switched on: an example a user
 * copies must work.
 *
 * How a block is loaded (decided by its shape, nothing is skipped):
 * - a block with only comments is a header line shown on its own: it must parse to nothing;
 * - a mapping (top-level `kind`, `fields`, `columns` or `lookups`) goes through `compileMapping`,
 *   as a file in the repo's mappings/ folder (so `lookups/...` files resolve). A block that lacks
 *   `kind`/`format` gets `kind: order` and `format: json` added; a block whose first line is indented
 *   is a piece of `fields:` and is wrapped as `kind: order, format: json, fields: <block>`;
 * - anything else is a config: merged into a minimal config (a warehouse folder, no merchants), a
 *   top-level `channels:` is put under a merchant `example`, and it goes through `loadConfig`.
 *   Secrets are stand-ins: every `${NAME}` gets a value in the loader's env, and every `file:/path`
 *   reference points at a stand-in file in a temp folder.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { compileMapping } from '../../src/mapping/index.js';
import { ROOT } from '../helpers/e2e.js';

interface Block {
  file: string;
  line: number;
  text: string;
}

function yamlBlocks(file: string): Block[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: Block[] = [];
  for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
    out.push({ file, line: text.slice(0, m.index).split('\n').length, text: m[1]! });
  }
  return out;
}

const FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const BLOCKS = FILES.flatMap(yamlBlocks);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-docs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function parse(text: string, where: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${where}: not valid YAML: ${doc.errors[0]!.message}`);
  return doc.toJS() as unknown;
}

const MAPPING_KEYS = ['kind', 'fields', 'columns', 'lookups', 'groupBy', 'each'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Secret stand-ins shaped like the real thing where the schema checks the shape (by key name). */
const SHAPED: Record<string, string> = {
  consumerKey: `ck_${'0'.repeat(40)}`,
  consumerSecret: `cs_${'0'.repeat(40)}`,
  url: 'postgres://wharf@127.0.0.1:5432/test',
};

/** Replaces `file:` references with stand-in files and collects `${NAME}` references with stand-in values. */
function standIns(value: unknown, env: Record<string, string>, key = ''): unknown {
  if (typeof value === 'string') {
    const standIn = SHAPED[key] ?? 'stand-in';
    for (const m of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]!] = standIn;
    if (value.startsWith('file:')) {
      const f = path.join(tmp, 'secrets', value.slice(5).replace(/^\/+/, ''));
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, `${standIn}\n`);
      return `file:${f}`;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => standIns(v, env, key));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, standIns(v, env, k)]));
  return value;
}

let n = 0;
function loadAsConfig(raw: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const body = 'channels' in raw ? { merchants: { example: { channels: raw.channels } }, ...Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'channels')) } : raw;
  const env: Record<string, string> = {};
  const cfg = standIns(merge({ warehouse: { orders: { path: path.join(tmp, 'warehouse') } }, merchants: {} }, body), env);
  const file = path.join(tmp, `config-${++n}.yaml`);
  writeFileSync(file, stringify(cfg));
  return loadConfig(file, env);
}

function loadAsMapping(raw: Record<string, unknown>, name: string): ReturnType<typeof compileMapping> {
  const doc = { ...(raw.kind ? {} : { kind: 'order' }), ...(raw.format ? {} : { format: 'json' }), ...raw };
  return compileMapping(doc, path.join(ROOT, 'mappings', `${name}.yaml`));
}

describe('YAML examples in README.md and docs/', () => {
  it('there are examples to check', () => {
    expect(BLOCKS.length).toBeGreaterThan(5);
  });

  it.each(BLOCKS.map((b) => [`${b.file}:${b.line}`, b] as const))('%s loads', (where, b) => {
    const firstLine = b.text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
    const raw = parse(firstLine.startsWith(' ') ? `fields:\n${b.text}` : b.text, where);
    if (raw === null || raw === undefined) {
      // Only comments: a header line shown on its own.
      expect(b.text.split('\n').every((l) => l.trim() === '' || l.trim().startsWith('#')), where).toBe(true);
      return;
    }
    expect(isPlainObject(raw), `${where}: a YAML mapping at the top`).toBe(true);
    const obj = raw as Record<string, unknown>;
    if (Object.keys(obj).some((k) => MAPPING_KEYS.includes(k))) {
      const m = loadAsMapping(obj, `docs-example-${b.line}`);
      expect(m.kind).toBeDefined();
    } else {
      const cfg = loadAsConfig(obj);
      expect(cfg.file).toBeDefined();
    }
  });
});

describe('the bundled config/wharf.yaml', () => {
  const text = readFileSync(path.join(ROOT, 'config', 'wharf.yaml'), 'utf8');

  it('loads as it is', () => {
    const cfg = loadConfig(path.join(ROOT, 'config', 'wharf.yaml'), {});
    expect(cfg.channels.map((c) => c.key)).toEqual(['demo/dropbox']);
  });

  it('loads with its commented-out channel examples switched on (placeholders included)', () => {
    // The examples are the commented lines indented under `channels:` that start with `#   ` or `# <name>:`.
    const on = text.replace(/^(\s+)# ( {2}\S.*|\S+:\s*)$/gm, (_m, indent: string, rest: string) => `${indent}${rest}`);
    expect(on).not.toBe(text);
    const raw = parse(on, 'config/wharf.yaml (examples on)') as Record<string, unknown>;
    const file = path.join(tmp, 'bundled-examples.yaml');
    const env: Record<string, string> = {};
    const cfg = standIns(raw, env) as Record<string, any>;
    // Relative paths of the bundled config are relative to config/.
    cfg.ledger.path = path.join(tmp, 'bundled.sqlite');
    cfg.mappings = path.join(ROOT, 'mappings');
    cfg.dataDir = path.join(tmp, 'var');
    cfg.warehouse.orders.path = path.join(tmp, 'warehouse');
    cfg.merchants.demo.channels.dropbox.path = path.join(tmp, 'inbox');
    writeFileSync(file, stringify(cfg));
    const loaded = loadConfig(file, env);
    expect(loaded.channels.map((c) => c.key).sort()).toEqual(['demo/dropbox', 'demo/sftp', 'demo/webshop']);
  });
});

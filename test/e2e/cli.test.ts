/**
 * The integrator's verbs through the real CLI: `validate`, `map`, `check` and `retry`.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import {
  MERCHANT, ROOT, SAMPLES, asReportEntry, canonicalOrder, copyMappings, createWorkspace, expectedErrors, expectedRecords,
  isDateTime, killAllDaemons, orderFileName, wharf, type ReportEntry, type Workspace,
} from '../helpers/e2e.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await createWorkspace();
});
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

const GOOD: [string, string][] = [
  ['orders-semicolon.csv', 'demo-orders-csv'],
  ['orders-cancel.csv', 'demo-orders-csv'],
  ['orders.xml', 'demo-orders-xml'],
  ['orders.json', 'demo-orders-json'],
];
const BROKEN: [string, string][] = [
  ['broken/orders-broken.csv', 'demo-orders-csv'],
  ['broken/orders-broken.xml', 'demo-orders-xml'],
  ['broken/orders-broken.json', 'demo-orders-json'],
];

describe('wharf validate FILE --mapping NAME', () => {
  it.each(GOOD)('%s is valid: exit 0', async (sample, mapping) => {
    const r = await wharf(['validate', path.join(SAMPLES, sample), '--mapping', mapping]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`valid (${expectedRecords(sample).length} record`);
  });

  it.each(BROKEN)('%s is invalid: exit 1, every error printed with its record, line and field', async (sample, mapping) => {
    const file = path.join(SAMPLES, sample);
    const r = await wharf(['validate', file, '--mapping', mapping]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    const want = expectedErrors(sample);
    for (const e of want) {
      // One output line per error, naming the file, then record, line and field where known.
      const line = lines.find((l) =>
        l.startsWith(`${path.basename(sample)}: `) && l.endsWith(e.message)
        && (e.recordNo === null || l.includes(`record ${e.recordNo}`))
        && (e.line === null || l.includes(`line ${e.line}`))
        && (e.path === '' || l.includes(`${e.path}: `)));
      expect(line, `an output line with record ${e.recordNo}, line ${e.line}, field ${e.path}: ${e.message}\n${r.stdout}`).toBeDefined();
    }
    expect(lines.filter((l) => l.startsWith(`${path.basename(sample)}: `))).toHaveLength(want.length);
    expect(r.stdout).toMatch(/INVALID/);

    // The machine-readable form lists exactly the expected errors.
    const j = await wharf(['validate', file, '--mapping', mapping, '--json']);
    expect(j.code).toBe(1);
    const parsed = JSON.parse(j.stdout) as { valid: boolean; errors: ReportEntry[] };
    expect(parsed.valid).toBe(false);
    expect(parsed.errors.map(({ externalId: _x, ...rest }) => rest)).toEqual(want.map(asReportEntry));
  });

  it('exit 2 for a mapping that does not exist', async () => {
    const r = await wharf(['validate', path.join(SAMPLES, 'orders.xml'), '--mapping', 'no-such-mapping']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-mapping');
  });
});

describe('wharf map FILE --mapping NAME', () => {
  it.each(GOOD)('%s prints the canonical records as JSON', async (sample, mapping) => {
    const r = await wharf(['map', path.join(SAMPLES, sample), '--mapping', mapping, '--merchant', MERCHANT, '--channel', 'preview-ch']);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, unknown>[];
    const want = expectedRecords(sample);
    expect(got).toHaveLength(want.length);
    got.forEach((rec, i) => {
      const receivedAt = (rec.source as { receivedAt?: unknown }).receivedAt;
      expect(isDateTime(receivedAt)).toBe(true);
      expect(rec).toEqual(canonicalOrder(want[i]!, { channel: 'preview-ch', sourceType: 'file', fileName: path.basename(sample), record: i + 1, receivedAt }));
    });
  });

  it('a broken file: exit 1, errors on stderr, only the valid records on stdout', async () => {
    const r = await wharf(['map', path.join(SAMPLES, 'broken/orders-broken.csv'), '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(1);
    const got = JSON.parse(r.stdout) as { externalId: string }[];
    expect(got.map((o) => o.externalId)).toEqual(['WEB-20006', 'WEB-20007', 'WEB-20008']);
    expect(r.stderr).toContain('record 1, line 2: lines[0].quantity');
  });
});

describe('wharf check', () => {
  it('exit 0 on the bundled config/wharf.yaml', async () => {
    const r = await wharf(['check', '--config', path.join(ROOT, 'config', 'wharf.yaml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid/);
    for (const m of ['demo-orders-csv', 'demo-orders-json', 'demo-orders-xml']) expect(r.stdout).toContain(`mapping ${m}: ok`);
  });

  /** Writes a variant of the workspace config and runs `wharf check` on it. */
  async function checkVariant(name: string, edit: (cfg: Record<string, any>) => void, env: NodeJS.ProcessEnv = {}) {
    const cfg = ws.configObject() as Record<string, any>;
    edit(cfg);
    const file = path.join(ws.root, name);
    await fs.writeFile(file, toYaml(cfg));
    return wharf(['check', '--config', file], { env });
  }

  it('an unknown key: non-zero, the message names its key path', async () => {
    const r = await checkVariant('unknown-key.yaml', (c) => {
      c.merchants.demo.channels.dropbox.pollIntervall = 5;
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('merchants.demo.channels.dropbox.pollIntervall');
  });

  it('an unknown top-level key: non-zero, the message names it', async () => {
    const r = await checkVariant('unknown-top.yaml', (c) => {
      c.ledgr = { driver: 'sqlite' };
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\bledgr\b/);
  });

  it('a wrong type: non-zero, the message names its key path', async () => {
    const r = await checkVariant('wrong-type.yaml', (c) => {
      c.merchants.demo.channels.dropbox.minAge = 'soon';
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('merchants.demo.channels.dropbox.minAge');
    expect(r.stderr).toMatch(/number/);
  });

  it('a missing env secret: non-zero, the message names the key path and the variable, not a value', async () => {
    const r = await checkVariant('missing-secret.yaml', (c) => {
      c.ledger = { driver: 'postgres', url: '${WHARF_E2E_DATABASE_URL}' };
    }, { WHARF_E2E_DATABASE_URL: undefined });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ledger.url');
    expect(r.stderr).toContain('WHARF_E2E_DATABASE_URL');
  });

  it('a present env secret is resolved and never printed', async () => {
    const secret = 'postgres://wharf:s3cr3t-e2e-value@127.0.0.1:1/none';
    const r = await checkVariant('present-secret.yaml', (c) => {
      c.ledger = { driver: 'postgres', url: '${WHARF_E2E_DATABASE_URL}' };
    }, { WHARF_E2E_DATABASE_URL: secret });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-e2e-value');
  });

  it('a mapping the config names that does not exist: exit 2 (a config error), naming it', async () => {
    const r = await checkVariant('missing-mapping.yaml', (c) => {
      c.merchants.demo.channels.dropbox.files = [{ pattern: '*.csv', mapping: 'no-such-mapping' }];
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('mapping no-such-mapping: ERROR');
  });
});

describe('wharf retry', () => {
  it('a file quarantined because of a broken mapping is delivered after the mapping is fixed', async () => {
    const rw = await createWorkspace();
    try {
      const maps = await copyMappings(rw);
      const file = path.join(maps, 'demo-orders-csv.yaml');
      const good = readFileSync(file, 'utf8');
      // Break the copy: a column the file does not have.
      const broken = good.replace('shipping.method: Verzendmethode', 'shipping.method: { path: Verzendwijze, required: true }');
      expect(broken).not.toBe(good);
      await fs.writeFile(file, broken);
      rw.writeConfig({ mappings: maps });

      await rw.drop('orders-semicolon.csv');
      const first = await rw.once();
      expect(first.code, first.stderr).toBe(0);
      expect(rw.warehouseFiles()).toEqual([]);
      expect(rw.quarantineFiles()).toEqual(['orders-semicolon.csv', 'orders-semicolon.csv.errors.json']);
      expect(rw.report('orders-semicolon.csv').errors[0]!.message).toContain('Verzendwijze');
      const before = await rw.status();
      expect(before.quarantined).toHaveLength(1);
      const id = before.quarantined[0]!.id;

      // Retrying before the fix fails again (exit 1), delivers nothing.
      const early = await rw.wharf(['retry', String(id)]);
      expect(early.code, early.stdout + early.stderr).toBe(1);
      expect(rw.warehouseFiles()).toEqual([]);
      const stillId = (await rw.status()).quarantined[0]!.id;

      await fs.writeFile(file, good);
      const r = await rw.wharf(['retry', String(stillId)]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const want = expectedRecords('orders-semicolon.csv');
      expect(rw.warehouseFiles()).toEqual(want.map((v) => orderFileName(String(v.externalId))).sort());
      for (const [i, v] of want.entries()) {
        const got = rw.readWarehouse(orderFileName(String(v.externalId)));
        const receivedAt = (got.source as { receivedAt?: unknown }).receivedAt;
        expect(isDateTime(receivedAt)).toBe(true);
        expect(got).toEqual(canonicalOrder(v, { fileName: 'orders-semicolon.csv', record: i + 1, receivedAt }));
      }
      // The retried file is archived like any imported file, not deleted, and its report is gone.
      expect(rw.quarantineFiles()).toEqual([]);
      expect(rw.archived()).toEqual([`${new Date().toISOString().slice(0, 10)}/orders-semicolon.csv`]);
      expect(readFileSync(path.join(rw.archive, rw.archived()[0]!), 'utf8')).toBe(readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      expect(r.stdout).toContain('archived as');
      const after = await rw.status();
      expect(after.quarantined).toEqual([]);
      expect(after.outbox).toEqual({ pending: 0, failed: 0, delivered: want.length });

      // A retry of an id that is no longer quarantined: exit 1, nothing more delivered.
      const again = await rw.wharf(['retry', String(stillId)]);
      expect(again.code).toBe(1);
      expect(rw.warehouseFiles()).toHaveLength(want.length);
      // And a later pass does not deliver anything twice.
      const once = await rw.once();
      expect(once.code).toBe(0);
      expect(rw.warehouseFiles()).toHaveLength(want.length);
    } finally {
      await rw.dispose();
    }
  });
});

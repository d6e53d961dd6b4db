import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, wharf, type CliResult } from '../cli.js';

/**
 * A throw-away Wharf installation for one webshop channel, driven through the real CLI: a temp
 * config (SQLite ledger, the repo's mappings, a warehouse order folder) with one merchant `acme`
 * and one channel whose YAML body the test supplies (secrets as `${ENV}` references).
 */
export interface CliChannel {
  work: string;
  config: string;
  /** `acme/<channel>`. */
  key: string;
  /** Runs `wharf <args> --config <temp config>` with these environment variables. */
  run(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult>;
  /** The warehouse order folder's file names, sorted. */
  warehouse(): Promise<string[]>;
  /** Order files (not cancellations) in the warehouse folder. */
  orderFiles(): Promise<string[]>;
  cancelFiles(): Promise<string[]>;
  /** A canonical order file of the warehouse folder, parsed. */
  read<T = CanonicalOrder>(name: string): Promise<T>;
  /** The channel's row of `wharf status --json`. */
  status(env: NodeJS.ProcessEnv): Promise<{ channel: string; lastError: string | null; lastErrorAt: string | null; lastOkAt: string | null }>;
  remove(): Promise<void>;
}

export interface CanonicalOrder {
  id: string;
  externalId: string;
  orderNumber?: string;
  status?: string;
  shipTo: { name: string; street: string; houseNumber?: string; houseNumberSuffix?: string; addressLine2?: string; postalCode: string; city: string; country: string };
  shipping?: { method?: string; carrier?: string; pickupPoint?: { id?: string; name?: string } };
  lines: { sku: string; ean?: string; quantity: number; unitPrice?: string }[];
  totals?: { total?: string; shipping?: string };
  createdAt: string;
}

export async function cliChannel(channel: string, channelYaml: string): Promise<CliChannel> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), `wharf-${channel}-cli-`));
  const config = path.join(work, 'wharf.yaml');
  const indented = channelYaml.trim().split('\n').map((l) => `        ${l}`).join('\n');
  await fs.writeFile(
    config,
    `ledger: { path: ${work}/wharf.sqlite }
mappings: ${path.join(REPO, 'mappings')}
dataDir: ${work}/var
schedule: { timezone: Europe/Amsterdam }
warehouse:
  orders: { path: ${work}/warehouse }
merchants:
  acme:
    channels:
      ${channel}:
${indented}
`,
  );
  const dir = path.join(work, 'warehouse');
  const warehouse = () => fs.readdir(dir).then((f) => f.filter((n) => !n.startsWith('.')).sort(), () => [] as string[]);
  return {
    work,
    config,
    key: `acme/${channel}`,
    run: (args, env, timeoutMs) => wharf([...args, '--config', config], { env, timeoutMs }),
    warehouse,
    orderFiles: async () => (await warehouse()).filter((f) => f.endsWith('.json') && !f.endsWith('.cancel.json')),
    cancelFiles: async () => (await warehouse()).filter((f) => f.endsWith('.cancel.json')),
    read: async <T>(name: string) => JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as T,
    status: async (env) => {
      const r = await wharf(['status', '--json', '--config', config], { env });
      if (r.code !== 0) throw new Error(`wharf status failed (${r.code}): ${r.stderr}`);
      const s = JSON.parse(r.stdout) as { channels: { merchant: string; channel: string; lastError: string | null; lastErrorAt: string | null; lastOkAt: string | null }[] };
      const row = s.channels.find((c) => c.merchant === 'acme' && c.channel === channel);
      if (!row) throw new Error(`wharf status lists no channel acme/${channel}`);
      return row;
    },
    remove: () => fs.rm(work, { recursive: true, force: true }),
  };
}

/** The number printed as "N new" by `wharf sync` (undefined when the line is missing). */
export function newCount(stdout: string): number | undefined {
  const m = /: (\d+) new,/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

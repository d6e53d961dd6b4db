/**
 * End-to-end helpers: a temp workspace with its own config (inbox, warehouse and var folders, a
 * SQLite ledger, small minAge/pollInterval, the repo's mappings), the real CLI spawned as a node
 * process on bin/wharf.js (so the tests exercise dist/, built by `npm test`'s pretest), and
 * `waitFor` to wait for an observable outcome with a deadline — never a fixed sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { stringify as toYaml } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'wharf.js');
export const MAPPINGS = path.join(ROOT, 'mappings');
export const SAMPLES = path.join(ROOT, 'samples');
export const EXPECTED = path.join(ROOT, 'test', 'expected');

export const MERCHANT = 'demo';
export const CHANNEL = 'dropbox';

/** RFC 3339 date-time with an offset (what `source.receivedAt` must be). */
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function isDateTime(v: unknown): boolean {
  return typeof v === 'string' && DATE_TIME.test(v) && !Number.isNaN(Date.parse(v));
}

// ---------------------------------------------------------------------------------------------
// waitFor

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  what?: string;
  /** Fail at once (with its log) when this daemon exits while waiting. */
  daemon?: Daemon;
}

/**
 * Polls `predicate` until it returns something truthy (returned) or the deadline passes (throws,
 * naming what was awaited and the last value seen).
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await predicate();
      last = v;
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (opts.daemon && !opts.daemon.alive) {
      throw new Error(`the daemon exited (${JSON.stringify(opts.daemon.exit)}) while waiting for ${opts.what ?? 'a condition'}\n--- daemon stderr (tail) ---\n${opts.daemon.tail()}`);
    }
    if (Date.now() > deadline) {
      const why = lastError ? `; last error: ${String(lastError)}` : `; last value: ${JSON.stringify(last)}`;
      const log = opts.daemon ? `\n--- daemon stderr (tail) ---\n${opts.daemon.tail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${why}${log}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** pino JSON lines of a stderr text (non-JSON lines are skipped). */
export function parseLogs(stderr: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut off by a kill
    }
  }
  return out;
}

function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.WHARF_CONFIG;
  delete env.WHARF_LOG_LEVEL;
  delete env.FORCE_COLOR;
  return env;
}

/** Runs `node bin/wharf.js ...args` to completion (killed after `timeoutMs`). */
export function wharf(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wharf ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A `wharf run` child process. */
export class Daemon {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.proc = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get alive(): boolean {
    return this.exit === undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  logs(): LogLine[] {
    return parseLogs(this.stderr);
  }

  tail(n = 30): string {
    return this.stderr.split('\n').slice(-n).join('\n');
  }

  /** Waits until the daemon logged that it is running (its channels are open and watched). */
  async ready(timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.logs().some((l) => /wharf is running/.test(l.msg)), { timeoutMs, what: '"wharf is running" in the log', daemon: this });
  }

  /** Sends `signal` and waits for the exit; SIGKILLs (and throws) if it does not exit in time. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exited;
    this.proc.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const result = await Promise.race([this.exited, timer]);
    if (result === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`wharf run did not exit within ${timeoutMs} ms of ${signal}\n${this.tail()}`);
    }
    return result;
  }

  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.stop('SIGKILL');
  }
}

const running = new Set<Daemon>();

/** SIGKILLs every daemon this test process started and has not seen exit (for afterEach/afterAll). */
export async function killAllDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.kill().catch(() => undefined)));
}

// ---------------------------------------------------------------------------------------------
// Workspaces

export interface ChannelOptions {
  minAge?: number;
  pollInterval?: number;
  onInvalid?: 'rejectFile' | 'acceptValid';
  maxFileSize?: number;
  afterImport?: 'archive' | 'delete' | 'keep';
  watch?: boolean;
  maxFilesPerPoll?: number;
  files?: { pattern: string; mapping: string }[];
}

export interface WorkspaceOptions extends ChannelOptions {
  /** Mappings folder (default: the repo's mappings/). */
  mappings?: string;
  /** Seconds between outbox looks (default 0.5). */
  deliveryInterval?: number;
  logLevel?: string;
  /** The config's `http:` section (none by default: `wharf run` then starts no HTTP server). */
  http?: Record<string, unknown>;
  /** More channels of merchant `demo` besides the folder channel (e.g. a webshop channel), by name. */
  extraChannels?: Record<string, Record<string, unknown>>;
  /** More merchants, as in the config's `merchants:` (e.g. a second merchant with its own folder channel). */
  extraMerchants?: Record<string, Record<string, unknown>>;
}

export const DEFAULT_RULES = [
  { pattern: '*.csv', mapping: 'demo-orders-csv' },
  { pattern: '*.xml', mapping: 'demo-orders-xml' },
  { pattern: '*.json', mapping: 'demo-orders-json' },
];

export class Workspace {
  readonly inbox: string;
  readonly warehouse: string;
  readonly varDir: string;
  readonly configPath: string;
  readonly quarantine: string;
  readonly archive: string;
  mappingsDir: string;

  constructor(readonly root: string, readonly options: WorkspaceOptions) {
    this.inbox = path.join(root, 'inbox');
    this.warehouse = path.join(root, 'warehouse');
    this.varDir = path.join(root, 'var');
    this.configPath = path.join(root, 'wharf.yaml');
    this.quarantine = path.join(this.inbox, 'quarantine');
    this.archive = path.join(this.inbox, 'archive');
    this.mappingsDir = options.mappings ?? MAPPINGS;
  }

  /** The config as an object (written by `writeConfig`). */
  configObject(overrides: WorkspaceOptions = {}): Record<string, unknown> {
    const o = { ...this.options, ...overrides };
    const channel: Record<string, unknown> = {
      type: 'folder',
      path: this.inbox,
      files: o.files ?? DEFAULT_RULES,
      afterImport: o.afterImport ?? 'archive',
      onInvalid: o.onInvalid ?? 'rejectFile',
      minAge: o.minAge ?? 0.2,
      pollInterval: o.pollInterval ?? 0.25,
    };
    if (o.maxFileSize !== undefined) channel.maxFileSize = o.maxFileSize;
    if (o.watch !== undefined) channel.watch = o.watch;
    if (o.maxFilesPerPoll !== undefined) channel.maxFilesPerPoll = o.maxFilesPerPoll;
    return {
      ledger: { driver: 'sqlite', path: path.join(this.varDir, 'wharf.sqlite') },
      mappings: o.mappings ?? this.mappingsDir,
      dataDir: this.varDir,
      log: { level: o.logLevel ?? 'info' },
      delivery: { interval: o.deliveryInterval ?? 0.5, maxBackoff: 2 },
      warehouse: { orders: { path: this.warehouse } },
      merchants: { [MERCHANT]: { name: 'E2E merchant', channels: { [CHANNEL]: channel, ...o.extraChannels } }, ...o.extraMerchants },
      ...(o.http ? { http: o.http } : {}),
    };
  }

  writeConfig(overrides: WorkspaceOptions = {}): void {
    if (overrides.mappings) this.mappingsDir = overrides.mappings;
    writeFileSyncAtomic(this.configPath, toYaml(this.configObject(overrides)));
  }

  /** `wharf <verb> ... --config <this workspace's config>`. */
  wharf(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    return wharf([...args, '--config', this.configPath], { cwd: this.root, ...opts });
  }

  /** `wharf once` on this workspace; `timeoutMs` for passes over large inputs (default as `wharf`). */
  once(timeoutMs?: number): Promise<CliResult> {
    return this.wharf(['once'], timeoutMs ? { timeoutMs } : {});
  }

  async status(): Promise<StatusJson> {
    const r = await this.wharf(['status', '--json']);
    if (r.code !== 0) throw new Error(`wharf status failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** Starts `wharf run` on this workspace. */
  start(env?: NodeJS.ProcessEnv): Daemon {
    return new Daemon(['run', '--config', this.configPath], { cwd: this.root, env });
  }

  /** Copies a sample (path relative to samples/, or absolute) into the inbox, optionally renamed. */
  async drop(sample: string, name = path.basename(sample)): Promise<string> {
    const from = path.isAbsolute(sample) ? sample : path.join(SAMPLES, sample);
    const to = path.join(this.inbox, name);
    await fs.mkdir(this.inbox, { recursive: true });
    await fs.copyFile(from, to);
    return to;
  }

  /** Writes content into the inbox under `name`. */
  async put(name: string, content: string | Buffer): Promise<string> {
    const to = path.join(this.inbox, name);
    await fs.mkdir(this.inbox, { recursive: true });
    await fs.writeFile(to, content);
    return to;
  }

  /** Non-dot file names in the warehouse order folder, sorted. */
  warehouseFiles(): string[] {
    return listFiles(this.warehouse).filter((n) => !n.startsWith('.'));
  }

  /** Every file name in the warehouse folder, dot-files (temporaries) included. */
  warehouseAll(): string[] {
    return listFiles(this.warehouse);
  }

  readWarehouse(name: string): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(this.warehouse, name), 'utf8')) as Record<string, unknown>;
  }

  /** Files (not folders) directly in the inbox, dot-files included, sorted. */
  inboxFiles(): string[] {
    return listFiles(this.inbox);
  }

  /** Files in the quarantine folder, sorted. */
  quarantineFiles(): string[] {
    return listFiles(this.quarantine);
  }

  report(name: string): QuarantineReport {
    return JSON.parse(readFileSync(path.join(this.quarantine, `${name}.errors.json`), 'utf8')) as QuarantineReport;
  }

  /** Archived files as `<day>/<name>`, sorted. */
  archived(): string[] {
    if (!existsSync(this.archive)) return [];
    return readdirSync(this.archive)
      .flatMap((day) => (statSync(path.join(this.archive, day)).isDirectory() ? listFiles(path.join(this.archive, day)).map((n) => `${day}/${n}`) : []))
      .sort();
  }

  async dispose(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-e2e-'));
  const ws = new Workspace(root, options);
  await fs.mkdir(ws.inbox, { recursive: true });
  ws.writeConfig();
  return ws;
}

/** Copies the repo's mappings (with their lookups) into a workspace folder the test may edit. */
export async function copyMappings(ws: Workspace, name = 'mappings'): Promise<string> {
  const dir = path.join(ws.root, name);
  await fs.cp(MAPPINGS, dir, { recursive: true });
  return dir;
}

export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function writeFileSyncAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// What the CLI and the files say

export interface ReportEntry {
  record?: number;
  line?: number;
  externalId?: string;
  field?: string;
  message: string;
}

export interface QuarantineReport {
  file: string;
  origin: string;
  merchant: string;
  channel: string;
  mapping: string;
  outcome: 'rejected' | 'partial';
  summary: string;
  recordsRead: number;
  recordsInvalid: number;
  recordsImported: number;
  errors: ReportEntry[];
  moreErrors: number;
  hint: string;
  [k: string]: unknown;
}

export interface StatusJson {
  ledger: string;
  channels: {
    merchant: string;
    channel: string;
    type: string;
    files: Record<'imported' | 'partial' | 'duplicate' | 'quarantined' | 'retried', number>;
    records: number;
    duplicateRecords: number;
    lastPollAt: string | null;
    lastError: string | null;
  }[];
  quarantined: { id: number; name: string; status: string; quarantinePath: string | null; error: string | null; merchant: string; channel: string }[];
  outbox: { pending: number; failed: number; delivered: number };
  failedDeliveries: unknown[];
  recentDuplicates: { recordId: string; fileName: string; at: string; changed: boolean }[];
}

// ---------------------------------------------------------------------------------------------
// Expected outcomes (test/expected/, written for the mapping tests)

export function expectedRecords(sample: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(path.join(EXPECTED, `${path.basename(sample)}.records.json`), 'utf8')) as Record<string, unknown>[];
}

/** The shape of test/expected/*.errors.json. */
export interface ExpectedError {
  recordNo: number | null;
  line: number | null;
  path: string;
  message: string;
}

export function expectedErrors(sample: string): ExpectedError[] {
  return JSON.parse(readFileSync(path.join(EXPECTED, `${path.basename(sample)}.errors.json`), 'utf8')) as ExpectedError[];
}

/**
 * An expected error in the quarantine report's / `validate --json`'s field names: record, line,
 * field, message (a whole-file error before the first record has neither record nor field).
 */
export function asReportEntry(e: ExpectedError): ReportEntry {
  return {
    ...(e.recordNo !== null ? { record: e.recordNo } : {}),
    ...(e.line !== null ? { line: e.line } : {}),
    ...(e.recordNo !== null || e.path !== '' ? { field: e.path } : {}),
    message: e.message,
  };
}

/** A mapped record as the pipeline turns it into a canonical order (receivedAt checked separately). */
export function canonicalOrder(
  value: Record<string, unknown>,
  p: { merchant?: string; channel?: string; sourceType?: string; fileName: string; record: number; receivedAt?: unknown },
): Record<string, unknown> {
  const merchant = p.merchant ?? MERCHANT;
  const channel = p.channel ?? CHANNEL;
  return {
    id: `${merchant}:${channel}:${String(value.externalId)}`,
    merchant,
    channel,
    ...value,
    status: value.status ?? 'open',
    source: { type: p.sourceType ?? 'folder', name: p.fileName, record: p.record, receivedAt: p.receivedAt },
  };
}

/** The warehouse file name of an order (`<merchant>-<channel>-<externalId>[.cancel].json`). */
export function orderFileName(externalId: string, cancel = false, merchant = MERCHANT, channel = CHANNEL): string {
  return `${merchant}-${channel}-${externalId}${cancel ? '.cancel' : ''}.json`;
}

/** The first data row of samples/orders-semicolon.csv with another order number: a one-line order file. */
export function singleOrderCsv(orderNumber: string): string {
  const [header, row] = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split('\n');
  return `${header}\n${row!.replace('WEB-10421', orderNumber)}\n`;
}

/**
 * For a test file: registers an `afterEach` that stops every daemon and removes the workspaces made
 * through the returned function during that test.
 */
export function workspacesPerTest(): (...args: Parameters<typeof createWorkspace>) => Promise<Workspace> {
  const made: Workspace[] = [];
  afterEach(async () => {
    await killAllDaemons();
    await Promise.all(made.splice(0).map((w) => w.dispose()));
  });
  return async (...args) => {
    const ws = await createWorkspace(...args);
    made.push(ws);
    return ws;
  };
}

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { WharfError, describeError } from '../errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { JobProgress } from '../daemon/api-channel.js';
import { CliExit, EXIT, cliLogger, config, print, store, type GlobalOptions } from './context.js';
import { exitFor, usage } from './exit.js';
import type { PreviewOptions } from './preview.js';

// Each verb imports what it runs when it runs (`await import(...)`): loading every module of every
// verb was a good part of each process start (docs/benchmarks.md "Process start").

/** The package version (package.json sits two folders above dist/cli/). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command();
program
  .name('wharf')
  .description('File-driven EDI/SFTP batch gateway for e-commerce fulfilment.')
  .version(VERSION, '-V, --version', 'print the version of wharf')
  .option('-c, --config <file>', 'config file (default: $WHARF_CONFIG or config/wharf.yaml)')
  .option('-v, --verbose', 'debug logging on stderr')
  // Every verb's --help lists --config and -v too; both are accepted before or after the verb.
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError()
  // Usage errors become CommanderErrors (exit 2 in exitFor) instead of commander's own exit 1.
  .exitOverride()
  // The verb names this process in the ledger leases it takes ("being pulled by the running daemon (pid N)").
  .hook('preAction', async (_program, action) => (await import('../schedule/lease.js')).setLeaseRole(action.name()));

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

/** The config, for verbs that read and deliver: every mapping it names must load and fit its use (else exit 2). */
async function usableConfig(): Promise<LoadedConfig> {
  const [{ assertMappings }, { platformMappings }] = await Promise.all([import('../config/mappings.js'), import('../connectors/platforms.js')]);
  const cfg = config(globals());
  await assertMappings(cfg, platformMappings);
  return cfg;
}

program
  .command('run')
  .description('run the daemon: every channel and delivery, until SIGTERM/SIGINT (finishes the file in hand, stops within shutdownTimeout)')
  .action(async () => {
    const { Gateway } = await import('../daemon/gateway.js');
    const cfg = await usableConfig();
    const logger = cliLogger(globals(), cfg.logLevel);
    const ledger = await store(cfg);
    const gateway = await Gateway.open(cfg, ledger, logger);
    const http = cfg.http ? await (await import('../http/daemon-server.js')).startDaemonHttp(cfg.http, { config: cfg, store: ledger, logger, gateway }) : undefined;
    const stop = (signal: string) => {
      logger.info(`received ${signal}: finishing the file in hand, then stopping (at most ${cfg.shutdownTimeoutMs / 1000} s)`);
      gateway.stop();
      // The bound, whatever is still running (a huge file, a slow server): the ledger keeps every
      // commit, and a file not yet committed is read again at the next start (its hash makes that safe).
      setTimeout(() => {
        logger.error(`still busy ${cfg.shutdownTimeoutMs / 1000} s after ${signal} (shutdownTimeout): exiting now; unfinished work is picked up at the next start`);
        process.exit(EXIT.failed);
      }, cfg.shutdownTimeoutMs).unref();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    try {
      await gateway.run();
    } finally {
      await http?.close();
    }
    await ledger.close();
    // Last: after the HTTP server's connections and the ledger are closed (logged earlier, a refused
    // request's line could follow it).
    logger.info('wharf stopped cleanly');
  });

program
  .command('once')
  .description('one pass: poll every channel once, process all complete files, make all due deliveries, exit')
  .action(async () => {
    const { Gateway } = await import('../daemon/gateway.js');
    const cfg = await usableConfig();
    const logger = cliLogger(globals(), cfg.logLevel);
    const ledger = await store(cfg);
    const t = await (await Gateway.open(cfg, ledger, logger, 'once')).once();
    await ledger.close();
    print(`files: ${t.files} (${t.imported} imported, ${t.partial} partially imported, ${t.duplicates} duplicate, ${t.quarantined} quarantined)`);
    print(`orders: ${t.newOrders} new, ${t.cancellations} cancelled; deliveries: ${t.deliveries.delivered} written, ${t.deliveries.unchanged} already present, ${t.deliveries.failed} failed`);
    for (const e of t.channelErrors) print(`channel ${e.channel} FAILED: ${e.error}`);
    // Bad files are reported, not fatal; a channel that could not be reached is.
    process.exitCode = t.channelErrors.length > 0 ? EXIT.failed : EXIT.ok;
  });

program
  .command('validate <file>')
  .description('parse, map and validate one file; print every error with record, line and field')
  .requiredOption('-m, --mapping <name>', 'input mapping name (file in mappings/ without .yaml)')
  .option('--mappings <dir>', 'mappings folder (default: from the config, else ./mappings)')
  .option('--channel <id>', 'read FILE as this channel or warehouse report source (@warehouse/<name>) of the config reads it (default: the one whose file rules match FILE)')
  .option('--json', 'machine-readable output')
  .action(async (file: string, o: PreviewOptions) => {
    const { validateCommand } = await import('./preview.js');
    process.exitCode = await validateCommand(file, { ...globals(), ...o });
  });

program
  .command('map <file>')
  .description("print the canonical records a file becomes (input mapping), or the file canonical records become (output mapping; FILE holds them as JSON or NDJSON)")
  .requiredOption('-m, --mapping <name>', 'input or output mapping name')
  .option('--mappings <dir>', 'mappings folder (default: from the config, else ./mappings)')
  .option('--merchant <id>', 'merchant id to put into the records', 'preview')
  .option('--channel <id>', 'read FILE as this channel or warehouse report source (@warehouse/<name>) of the config reads it (default: the one whose file rules match FILE); else only the channel id put into the records')
  .action(async (file: string, o: PreviewOptions) => {
    const { mapCommand } = await import('./preview.js');
    process.exitCode = await mapCommand(file, { ...globals(), ...o });
  });

program
  .command('check')
  .description('validate the config and compile every mapping it names')
  .action(async () => {
    // The same rule as run/once/sync: an invalid config, or a mapping it names that is missing, does
    // not compile or does not fit its use, is a config error (exit 2). A config that is valid but not
    // ready (an SFTP channel whose host key is not pinned yet) is a failed check (1).
    const [{ checkMappings }, { platformMappings }, { listMappingNames }] = await Promise.all([import('../config/mappings.js'), import('../connectors/platforms.js'), import('../mapping/index.js')]);
    const cfg = config(globals());
    const reports = cfg.reportSources.length > 0 ? `, ${cfg.reportSources.length} warehouse report source(s)` : '';
    print(`config ${cfg.file}: valid (${cfg.channels.length} channel(s)${reports}, ledger ${cfg.ledger.driver})`);
    const checks = await checkMappings(cfg, platformMappings);
    for (const c of checks) print(`mapping ${c.name}: ${c.ok ? `ok (${c.detail})` : `ERROR ${c.detail}`}`);
    // A channel without a pinned host key is being set up: it loads, but no poll will trust its server.
    const unpinned = [...cfg.channels, ...cfg.reportSources].filter((e) => e.config.type === 'sftp' && !e.config.hostKey);
    for (const e of unpinned) print(`channel ${e.key}: ERROR no hostKey pinned, so every poll fails closed; run \`wharf trust-host ${e.key}\`, confirm the fingerprint with the server's operator and set it as hostKey`);
    const names = new Set(checks.map((c) => c.name));
    const unused = listMappingNames(cfg.mappingsDir).filter((n) => !names.has(n));
    if (unused.length > 0) print(`not used by this config: ${unused.join(', ')}`);
    process.exitCode = !checks.every((c) => c.ok) ? EXIT.setup : unpinned.length > 0 ? EXIT.failed : EXIT.ok;
  });

program
  .command('status')
  .description('ledger summary: per channel last run and counts, quarantined files, pending deliveries')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const { exportStatuses, pushStatuses, renderStatus } = await import('./status.js');
    const cfg = config(globals());
    const ledger = await store(cfg);
    const summary = await ledger.summary();
    renderStatus(cfg, summary, Boolean(o.json), await exportStatuses(cfg, ledger), await pushStatuses(cfg, ledger, summary), await ledger.size());
    await ledger.close();
  });

program
  .command('prune')
  .description('apply ledger.retention once: delete delivered deliveries, finished order bodies and expired ids (the daemon does this every intervalMinutes)')
  .action(async () => {
    const { describeCounts, prune } = await import('../ledger/retention.js');
    const { formatBytes } = await import('./status.js');
    const cfg = config(globals());
    const ledger = await store(cfg);
    try {
      const before = await ledger.size();
      const tty = process.stdout.isTTY;
      let last = 0;
      const counts = await prune(ledger, cfg.retention, {
        onProgress: (task, c) => {
          // One line rewritten in place on a terminal; otherwise a line at most every 2 s.
          if (tty) process.stdout.write(`\r\x1b[Kpruning ${task}: ${describeCounts(c)}`);
          else if (Date.now() - last > 2000) {
            last = Date.now();
            print(`pruning ${task}: ${describeCounts(c)}`);
          }
        },
      });
      if (tty) process.stdout.write('\r\x1b[K');
      print(`pruned (bodies ${cfg.retention.bodiesDays} days, ids ${cfg.retention.idsDays} days): ${describeCounts(counts)}`);
      // SQLite reuses the freed pages; the file only shrinks with VACUUM (docs/config.md "Retention").
      print(`ledger size: ${formatBytes(before)} before, ${formatBytes(await ledger.size())} now`);
    } finally {
      await ledger.close();
    }
  });

program
  .command('retry [ids...]')
  .description('re-run quarantined files (file ids) or failed deliveries (d<id>) after fixing them')
  .option('--all', 'every quarantined file and failed delivery')
  .action(async (ids: string[], o: { all?: boolean }) => {
    if (!o.all && ids.length === 0) throw usage('name ids to retry (see `wharf status`) or pass --all');
    const [{ retryFiles }, { WarehouseDeliveries }] = await Promise.all([import('./retry.js'), import('../daemon/deliveries.js')]);
    const cfg = config(globals());
    const logger = cliLogger(globals(), cfg.logLevel);
    const ledger = await store(cfg);
    let ok = true;
    try {
      const bad = ids.filter((id) => !/^d?\d+$/.test(id));
      if (bad.length > 0) throw usage(`not an id: ${bad.join(', ')} (file ids are numbers, deliveries d<number>)`);
      const quarantined = await ledger.listQuarantined();
      const fileIds = ids.filter((i) => !i.startsWith('d')).map(Number);
      const rows = o.all ? quarantined : quarantined.filter((r) => fileIds.includes(r.id));
      for (const id of fileIds.filter((i) => !rows.some((r) => r.id === i))) {
        ok = false;
        print(`${id}: no quarantined file with that id (see \`wharf status\`)`);
      }
      ok = (await retryFiles(cfg, ledger, rows, logger)) && ok;
      const deliveryIds = ids.filter((i) => i.startsWith('d')).map((i) => Number(i.slice(1)));
      const requeued = await ledger.requeueFailedDeliveries(o.all ? 'all' : deliveryIds);
      if (o.all || deliveryIds.length > 0) print(`deliveries queued again: ${requeued}${requeued > 0 ? ' (the daemon, or `wharf once`, delivers them)' : ''}`);
      if (!o.all && requeued < deliveryIds.length) {
        ok = false;
        for (const id of deliveryIds) {
          const state = await ledger.deliveryState(id);
          if (state === 'failed' || state === 'pending') continue;
          print(state === 'delivered'
            ? `d${id}: delivered already; nothing to retry`
            : `d${id}: no such delivery in the ledger: it was never made, or it was delivered and then pruned by ledger.retention (delivered deliveries are kept ${cfg.retention.bodiesDays} days, see ledger.retention); a pruned delivery was delivered, and its content is no longer in the ledger`);
        }
      }
      if (rows.length > 0 || requeued > 0) {
        // Deliver what the retry produced right away, as `once` would.
        const deliveries = new WarehouseDeliveries(cfg, ledger, logger);
        const d = await deliveries.deliverDue();
        await deliveries.close();
        print(`deliveries: ${d.delivered} written, ${d.unchanged} already present, ${d.failed} failed`);
      }
    } finally {
      await ledger.close();
    }
    process.exitCode = ok ? EXIT.ok : EXIT.failed;
  });

program
  .command('test-connection <channel>')
  .description('reach the channel, authenticate, check permissions, and explain any failure in plain words')
  .action(async (name: string) => {
    const { findChannel } = await import('../config/load.js');
    const cfg = config(globals());
    const entry = findChannel(cfg, name);
    const logger = cliLogger(globals(), 'warn');
    const c = entry.config;
    const result =
      c.type === 'sftp' ? await (await import('../sources/sftp/index.js')).testSftpConnection(c, logger, { channel: entry.key })
        : c.type === 'folder' ? await (await import('./folder-check.js')).testFolder(c)
          : await (await import('../daemon/connectors.js')).connectorOf(entry, logger).testConnection();
    for (const s of result.steps) print(`${s.ok ? 'ok  ' : 'FAIL'} ${s.step}: ${s.detail}`);
    print(result.ok ? `${entry.key}: connection ok` : `${entry.key}: connection FAILED`);
    process.exitCode = result.ok ? EXIT.ok : EXIT.failed;
  });

program
  .command('trust-host <channel>')
  .description("fetch and print an SFTP server's host key fingerprint, to pin as hostKey")
  .action(async (name: string) => {
    const [{ findChannel }, { fetchHostKeyFingerprint }] = await Promise.all([import('../config/load.js'), import('../sources/sftp/index.js')]);
    const cfg = config(globals());
    const entry = findChannel(cfg, name);
    if (entry.config.type !== 'sftp') throw usage(`${entry.key} is a ${entry.config.type} channel; trust-host is for SFTP channels`);
    const { fingerprint, keyType } = await fetchHostKeyFingerprint(entry.config.host, entry.config.port ?? 22, (entry.config.connectTimeout ?? 20) * 1000);
    print(`${entry.config.host}:${entry.config.port ?? 22} offers a ${keyType} host key with fingerprint`);
    print(`  ${fingerprint}`);
    print('Check it with the server\'s administrator (for example `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server), then pin it in the channel:');
    print(`  hostKey: "${fingerprint}"`);
    if (entry.config.hostKey && entry.config.hostKey !== fingerprint) print(`NOTE: the config currently pins ${entry.config.hostKey}, which does NOT match.`);
  });

program
  .command('sync <channel>')
  .argument('[job]', 'orders | products (products: webshop channels only) | stock | shipments (a webshop channel merchant/channel: push to the shop; a merchant: its export)', 'orders')
  .option('--dry-run', 'stock/shipments push: print what would be sent; send and change nothing')
  .option('--full', 'stock push: push every SKU again, not only the changed ones')
  .description('run one channel job now (orders: one look at the channel and everything ready in it; stock/shipments: the push to a webshop channel, or the merchant\'s export, now)')
  .action(async (name: string, job: string, o: { dryRun?: boolean; full?: boolean }) => {
    const cfg = await usableConfig();
    if (job === 'stock' || job === 'shipments') {
      const [{ findPushChannel, syncPush }, { findExport, syncExport }] = await Promise.all([import('./push-sync.js'), import('./export-sync.js')]);
      const push = findPushChannel(cfg, name);
      if (push.note) process.stderr.write(`wharf: note: ${push.note}\n`);
      if (push.channel) {
        await syncPush(cfg, push.channel, job, cliLogger(globals(), cfg.logLevel), o);
        return;
      }
      if (o.dryRun || o.full) throw usage('--dry-run and --full belong to the push to a webshop channel (wharf sync merchant/channel stock|shipments)');
      await syncExport(cfg, findExport(cfg, name, job), cliLogger(globals(), cfg.logLevel));
      return;
    }
    if (!['orders', 'products'].includes(job)) throw usage(`${job} is not a job: use orders or products (with a channel), or stock or shipments (with a merchant: its export)`);
    const [{ findChannel }, { connectorOf, isApiChannelType }, { runApiJob }, { WarehouseDeliveries }, { Gateway }] = await Promise.all([
      import('../config/load.js'), import('../daemon/connectors.js'), import('../daemon/api-channel.js'), import('../daemon/deliveries.js'), import('../daemon/gateway.js'),
    ]);
    const entry = findChannel(cfg, name);
    const logger = cliLogger(globals(), cfg.logLevel);
    if (isApiChannelType(entry.config.type)) {
      if (job !== 'orders' && job !== 'products') throw usage(`${job} is not a job of this channel; use orders or products`);
      const ledger = await store(cfg);
      try {
        const progress = progressLine(`${entry.key} ${job}`);
        const r = await runApiJob(cfg, entry, connectorOf(entry, logger), job, ledger, logger, progress.update);
        progress.done();
        const deliveries = new WarehouseDeliveries(cfg, ledger, logger);
        const d = await deliveries.deliverDue();
        await deliveries.close();
        const fresh = r.results.reduce((n, x) => n + x.newRecords, 0);
        const quarantined = r.results.filter((x) => x.status === 'quarantined' || x.status === 'partial').length;
        print(`${entry.key} ${job}: ${r.records} record(s) in ${r.pages} page(s): ${fresh} new, ${quarantined} page(s) with invalid records quarantined; ${d.delivered} delivered`);
      } catch (err) {
        // Another process pulls this channel now: say who and since when, not "failed".
        if (err instanceof WharfError && err.code === 'CHANNEL_BUSY') throw new CliExit(EXIT.failed, `wharf: ${err.message}`);
        throw new CliExit(EXIT.failed, `wharf: ${entry.key} ${job} failed: ${describeError(err)}`);
      } finally {
        await ledger.close();
      }
      return;
    }
    if (job !== 'orders') throw usage(`${entry.key} is a ${entry.config.type} channel; it only has the orders job (products belong to webshop channels; stock and shipments are merchant exports: wharf sync MERCHANT stock|shipments)`);
    const ledger = await store(cfg);
    // This channel or report source only: no other sources, no exports (those run with `wharf once`/`run`, or `wharf sync MERCHANT stock`).
    const only = { ...cfg, channels: cfg.channels.filter((c) => c === entry), reportSources: cfg.reportSources.filter((r) => r === entry), exports: [] };
    const t = await (await Gateway.open(only, ledger, logger, 'once')).once();
    await ledger.close();
    print(`${entry.key}: ${t.files} file(s): ${t.imported} imported, ${t.partial} partial, ${t.duplicates} duplicate, ${t.quarantined} quarantined; ${t.newOrders} new orders, ${t.deliveries.delivered} delivered`);
    process.exitCode = t.channelErrors.length > 0 ? EXIT.failed : EXIT.ok;
  });

const webhooks = program.command('webhooks').description('order webhooks of a WooCommerce or Shopify channel (the scheduled pull stays on as the backstop); see docs/operations.md');
webhooks
  .command('install <channel>')
  .requiredOption('--url <url>', 'public address of this gateway\'s route, https://…/webhooks/<merchant>/<channel>')
  .description('subscribe the order webhooks at the shop (idempotent: installing twice leaves one per topic)')
  .action(async (name: string, o: { url: string }) => {
    const cfg = config(globals());
    await (await import('./webhooks.js')).webhooksCommand(cfg, 'install', name, o.url, cliLogger(globals(), 'warn'));
  });
webhooks
  .command('remove <channel>')
  .option('--url <url>', 'the address to remove (default: every webhook whose address has the path /webhooks/<merchant>/<channel>, on any host)')
  .description('delete the order webhooks pointing at this gateway from the shop (idempotent)')
  .action(async (name: string, o: { url?: string }) => {
    const cfg = config(globals());
    await (await import('./webhooks.js')).webhooksCommand(cfg, 'remove', name, o.url, cliLogger(globals(), 'warn'));
  });

/** A one-line progress indicator on a terminal (nothing when stderr is not a TTY, e.g. in logs). */
function progressLine(label: string): { update: (p: JobProgress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  return {
    update: (p) => {
      const secs = (Date.now() - started) / 1000;
      process.stderr.write(`\r${label}: page ${p.pages}, ${p.records} records, ${(p.records / Math.max(secs, 0.001)).toFixed(0)}/s   `);
    },
    done: () => process.stderr.write('\n'),
  };
}

// `wharf map … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  const { code, message } = exitFor(err);
  if (message) process.stderr.write(`${message}\n`);
  process.exitCode = code;
});

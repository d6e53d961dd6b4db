import type { Workspace } from './e2e.js';

/**
 * What the ledger says about channel `demo/<channel>` (`wharf status --json`): its files that were
 * duplicates of an earlier batch (same content), and the record duplicates whose content differed
 * from the first import (`changed`), and the record duplicates found by a pull (`fromPull`).
 */
export async function duplicatesOf(ws: Workspace, channel: string, env: NodeJS.ProcessEnv): Promise<{ duplicateFiles: number; changed: string[]; fromPull: { recordId: string; changed: boolean }[] }> {
  const r = await ws.wharf(['status', '--json'], { env });
  if (r.code !== 0) throw new Error(`wharf status failed (${r.code}): ${r.stderr}`);
  const s = JSON.parse(r.stdout) as {
    channels: { merchant: string; channel: string; files: Record<string, number> }[];
    recentDuplicates: { recordId: string; fileName: string; changed: boolean }[];
  };
  const row = s.channels.find((c) => c.merchant === 'demo' && c.channel === channel);
  return {
    duplicateFiles: row?.files.duplicate ?? 0,
    changed: s.recentDuplicates.filter((d) => d.changed).map((d) => d.recordId),
    // Pulled pages are named orders-<time>-p<n>.json, webhook batches orders-webhook-….
    fromPull: s.recentDuplicates.filter((d) => !d.fileName.includes('webhook')).map((d) => ({ recordId: d.recordId, changed: d.changed })).sort((a, b) => a.recordId.localeCompare(b.recordId)),
  };
}

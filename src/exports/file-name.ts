import { DateTime, IANAZone } from 'luxon';
import { ContentError, WharfError, echo } from '../errors.js';
import { unsafeNameReason } from '../transports/names.js';

/** Where an export file name is evaluated: the merchant and the run's scheduled time in a zone. */
export interface FileNameContext {
  /** Merchant id, substituted for `{merchant}`. */
  merchant: string;
  /** The run's scheduled time (an instant). */
  at: Date | DateTime;
  /** IANA zone the date tokens are written in, e.g. Europe/Amsterdam. */
  timezone: string;
}

type Part = { literal: string } | { merchant: true } | { format: string };

/** Letters, digits and the punctuation a file name may carry inside a `{…}` date format. */
const FORMAT = /^[A-Za-z0-9 _.,-]+$/;

/**
 * Splits a file-name pattern into literal text, `{merchant}` and `{<luxon format>}` parts
 * (https://moment.github.io/luxon/#/formatting?id=table-of-tokens). Throws CONFIG_INVALID (with
 * `where`) for an unclosed or empty brace, a stray `}`, or characters other than letters, digits,
 * space, `_`, `.`, `,` and `-` inside braces.
 */
function parse(pattern: string, where: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  const bad = (why: string) => new WharfError('CONFIG_INVALID', `file name pattern ${echo(pattern)}: ${why}`, {
    where,
    hint: 'write the name with {merchant} and luxon date tokens in braces, e.g. stock-{merchant}-{yyyyMMdd-HHmm}.csv',
  });
  while (i < pattern.length) {
    const open = pattern.indexOf('{', i);
    const close = pattern.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) throw bad(`"}" at position ${close + 1} closes no "{"`);
    if (open === -1) {
      parts.push({ literal: pattern.slice(i) });
      break;
    }
    if (open > i) parts.push({ literal: pattern.slice(i, open) });
    const end = pattern.indexOf('}', open);
    if (end === -1) throw bad(`"{" at position ${open + 1} is not closed`);
    const inner = pattern.slice(open + 1, end);
    if (inner === 'merchant') parts.push({ merchant: true });
    else if (inner === '') throw bad(`empty "{}" at position ${open + 1}`);
    else if (!FORMAT.test(inner)) throw bad(`{${inner}} is neither {merchant} nor a date format (luxon tokens such as yyyyMMdd-HHmm)`);
    else parts.push({ format: inner });
    i = end + 1;
  }
  return parts;
}

/**
 * The file name for one export run: `pattern` with `{merchant}` replaced by the merchant id and
 * each other `{…}` formatted with luxon at `ctx.at` in `ctx.timezone`, e.g.
 * `stock-{yyyyMMdd-HHmm}.csv` at 2026-03-29T01:30Z in Europe/Amsterdam → `stock-20260329-0330.csv`.
 *
 * Throws CONFIG_INVALID for a bad pattern or zone (`where` names the config key), and ContentError
 * 'UNSAFE_NAME' when the result is no plain file name: empty, `.`/`..`, a path separator, a control
 * character, or more than 255 bytes (the rules of src/transports/names.ts).
 */
export function exportFileName(pattern: string, ctx: FileNameContext, where = 'fileName'): string {
  if (!IANAZone.isValidZone(ctx.timezone)) {
    throw new WharfError('CONFIG_INVALID', `${echo(ctx.timezone)} is not an IANA time zone`, { where, hint: 'e.g. Europe/Amsterdam or UTC' });
  }
  const at = (ctx.at instanceof Date ? DateTime.fromJSDate(ctx.at) : ctx.at).setZone(ctx.timezone);
  const name = parse(pattern, where)
    .map((p) => ('literal' in p ? p.literal : 'merchant' in p ? ctx.merchant : at.toFormat(p.format)))
    .join('');
  const reason = unsafeNameReason(name);
  if (reason) {
    throw new ContentError('UNSAFE_NAME', `file name pattern ${echo(pattern)} gives ${echo(name)}, which is no safe file name: ${reason}`, {
      where,
      hint: 'use a plain name without / \\ or .., at most 255 bytes, e.g. stock-{yyyyMMdd-HHmm}.csv',
    });
  }
  return name;
}

/** Whether a file-name pattern has a date/time part (`{…}` other than `{merchant}`); a fixed name has none. */
export function patternHasTime(pattern: string, where = 'fileName'): boolean {
  return parse(pattern, where).some((p) => 'format' in p);
}

/** How many names `numberedNames` offers: runs of one export whose pattern gives one name. */
export const MAX_SAME_NAME = 100;

/**
 * The names a run may take when its pattern gives `name`, in order of preference: `name`, then
 * `-2`, `-3` … up to MAX_SAME_NAME inserted before the extension (`stock-20261129-1000.csv` →
 * `stock-20261129-1000-2.csv`; no extension: appended). Names that would not be safe (longer than
 * 255 bytes) are left out.
 */
export function numberedNames(name: string, count = MAX_SAME_NAME): string[] {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const out = [name];
  for (let n = 2; n <= count; n++) {
    const candidate = `${stem}-${n}${ext}`;
    if (!unsafeNameReason(candidate)) out.push(candidate);
  }
  return out;
}

/**
 * Checks a pattern at config time, by evaluating it for a 64-character merchant id (the longest the
 * schema allows) at a fixed instant. Throws as `exportFileName` does.
 */
export function assertFileNamePattern(pattern: string, where: string, timezone = 'UTC'): void {
  exportFileName(pattern, { merchant: 'm'.repeat(64), at: new Date('2026-12-31T23:59:59Z'), timezone }, where);
}

import { ContentError } from '../errors.js';

/**
 * Remote and dropped file names are never trusted as paths (DESIGN rule 10). A name is accepted only
 * when it is a plain base name: no separators, no `..`, no NUL or other control characters.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length > 255) return 'the name is longer than 255 characters';
  if (name === '.' || name === '..') return 'the name is a directory reference';
  if (name.includes('/') || name.includes('\\')) return 'the name contains a path separator';
  if (name.includes('..')) return 'the name contains ".."';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name contains control characters';
  return undefined;
}

export function assertSafeName(name: string, where: string): void {
  const reason = unsafeNameReason(name);
  if (reason) {
    throw new ContentError('UNSAFE_NAME', `refusing file name ${JSON.stringify(name)}: ${reason}`, {
      where,
      hint: 'rename the file to a plain name (letters, digits, dot, dash, underscore) and drop it again',
    });
  }
}

/** Files a source never takes: dotfiles (temporary uploads), *.tmp, *.part, and error reports. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('.part') || name.endsWith('.errors.json');
}

/** Turns any identifier into a safe file-name fragment; appends a short hash when it had to change it. */
export function fileNameFragment(id: string, hash: (s: string) => string): string {
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.{2,}/g, '_').replace(/^[.]/, '_');
  return cleaned === id ? cleaned : `${cleaned.slice(0, 80)}-${hash(id).slice(0, 8)}`;
}

import { createHash } from 'node:crypto';
import { WharfError } from '../../errors.js';

/**
 * Host key fingerprints exactly as OpenSSH prints them (`ssh-keygen -lf`, `ssh -v`):
 * `SHA256:` + unpadded base64 of the SHA-256 of the raw public key blob.
 */
export function fingerprintOf(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(rawKey: Buffer): string {
  if (rawKey.length < 4) return 'unknown';
  const len = rawKey.readUInt32BE(0);
  if (len <= 0 || len > 64 || rawKey.length < 4 + len) return 'unknown';
  return rawKey.subarray(4, 4 + len).toString('latin1');
}

/** Accepts `SHA256:abc...` with or without base64 padding; returns the unpadded form. */
export function normalisePin(pin: string | undefined): string | undefined {
  const trimmed = pin?.trim();
  if (!trimmed) return undefined;
  return trimmed.replace(/=+$/, '');
}

export function hostKeyMismatch(
  target: string,
  channel: string | undefined,
  offered: { fingerprint: string; keyType: string },
  pinned: string | undefined,
): WharfError {
  const verb = channel ? `wharf trust-host ${channel}` : 'wharf trust-host CHANNEL';
  const message = pinned
    ? `host key of ${target} does not match the pinned fingerprint: the server offered ${offered.fingerprint} (${offered.keyType}), the config pins ${pinned}`
    : `no host key is pinned for ${target}; the server offered ${offered.fingerprint} (${offered.keyType})`;
  return new WharfError('HOST_KEY_MISMATCH', message, {
    where: target,
    field: 'hostKey',
    hint: pinned
      ? `if the server's key was changed on purpose (ask the server's operator), run \`${verb}\` and put the printed fingerprint into hostKey; otherwise someone may be intercepting the connection`
      : `run \`${verb}\`, check the printed fingerprint with the server's operator, and set it as hostKey`,
  }, { retryable: false });
}

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/**
 * Real parts for the suite: the SFTP tests need OpenSSH's sshd, the console tests Debian's Chromium and
 * the ledger tests a PostgreSQL server. On a fresh Debian machine where we are root, install/start them (as .ci/run does), so the
 * README's `npm test` works as written; otherwise fail with what to install.
 */
export default function setup(): void {
  const missing = [
    { file: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'the SFTP tests run their own sshd (not started as a service)' },
    { file: '/usr/bin/chromium', pkg: 'chromium', why: 'the web console tests drive it headless through playwright-core' },
    { file: '/usr/bin/openssl', pkg: 'openssl', why: 'the HTTPS test makes its own self-signed certificate' },
  ].filter((p) => !existsSync(p.file));
  if (missing.length > 0) {
    const root = process.getuid?.() === 0;
    if (root && existsSync('/usr/bin/apt-get')) {
      process.stderr.write(`test setup: installing ${missing.map((p) => `${p.pkg} (${p.why})`).join(', ')}…\n`);
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      execFileSync('apt-get', ['install', '-y', '-qq', ...missing.map((p) => p.pkg)], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } else {
      throw new Error(`the tests need ${missing.map((p) => `${p.file}: ${p.why}`).join('; ')}. Install with \`sudo apt-get install ${missing.map((p) => p.pkg).join(' ')}\``);
    }
  }
  if (!process.env.WHARF_TEST_PG_URL && spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status !== 0 && existsSync('/etc/postgresql')) {
    const version = readdirSync('/etc/postgresql')[0];
    if (version) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
}

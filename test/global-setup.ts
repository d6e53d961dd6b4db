import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/**
 * Real parts for the suite: the SFTP tests need OpenSSH's sshd and the ledger tests a PostgreSQL
 * server. On a fresh Debian machine where we are root, install/start them (as .ci/run does), so the
 * README's `npm test` works as written; otherwise fail with what to install.
 */
export default function setup(): void {
  if (!existsSync('/usr/sbin/sshd')) {
    const root = process.getuid?.() === 0;
    if (root && existsSync('/usr/bin/apt-get')) {
      process.stderr.write('test setup: installing openssh-server (needed by the SFTP tests)…\n');
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } else {
      throw new Error('the SFTP tests need OpenSSH server: install it with `sudo apt-get install openssh-server` (it is not started as a service; the tests run their own sshd)');
    }
  }
  if (!process.env.WHARF_TEST_PG_URL && spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).status !== 0 && existsSync('/etc/postgresql')) {
    const version = readdirSync('/etc/postgresql')[0];
    if (version) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
}

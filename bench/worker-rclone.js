// Baseline of the SFTP benchmark: `rclone copy` (default transfer settings) from the benchmark's sshd
// into a local folder, the host key pinned through a known_hosts file like Wharf pins its fingerprint.
// rclone is not a Node process, so its peak RSS comes from GNU time (%M) when /usr/bin/time exists,
// else from sampling /proc/<pid>/status VmHWM (a lower bound).
// Usage: node bench/worker-rclone.js HOST PORT USER KEY_FILE KNOWN_HOSTS REMOTE_DIR LOCAL_DIR [rclone flags…]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { report } from './lib.js';

const [host, port, user, keyFile, knownHosts, remoteDir, localDir, ...extra] = process.argv.slice(2);
const remote = `:sftp,host=${host},port=${port},user=${user},key_file=${keyFile}:${remoteDir}`;
const args = ['copy', remote, localDir, '--sftp-known-hosts-file', knownHosts, '--stats', '0', '--log-level', 'NOTICE', ...extra];
const useTime = existsSync('/usr/bin/time');
const timeFile = path.join(os.tmpdir(), `wharf-bench-rclone-time-${process.pid}`);
const started = performance.now();
const child = useTime
  ? spawn('/usr/bin/time', ['-o', timeFile, '-f', '%M', 'rclone', ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
  : spawn('rclone', args, { stdio: ['ignore', 'inherit', 'inherit'] });
let hwm = 0;
const sampler = useTime
  ? undefined
  : setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // exited
      }
    }, 10);
const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
const elapsed = performance.now() - started;
if (sampler) clearInterval(sampler);
let rcloneRssKb = hwm;
if (useTime) {
  rcloneRssKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  rmSync(timeFile, { force: true });
}
if (code !== 0) {
  console.error(`rclone exited with ${code}`);
  process.exitCode = 1;
}
report({ elapsedMs: elapsed, rcloneRssKb, rssMethod: useTime ? 'GNU time %M' : 'VmHWM sampling', exitCode: code });

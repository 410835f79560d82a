/**
 * Removes the benchmark's data directory (the better part of a gigabyte) even when this process
 * cannot. server-account.ts's safety net stops the servers and deletes its directories on exit and
 * on signals, but waits synchronously for the postmaster; under `tsx`, a signal sent to the whole
 * process group (Ctrl-C, `kill -- -pgid`) reaches tsx's parent process too, which relays it and,
 * getting no answer from a blocked child within ~60 ms, SIGKILLs it halfway through that cleanup.
 */
import { spawn } from 'node:child_process';

// $1: our pid, $2: the directory, $3: its postmaster.pid, then the cgroups to remove. Polls once a
// second, so it costs nothing while we run; once we are gone, it stops a server still running there,
// deletes the directory and removes the (by then empty) cgroups.
const REAPER_SCRIPT = `
while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ -f "$3" ]; then
  pid=$(head -n 1 "$3")
  case "$(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null)" in
    *"$2"*) kill -INT "$pid"; i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
            kill -KILL "$pid" 2>/dev/null ;;
  esac
fi
rm -rf -- "$2"
shift 3
for cgroup in "$@"; do rmdir -- "$cgroup" 2>/dev/null; done
`;

/**
 * Deletes `dir` once this process has exited, however it exited, after stopping a server left on
 * `dataDir`; then removes `cgroups` (directories under /sys/fs/cgroup), which a signal would leave.
 */
export function removeAfterExit(dir: string, dataDir: string, cgroups: readonly string[] = []): void {
  const reaper = spawn(
    'sh',
    ['-c', REAPER_SCRIPT, 'pgbench-reaper', String(process.pid), dir, `${dataDir}/postmaster.pid`, ...cgroups],
    {
      // Its own session: a Ctrl-C meant for the benchmark must not reach it.
      detached: true,
      stdio: 'ignore',
    },
  );
  reaper.unref();
}

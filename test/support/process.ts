// Gatehouse as a separate process, started the way an operator does (`tsx src/main.ts`), for tests of what only
// processes can show: several instances on one database, the embedded database's lock, start-up errors.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** A child process whose output is kept; `stop` is how this kind of process is asked to stop. */
function captured(command: string, args: string[], env: Record<string, string>, detached: boolean, stop: (r: RunningProcess) => Promise<number | null>): RunningProcess {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running: RunningProcess = { child, output: () => out, exited, stop: () => stop(running) };
  return running;
}

export function startProcess(script: 'src/main.ts' | 'src/cli.ts', env: Record<string, string>, args: string[] = []): RunningProcess {
  return captured(TSX, [script, ...args], { LOG_LEVEL: 'warn', ...env }, false, async ({ child, exited }) => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  });
}

export function runCli(env: Record<string, string>, args: string[]) {
  const res = spawnSync(TSX, ['src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8' });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Waits until GET url answers 200, or the process exits, or the time is up. */
export async function waitReady(url: string, proc: RunningProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`process exited ${proc.child.exitCode}: ${proc.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${proc.output()}`);
}

/**
 * `npm start` itself, as the README tells a newcomer, in its own process group. `stop()` sends SIGTERM to the group,
 * as Ctrl-C or a service manager does, and waits until every process of it is gone; npm itself dies of the signal,
 * so it answers 0 when Gatehouse logged that it stopped (its own exit code is 0 then, src/main.ts).
 */
export function startNpm(env: Record<string, string>): RunningProcess {
  return captured('npm', ['start', '--silent'], { LOG_LEVEL: 'info', ...env }, true, async ({ child, exited, output }) => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
    for (;;) {
      try {
        process.kill(-child.pid!, 0);
      } catch {
        break; // no process of the group is left
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return /"msg":"stopped"/.test(output()) ? 0 : 1;
  });
}

/** A running instance as the internal-API helpers (support/internal.ts) take it. */
export function asServer(url: string, internalUrl: string) {
  return { url, internalUrl, gatehouse: undefined as never, databaseUrl: '', env: {}, stop: async () => {} };
}

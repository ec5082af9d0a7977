/**
 * Where cnibench's own files are: the package root (for BPF objects and bundled assets) and the state directories
 * (run state under /run, results under the XDG data directory). Every path the tool writes comes from here.
 */
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository / package root: this file is dist/system/paths.js (or src/system/paths.ts under vitest). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export function bpfObjectPath(name: string): string {
  return join(packageRoot, 'dist', 'bpf', `${name}.o`)
}

/** A C helper built from tools/<name>.c (scripts/build-native.sh). */
export function toolBinaryPath(name: string): string {
  return join(packageRoot, 'dist', 'bin', name)
}

/**
 * Runtime state (labs, pid files, logs, the measurement lock): tmpfs, gone after reboot like the namespaces it
 * describes. Labs need root; a cluster run does not, and then keeps its lock in the user's runtime directory.
 */
export function runRoot(): string {
  if (process.env.CNIBENCH_RUN_DIR) return process.env.CNIBENCH_RUN_DIR
  const runtimeDir = process.env.XDG_RUNTIME_DIR
  return process.getuid?.() !== 0 && runtimeDir ? join(runtimeDir, 'cnibench') : '/run/cnibench'
}

/** Default results database, per the XDG base directory spec. */
export function defaultDbPath(): string {
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(dataHome, 'cnibench', 'results.db')
}

/**
 * Terminal output helpers shared by the commands. Only the CLI writes to stdout; library code returns data.
 */
export { table } from '../report/text-table.js'

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

export function print(text = ''): void {
  process.stdout.write(text + '\n')
}

export const mark = (ok: boolean) => (ok ? '✓' : '✗')

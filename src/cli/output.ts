/**
 * Terminal output helpers shared by the commands: aligned text tables and JSON printing. Only the CLI writes to
 * stdout; library code returns data.
 */

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

export function print(text = ''): void {
  process.stdout.write(text + '\n')
}

/** Columns are left-aligned unless listed in `alignRight` (numbers). */
export function table(headers: string[], rows: string[][], opts: { alignRight?: number[] } = {}): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const right = new Set(opts.alignRight ?? [])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? pad(c, widths[i] ?? 0, 'left') : pad(c, widths[i] ?? 0, 'right')))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '─'.repeat(w)).join('  ')
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

function width(text: string): number {
  // Strip ANSI colour codes; count code points so "µ", "±" and "→" take one column.
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length
}

function pad(text: string, to: number, side: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)))
  return side === 'left' ? fill + text : text + fill
}

export const mark = (ok: boolean) => (ok ? '✓' : '✗')

/** Aligned plain-text tables (what the terminal and the Markdown export both need). Pure. */

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

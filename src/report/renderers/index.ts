/** The renderers, by the name `--format` and the dashboard's export links use. */
import { CnibenchError } from '../../errors.js'
import { csvRenderer } from './csv.js'
import { htmlRenderer } from './html.js'
import { jsonRenderer } from './json.js'
import { markdownRenderer } from './md.js'
import type { Renderer } from './renderer.js'
import { terminalRenderer } from './terminal.js'

export const renderers = {
  terminal: terminalRenderer,
  json: jsonRenderer,
  csv: csvRenderer,
  md: markdownRenderer,
  html: htmlRenderer,
} as const satisfies Record<string, Renderer>

export type RendererName = keyof typeof renderers

export function getRenderer(name: string): Renderer {
  const renderer = (renderers as Record<string, Renderer>)[name]
  if (!renderer) throw new CnibenchError('E_USAGE', `unknown format "${name}"`, { hint: `choose one of: ${Object.keys(renderers).join(', ')}` })
  return renderer
}

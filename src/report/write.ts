/** Writing rendered reports to files: where a report goes by default, and writing it there. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ReportModel } from './model.js'
import type { Renderer } from './renderers/renderer.js'

/** `<database folder>/reports/<run ids>.<ext>`: next to the results they were made from. */
export function defaultReportPath(dbPath: string, runIds: string[], renderer: Renderer): string {
  return join(dirname(resolve(dbPath)), 'reports', `${runIds.join('-vs-')}.${renderer.extension}`)
}

export function writeReport(path: string, renderer: Renderer, model: ReportModel): string {
  const absolute = resolve(path)
  mkdirSync(dirname(absolute), { recursive: true })
  writeFileSync(absolute, renderer.render(model))
  return absolute
}

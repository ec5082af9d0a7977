/**
 * One interface for every output of a report: a pure function from the report model to text. Adding an output is
 * adding one file here and one line in index.ts.
 */
import type { ReportModel } from '../model.js'

export interface Renderer {
  /** What `--format` calls it. */
  readonly name: string
  /** File name extension of a written report. */
  readonly extension: string
  /** What a web server sends it as. */
  readonly mediaType: string
  render(model: ReportModel): string
}

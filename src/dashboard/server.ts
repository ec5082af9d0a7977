/**
 * `cnibench serve`: a read-only web dashboard over the results store. Pages and the same data as JSON:
 *   /                     runs list (pick runs to compare)         /api/runs
 *   /runs/ID              the run's report (the HTML renderer)     /api/runs/ID
 *   /runs/ID/advice       advice, one scenario or all              /api/runs/ID/advice?scenario=NAME
 *   /compare?runs=A,B     several runs: side by side and change    /api/compare?runs=A,B
 *   /runs/ID/export.FMT   download as json, csv, md or html
 * It listens on 127.0.0.1 unless told otherwise, only answers GET/HEAD, and turns every failure into a 4xx/5xx with
 * a one-line message, never a stack trace. Reports are cached per run until the run gains samples or changes status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { scenarioNames, type Advice } from '../advice/advise.js'
import { loadRunData } from '../analysis/run-data.js'
import { CnibenchError } from '../errors.js'
import { escapeXml as esc } from '../report/html-escape.js'
import { buildReportModel, type ReportModel } from '../report/model.js'
import { getRenderer, renderers } from '../report/renderers/index.js'
import { advicePage, listPage } from './pages.js'
import { ResultStore } from '../store/db.js'
import { runListOf } from '../report/run-list.js'

export interface DashboardOptions {
  dbPath: string
  host: string
  port: number
  /** Listen on a non-loopback address (the dashboard has no authentication). */
  allowRemote: boolean
}

const MAX_COMPARE = 8

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Refuse a non-loopback address unless asked: the store may hold a team's results and the server has no login. */
export function checkBindAddress(host: string, allowRemote: boolean): void {
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
  if (!loopback && !allowRemote) {
    throw new CnibenchError('E_USAGE', `refusing to listen on ${host}: the dashboard has no authentication`, {
      hint: 'listen on 127.0.0.1 (the default) and use an SSH tunnel, or add --allow-remote to serve every address you named',
    })
  }
}

export async function startDashboard(opts: DashboardOptions): Promise<{ server: Server; url: string }> {
  checkBindAddress(opts.host, opts.allowRemote)
  ResultStore.open(opts.dbPath).close() // a missing or foreign database fails here, with its own one-line error
  const cache = new Map<string, { stamp: string; model: ReportModel }>()
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => checkHost(req, opts, server))
      .then(() => handle(req, res, opts.dbPath, cache))
      .catch((error: unknown) => sendError(res, req, error))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new CnibenchError('E_USAGE', `port ${opts.port} on ${opts.host} is in use`, { hint: 'choose another with --port (0 picks a free one)' }) : e),
    )
    server.listen(opts.port, opts.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return { server, url: `http://${host}:${port}/` }
}

/**
 * Answer only requests addressed to this server by a loopback name (or, with --allow-remote, any): a web page the
 * user visits cannot point its own host name at 127.0.0.1 (DNS rebinding) and read the results.
 */
function checkHost(req: IncomingMessage, opts: DashboardOptions, server: Server): void {
  if (opts.allowRemote) return
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  const allowed = new Set(['127.0.0.1', 'localhost', '[::1]', opts.host.includes(':') ? `[${opts.host}]` : opts.host].map((h) => `${h}:${port}`))
  if (!allowed.has((req.headers.host ?? '').toLowerCase())) throw new HttpError(421, `this dashboard answers only requests to 127.0.0.1:${port} or localhost:${port}`)
}

async function handle(req: IncomingMessage, res: ServerResponse, dbPath: string, cache: Map<string, { stamp: string; model: ReportModel }>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'the dashboard is read-only: only GET and HEAD')
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid')
  const parts = url.pathname.split('/').filter(Boolean).map(decodePart)
  const store = ResultStore.open(dbPath)
  try {
    const modelOf = (ids: string[]) => reportModel(store, ids, cache)
    const [a, b, c, d] = parts
    if (parts.length === 0) return send(res, 200, renderers.html.mediaType, listPage(store.path, await runListOf(store)))
    if (a === 'api' && b === 'runs' && parts.length === 2) return sendJson(res, await runListOf(store))
    if (a === 'api' && b === 'runs' && c && parts.length === 3) return send(res, 200, renderers.json.mediaType, renderers.json.render(modelOf([c])))
    if (a === 'api' && b === 'runs' && c && d === 'advice' && parts.length === 4) return sendJson(res, adviceOf(modelOf([c]), url))
    if (a === 'api' && b === 'compare' && parts.length === 2) return send(res, 200, renderers.json.mediaType, renderers.json.render(modelOf(compareIds(store, url))))
    if (a === 'runs' && b && parts.length === 2) return send(res, 200, renderers.html.mediaType, renderers.html.render(withLinks(modelOf([b]))))
    if (a === 'runs' && b && c === 'advice' && parts.length === 3) return send(res, 200, renderers.html.mediaType, advicePage(store.requireRun(b).id, adviceOf(modelOf([b]), url), scenarioNames()))
    if (a === 'runs' && b && c?.startsWith('export.') && parts.length === 3) return sendExport(res, modelOf([b]), c.slice('export.'.length))
    if (a === 'compare' && parts.length === 1) return send(res, 200, renderers.html.mediaType, renderers.html.render(withLinks(modelOf(compareIds(store, url)))))
    throw new HttpError(404, `no page at ${url.pathname}`)
  } finally {
    store.close()
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new HttpError(400, `malformed escape in the URL: ${part}`)
  }
}

/** Analysing a run takes seconds (bootstrap CIs); a run that gained no samples and kept its status reads the same. */
function reportModel(store: ResultStore, ids: string[], cache: Map<string, { stamp: string; model: ReportModel }>): ReportModel {
  const runs = ids.map((id) => store.requireRun(id))
  const key = runs.map((r) => r.id).join(',')
  const stamp = runs.map((r) => `${r.status}:${store.sampleCount(r.id)}`).join(',')
  const hit = cache.get(key)
  if (hit && hit.stamp === stamp) return hit.model
  const model = buildReportModel(runs.map((r) => loadRunData(store, r.id)))
  cache.set(key, { stamp, model })
  return model
}

/** The cached report's advice (all scenarios), narrowed to one when asked; an unknown name is a 400 naming the choices. */
function adviceOf(model: ReportModel, url: URL): Advice {
  const scenario = url.searchParams.get('scenario') ?? ''
  const advice = (model.runs[0] as ReportModel['runs'][number]).advice
  if (scenario === '' || scenario === 'all') return advice
  if (!scenarioNames().includes(scenario)) throw new HttpError(400, `unknown scenario "${scenario}": choose one of all, ${scenarioNames().join(', ')}`)
  return { ...advice, scenarios: advice.scenarios.filter((s) => s.id === scenario) }
}

/**
 * ?runs=A,B (a link: in the order given, the first is the reference) or ?run=A&run=B (the list page's checkboxes:
 * oldest first, so "bare metal, then the VM" compares the way the runs were made).
 */
function compareIds(store: ResultStore, url: URL): string[] {
  const listed = url.searchParams.getAll('runs').flatMap((v) => v.split(','))
  const ticked = url.searchParams.getAll('run').map((id) => store.requireRun(id.trim())).sort((x, y) => x.createdAt.localeCompare(y.createdAt)).map((r) => r.id)
  const ids = [...listed.map((s) => s.trim()).filter(Boolean), ...ticked]
  if (ids.length < 2) throw new HttpError(400, 'compare needs at least two runs: ?runs=ID1,ID2')
  if (ids.length > MAX_COMPARE) throw new HttpError(400, `compare takes at most ${MAX_COMPARE} runs`)
  return ids
}

/** The report with the dashboard's own navigation. */
function withLinks(model: ReportModel): ReportModel {
  const ids = model.runs.map((r) => r.summary.run.id)
  const exports = ids.length === 1 ? (['json', 'csv', 'md', 'html'] as const).map((f) => ({ label: `export ${f}`, href: `/runs/${ids[0]}/export.${f}` })) : []
  return { ...model, links: [{ label: '← all runs', href: '/' }, ...(ids.length === 1 ? [{ label: 'advice', href: `/runs/${ids[0]}/advice` }] : []), ...exports] }
}

function sendExport(res: ServerResponse, model: ReportModel, format: string): void {
  if (format === 'terminal') throw new HttpError(404, 'export formats: json, csv, md, html')
  let renderer
  try {
    renderer = getRenderer(format)
  } catch {
    throw new HttpError(404, `unknown export format "${format}": choose json, csv, md or html`)
  }
  const id = model.runs[0]?.summary.run.id ?? 'run'
  res.setHeader('Content-Disposition', `attachment; filename="cnibench-${id}.${renderer.extension}"`)
  send(res, 200, renderer.mediaType, renderer.render(model))
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n')
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // Pages need their inline styles and the table-sorting script, nothing from anywhere else.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
  })
  res.end(res.req?.method === 'HEAD' ? undefined : body)
}

/** 4xx for what the request got wrong (with the message), 500 with a generic line for anything else. */
function sendError(res: ServerResponse, req: IncomingMessage, error: unknown): void {
  const [status, message] =
    error instanceof HttpError
      ? [error.status, error.message]
      : error instanceof CnibenchError
        ? [/^no run /.test(error.message) ? 404 : 400, error.oneLine()]
        : [500, 'internal error while reading the results (see the server\'s terminal)']
  if (status === 500) process.stderr.write(`cnibench serve: ${error instanceof Error ? error.message : String(error)}\n`)
  if (res.headersSent) return void res.end()
  const api = (req.url ?? '').startsWith('/api/')
  if (api) return send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message, status }) + '\n')
  send(res, status, 'text/html; charset=utf-8', `<!doctype html><meta charset="utf-8"><title>${status}</title><p>${esc(message)}</p><p><a href="/">all runs</a></p>\n`)
}

/**
 * What a person looks at, in a real browser (Debian's Chromium via playwright-core): the HTML report of a real short
 * run opens with no console error and no network request, charts every datapath of the run and draws each one's
 * traced packet path, and fits a phone; the dashboard lists runs, opens one, compares two and exports, refuses
 * non-loopback binds unless asked, and answers bad ids with a 4xx message. Screenshots go to an artifacts folder.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliPath, cnibench, cnibenchJson } from '../helpers/cli.js'
import { launchBrowser, openWatched, screenshot } from '../helpers/browser.js'

const dir = mkdtempSync(join(tmpdir(), 'cnibench-report-'))
const db = join(dir, 'results.db')
const DATAPATHS = ['host', 'calico-vxlan', 'flannel-udp']
const QUICK = ['--datapaths', DATAPATHS.join(','), '--tests', 'TCP_STREAM,TCP_RR,TCP_CRR', '--duration', '0.5', '--warmup', '0.2', '--precision', 'off', '--db', db]

let browser: Browser
let first: { runId: string; reportPath: string }
let second: { runId: string }

beforeAll(async () => {
  const made = await cnibench(['run', ...QUICK, '--samples', '2', '--json'])
  expect(made.code, made.stderr).toBe(0)
  const reportPath = /HTML report: (\S+)/.exec(made.stderr)?.[1] ?? ''
  first = { runId: (JSON.parse(made.stdout) as { runId: string }).runId, reportPath }
  second = await cnibenchJson<{ runId: string }>(['run', ...QUICK, '--samples', '1', '--no-report', '--json'])
  browser = await launchBrowser()
}, 300_000)

afterAll(async () => {
  await browser?.close()
})

describe('HTML report', () => {
  it('`run` writes it next to the database and says where', () => {
    expect(first.reportPath).toBe(join(dir, 'reports', `${first.runId}.html`))
    expect(existsSync(first.reportPath)).toBe(true)
  })

  it('opens with no console error and no request, with a chart entry and a packet path for every datapath', async () => {
    const { page, errors, requests } = await openWatched(browser)
    const url = `file://${first.reportPath}`
    await page.goto(url)
    expect(errors).toEqual([])
    expect(requests).toEqual([url])
    const chartText = await page.locator('svg.chart text').allTextContents()
    for (const dp of DATAPATHS) expect(chartText.some((t) => t.startsWith(dp)), `${dp} in the charts`).toBe(true)
    for (const dp of DATAPATHS) {
      const diagram = page.locator(`figure.path[data-datapath="${dp}"] svg.path-diagram`)
      expect(await diagram.count(), `${dp} packet path`).toBeGreaterThan(0)
    }
    // The userspace daemon of flannel-udp is marked as such in its diagram, from the traced hops.
    expect(await page.locator('figure.path[data-datapath="flannel-udp"] .pd-badge', { hasText: 'userspace' }).count()).toBeGreaterThan(0)
    await page.locator('table.sortable th', { hasText: 'vs base' }).first().click()
    expect(await page.locator('table.sortable th[aria-sort]').count()).toBe(1)
    await screenshot(page, 'report-desktop')
    await page.close()
  })

  it('fits a phone screen: nothing wider than the viewport but the scrolling tables', async () => {
    const { page, errors } = await openWatched(browser, { width: 390, height: 844 })
    await page.goto(`file://${first.reportPath}`)
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number
    expect(overflow).toBeLessThanOrEqual(1)
    expect(errors).toEqual([])
    await screenshot(page, 'report-phone')
    await page.close()
  })

  it('`report A B` writes HTML and Markdown with both runs and the change between them', async () => {
    const html = join(dir, 'both.html')
    const md = join(dir, 'both.md')
    const made = await cnibench(['report', first.runId, second.runId, '--html', html, '--md', md, '--db', db])
    expect(made.code, made.stderr).toBe(0)
    const text = readFileSync(html, 'utf8')
    expect(text).toContain('Change against the first run')
    expect(text).toContain(second.runId)
    expect(readFileSync(md, 'utf8')).toContain(`${second.runId} against ${first.runId}`)
  })
})

describe('advise', () => {
  it('ranks the run\'s datapaths with reasons; the userspace one is never first for throughput', async () => {
    const advice = await cnibenchJson<{ scenarios: { id: string; ranking: { datapath: string; reasons: { text: string }[] }[] }[] }>(['advise', first.runId, '--scenario', 'ecommerce', '--json', '--db', db])
    const [ecommerce] = advice.scenarios
    expect(ecommerce?.id).toBe('ecommerce')
    expect(ecommerce?.ranking.map((r) => r.datapath).sort()).toEqual(['calico-vxlan', 'flannel-udp'])
    expect(ecommerce?.ranking[0]?.datapath).toBe('calico-vxlan')
    expect(ecommerce?.ranking[0]?.reasons[0]?.text).toMatch(/TCP throughput .*\d+%.*TCP_STREAM/)
  })

  it('an unknown scenario is a one-line error naming the choices', async () => {
    const bad = await cnibench(['advise', first.runId, '--scenario', 'banking', '--db', db])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/choose one of: finance, ecommerce, edge, small-cluster/)
  })
})

describe('dashboard', () => {
  let server: ChildProcess
  let base: string

  beforeAll(async () => {
    server = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] })
    base = await new Promise<string>((resolve, reject) => {
      let out = ''
      server.stdout?.on('data', (b: Buffer) => {
        out += b.toString()
        const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0]
        if (url) resolve(url)
      })
      server.on('exit', (code) => reject(new Error(`serve exited ${code}`)))
    })
  })

  afterAll(() => {
    server?.kill('SIGTERM')
  })

  it('lists runs, opens one, compares two and exports, with no console error', async () => {
    const { page, errors } = await openWatched(browser)
    await page.goto(base)
    expect(await page.locator('#runs tbody tr').count()).toBe(2)
    await screenshot(page, 'dashboard-runs')
    await page.locator(`a[href="/runs/${first.runId}"]`).click()
    await page.waitForURL(`${base}runs/${first.runId}`)
    expect(await page.title()).toContain(first.runId)
    expect(await page.locator('figure.path svg.path-diagram').count()).toBeGreaterThanOrEqual(DATAPATHS.length)
    await screenshot(page, 'dashboard-run')
    const download = page.waitForEvent('download')
    await page.locator('nav a', { hasText: 'export json' }).click()
    const exported = JSON.parse(readFileSync((await (await download).path()) as string, 'utf8')) as { runId: string }
    expect(exported.runId).toBe(first.runId)
    await page.goto(base)
    for (const id of [second.runId, first.runId]) await page.locator(`input[value="${id}"]`).check()
    await page.locator('#compare').click()
    await page.waitForURL(/\/compare\?/)
    // Ticked runs compare oldest first: the first run made is the reference.
    expect(await page.locator('#change').textContent()).toContain(`${second.runId} against ${first.runId}`)
    await screenshot(page, 'dashboard-compare')
    await page.goto(`${base}runs/${first.runId}/advice?scenario=finance`)
    expect(await page.locator('.card h3').allTextContents()).toEqual([expect.stringMatching(/finance/i)])
    expect(errors).toEqual([])
    await page.close()
  })

  it('serves the same data as JSON, and a bad id or query gets a 4xx with a message, not a stack trace', async () => {
    const list = (await (await fetch(`${base}api/runs`)).json()) as { id: string }[]
    expect(list.map((r) => r.id).sort()).toEqual([first.runId, second.runId].sort())
    const one = (await (await fetch(`${base}api/runs/${first.runId}`)).json()) as { runId: string; cells: unknown[] }
    expect(one.runId).toBe(first.runId)
    const missing = await fetch(`${base}api/runs/nosuchrun`)
    expect(missing.status).toBe(404)
    const body = await missing.text()
    expect((JSON.parse(body) as { error: string }).error).toMatch(/^no run "nosuchrun"/)
    expect(body).not.toMatch(/\bat .*\.js:\d+/)
    expect((await fetch(`${base}compare?runs=${first.runId}`)).status).toBe(400)
    expect((await fetch(`${base}runs/${first.runId}/export.exe`)).status).toBe(404)
    expect((await fetch(base, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${base}runs/%E0`)).status).toBe(400)
    expect((await fetch(`${base}api/runs/%25`)).status).toBe(404) // '%' is a character of an id, not a wildcard
  })

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const { port } = new URL(base)
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/api/runs', headers: { Host: `attacker.example:${port}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    expect(status).toBe(421)
  })

  it('refuses a non-loopback address unless asked', async () => {
    const refused = await cnibench(['serve', '--host', '0.0.0.0', '--port', '0', '--db', db])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0.*--allow-remote/)
  })
})

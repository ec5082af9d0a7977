/**
 * A real browser for what a person looks at: Debian's Chromium, headless, driven by playwright-core. Every page
 * records console errors, uncaught exceptions and each request it makes; screenshots go to an artifacts folder the
 * test run prints, so a reviewer can look at them.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--no-first-run'],
  })
}

export interface WatchedPage {
  page: Page
  errors: string[]
  requests: string[]
}

export async function openWatched(browser: Browser, viewport = { width: 1100, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport })
  const watched: WatchedPage = { page, errors: [], requests: [] }
  page.on('console', (m) => m.type() === 'error' && watched.errors.push(m.text()))
  page.on('pageerror', (e) => watched.errors.push(String(e)))
  page.on('request', (r) => watched.requests.push(r.url()))
  return watched
}

let artifacts: string | undefined
/** The folder screenshots go to: $CNIBENCH_ARTIFACTS, or a fresh temp folder (printed once). */
export function artifactsDir(): string {
  if (artifacts) return artifacts
  artifacts = process.env.CNIBENCH_ARTIFACTS ?? join(tmpdir(), `cnibench-artifacts-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  mkdirSync(artifacts, { recursive: true })
  process.stdout.write(`screenshots: ${artifacts}\n`)
  return artifacts
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(artifactsDir(), `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

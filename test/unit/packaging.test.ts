/** Every system package an error message tells users to install is one the bootstrap installs, and vice versa. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packageOf } from '../../src/system/packages.js'
import { packageRoot } from '../../src/system/paths.js'

describe('bootstrap and install hints agree', () => {
  const bootstrap = readFileSync(join(packageRoot, 'scripts', 'bootstrap.sh'), 'utf8')
  const listed = (bootstrap.match(/APT_PACKAGES=\(([\s\S]*?)\n\)/)?.[1] ?? '')
    .split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .flatMap((l) => l.trim().split(/\s+/))
    .filter(Boolean)

  it('installs every package a hint names (netperf excepted: not in Debian main)', () => {
    const hinted = new Set(Object.values(packageOf).filter((p) => p !== 'netperf'))
    for (const pkg of hinted) expect(listed, pkg).toContain(pkg)
  })

  it('the README names the two commands and .ci/run runs the test one', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8')
    const ci = readFileSync(join(packageRoot, '.ci', 'run'), 'utf8')
    expect(readme).toContain('./cnibench run')
    expect(readme).toContain('./scripts/test.sh')
    expect(ci).toMatch(/^exec \.\/scripts\/test\.sh$/m)
  })
})

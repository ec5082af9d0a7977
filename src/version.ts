/** cnibench's version, read once from package.json (stored with every result). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './system/paths.js'

export const version: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version

/** Option parsing shared by commands: typed defaults and value parsers that fail with a one-line usage error. */
import { InvalidArgumentError } from 'commander'

export const labDefaults = {
  nodes: 2,
  podsPerNode: 1,
  underlayMtu: 1500,
  underlayCidr: '192.168.250.0/24',
  podCidr: '10.244.0.0/16',
} as const

export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number.`)
  return Number(value)
}

export function numberOption(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a number.`)
  return Number(value)
}

export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

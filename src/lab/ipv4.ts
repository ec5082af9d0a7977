/**
 * IPv4 addresses and CIDR blocks as plain numbers: parsing, formatting, overlap, carving subnets. Pure; no IO.
 * Small enough that a dependency would cost more than it saves.
 */
import { CnibenchError } from '../errors.js'

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  network: number
  prefix: number
}

export function parseIp(text: string): number {
  const parts = text.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new CnibenchError('E_ADDRESSING', `"${text}" is not an IPv4 address`, { hint: 'write it as a.b.c.d' })
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0)
}

export function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')
}

export function parseCidr(text: string): Cidr {
  const [addr, prefixText] = text.split('/')
  const prefix = Number(prefixText)
  if (addr === undefined || prefixText === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new CnibenchError('E_ADDRESSING', `"${text}" is not a CIDR block`, { hint: 'write it as a.b.c.d/len, e.g. 10.244.0.0/16' })
  }
  const ip = parseIp(addr)
  const network = ip - (ip % size({ network: 0, prefix }))
  if (network !== ip) {
    throw new CnibenchError('E_ADDRESSING', `"${text}" has host bits set`, { hint: `did you mean ${formatIp(network)}/${prefix}?` })
  }
  return { network, prefix }
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network)}/${cidr.prefix}`
}

/** Number of addresses in the block. */
export function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix)
}

export function contains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.network && ip < cidr.network + size(cidr)
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b.network) || contains(b, a.network)
}

/** The `index`-th subnet of length `prefix` inside `parent` (index 0 is the first). */
export function subnet(parent: Cidr, prefix: number, index: number): Cidr {
  if (prefix < parent.prefix) throw new Error(`subnet /${prefix} is larger than parent /${parent.prefix}`)
  const count = 2 ** (prefix - parent.prefix)
  if (index < 0 || index >= count) {
    throw new CnibenchError('E_ADDRESSING', `${formatCidr(parent)} has only ${count} /${prefix} subnets, ${index + 1} needed`, {
      hint: 'give a larger --pod-cidr or fewer --nodes',
    })
  }
  return { network: parent.network + index * 2 ** (32 - prefix), prefix }
}

/** Host address `offset` inside the block (offset 1 is the first usable address of a /24). */
export function host(cidr: Cidr, offset: number): number {
  if (offset <= 0 || offset >= size(cidr) - 1) {
    throw new CnibenchError('E_ADDRESSING', `${formatCidr(cidr)} has no host number ${offset}`, {
      hint: 'give a larger block or fewer nodes and pods',
    })
  }
  return cidr.network + offset
}

/** Address `offset` inside a block written as text: addressIn('10.244.1.0/24', 1) is '10.244.1.1'. */
export function addressIn(cidrText: string, offset: number): string {
  return formatIp(parseCidr(cidrText).network + offset)
}

/**
 * The reference probe (tools/cnb-probe.c) taken just before and just after every sample, in the client's namespace on
 * the sample's CPU: a fixed CPU loop and a fixed loopback exchange whose times only change when the machine does.
 * analysis/disturbances.ts compares each reading with the run's usual one to find the samples a dip or another
 * program's load hit.
 */
import { toolBinaryPath } from '../system/paths.js'

export const PROBE_PATH = toolBinaryPath('cnb-probe')

/** What the probe reports: milliseconds of CPU loop, µs per loopback round trip and per loopback connection. */
export const probeFields = ['cpu_ms', 'lo_rr_us', 'lo_crr_us'] as const
export type ProbeReading = Record<(typeof probeFields)[number], number>

export function parseProbe(stdout: string): ProbeReading {
  const parsed = JSON.parse(stdout) as Partial<ProbeReading>
  for (const field of probeFields) {
    if (typeof parsed[field] !== 'number' || !(parsed[field] > 0)) throw new Error(`cnb-probe printed no ${field}: ${stdout.trim()}`)
  }
  return parsed as ProbeReading
}

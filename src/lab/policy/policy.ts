/**
 * The contract of a network-policy implementation: load N rules that never match the measured flow where the real
 * dataplane keeps them, inside the lab's namespaces only. One file per implementation, registered in ./index.ts.
 *
 * Every rule denies one (server address, TCP port) pair, the shape a NetworkPolicy's deny of other ports compiles to:
 * the address matches the measured packets, so a linear implementation evaluates every rule's port match, the worst
 * case the Calico-vs-Cilium study's claim is about. Listed ports are 1024 + i; the measured flow never uses one.
 */
import type { Requirement } from '../datapath.js'

export interface PolicyTarget {
  /** The namespace holding the rules and the netfilter hook they sit on (see lab/treatments.ts for the choice). */
  netns: string
  hook: 'forward' | 'input'
  /** The server pod: the address rules match, and the namespace and device an eBPF program attaches to. */
  podIp: string
  podNetns: string
  podDevice: string
}

export interface PolicyRules {
  count: number
  /** Accept ESTABLISHED/RELATED first, as Calico's chains do: established packets then skip the rule walk. */
  establishedFirst: boolean
}

export interface PolicyImplementation {
  /** What it is and where its rules live, in a few words (stored with the run, shown in reports). */
  describe(target: PolicyTarget): string
  requires: readonly Requirement[]
  load(target: PolicyTarget, rules: PolicyRules): Promise<void>
}

const FIRST_LISTED_PORT = 1024

/** The port rule `i` denies. */
export const listedPort = (i: number) => FIRST_LISTED_PORT + i

/** A port no rule lists and nothing listens on: a connection to it must be refused, not dropped. */
export const UNLISTED_PORT = 17_999

/**
 * Loading a lab with a treatment (N policy rules, N Services), where the real dataplane would put it, and proving it
 * is on the measured path before anything is measured: policy must drop a listed port and let an unlisted one
 * through; the Service's address must reach both of its endpoints. The load time is recorded with what was built.
 *
 * Where things go (the measured pair is the first pod on node1, the client, and the first pod on node2, the server):
 *  - policy, iptables / nftables / ipset: the server's node, FORWARD chain / forward hook (Calico keeps policy on the
 *    host side of the pod's interface, on the forward path). Where pod packets never cross the node's netfilter
 *    (Datapath.bypassesNodeNetfilter) or the pod is the node (host network), the INPUT chain / input hook of the
 *    server's own namespace: the multi-network policy approach, labelled as such.
 *  - policy, eBPF: a tc program at ingress of the server pod's interface.
 *  - Services, kube-proxy modes: the client's node, nat PREROUTING (OUTPUT for a host-network client); the endpoints
 *    are both pods on the server's node.
 *  - Services, eBPF tc: the client pod's interface; socket LB: a cgroup holding the client.
 */
import { CnibenchError } from '../errors.js'
import { interruptedError } from '../exec/run.js'
import { join } from 'node:path'
import type { HostReport } from '../system/doctor.js'
import { requirementProblems } from '../system/doctor.js'
import { inCgroup } from './cgroup.js'
import type { Datapath } from './datapath.js'
import { policyImplementations } from './policy/index.js'
import type { PolicyImpl } from './policy/names.js'
import { listedPort, UNLISTED_PORT, type PolicyTarget } from './policy/policy.js'
import { tallyBackends, tryConnect } from './reach.js'
import { serviceProxies } from './services/index.js'
import type { ProxyImpl } from './services/names.js'
import { serviceTable, type ServicesTarget } from './services/services.js'
import { labDir, type LabRecord } from './state.js'
import { measuredPods, type LabPlan, type PodPlan } from './topology.js'
import { nodeOf } from './wiring.js'

export interface PolicyTreatment {
  impl: PolicyImpl
  rules: number
  /** An accept of ESTABLISHED/RELATED connections before the rules, as Calico puts it. */
  establishedFirst: boolean
}

export interface ServicesTreatment {
  proxy: ProxyImpl
  services: number
}

export interface Treatments {
  policy?: PolicyTreatment
  services?: ServicesTreatment & { port: number }
}

/** A lab with its treatments loaded and checked. */
export interface TreatedLab {
  /** What was loaded, where, how long it took, and what the checks saw: stored with the testbed. */
  facts: Record<string, unknown>
  /** The cgroup the measuring client must run in (socket-level load balancing). */
  clientCgroup?: string
  /** The Service the client aims at, and its endpoints (where the servers run). */
  service?: { ip: string; port: number; backends: PodPlan[] }
}

/** Connections the balance check makes; each endpoint must take at least a quarter of them. */
const BALANCE_CONNECTIONS = 200
const DROP_TIMEOUT_MS = 1500

/** Why `datapath` cannot take `treatments` here (a missing tool or program, a proxy that cannot serve its pods). */
export function treatmentProblem(datapath: Datapath, treatments: Treatments, host: HostReport): string | undefined {
  const problems: string[] = []
  if (treatments.policy) problems.push(...requirementProblems(policyImplementations[treatments.policy.impl].requires, host).map((p) => p.reason))
  if (treatments.services) {
    const proxy = serviceProxies[treatments.services.proxy]
    const problem = proxy.problem(datapath)
    if (problem) problems.push(problem)
    problems.push(...requirementProblems(proxy.requires, host).map((p) => p.reason))
  }
  return problems.length > 0 ? problems.join('; ') : undefined
}

/** How many pods per node a lab needs for these treatments: a Service's two endpoints sit on the server's node. */
export const podsPerNodeFor = (treatments: Treatments, asked: number) => (treatments.services ? Math.max(2, asked) : asked)

/**
 * Load and check `treatments` on a built lab. `signal`: an interrupt stops it between steps (the caller removes the
 * lab), so nothing is created after the interrupt's teardown has run.
 */
export async function applyTreatments(lab: LabRecord, datapath: Datapath, treatments: Treatments, signal?: AbortSignal): Promise<TreatedLab> {
  const step = () => {
    if (signal?.aborted) throw interruptedError()
  }
  const treated: TreatedLab = { facts: {} }
  if (treatments.policy) treated.facts['policy'] = await applyPolicy(lab, datapath, treatments.policy, step)
  if (treatments.services) Object.assign(treated, await applyServices(lab, datapath, treatments.services, treated.facts, step))
  return treated
}

export function policyTarget(plan: LabPlan, datapath: Datapath): PolicyTarget {
  const [, server] = measuredPods(plan, 'inter-node')
  const node = nodeOf(plan, server).netns
  const own = datapath.bypassesNodeNetfilter === true || datapath.addressing === 'host'
  return { netns: own ? server.netns : node, hook: own ? 'input' : 'forward', podIp: server.ip, podNetns: server.netns, podDevice: 'eth0' }
}

async function applyPolicy(lab: LabRecord, datapath: Datapath, policy: PolicyTreatment, step: () => void): Promise<Record<string, unknown>> {
  const implementation = policyImplementations[policy.impl]
  const target = policyTarget(lab.plan, datapath)
  step()
  const t0 = performance.now()
  await implementation.load(target, { count: policy.rules, establishedFirst: policy.establishedFirst })
  const loadSeconds = (performance.now() - t0) / 1000
  step()
  const [client] = measuredPods(lab.plan, 'inter-node')
  // The last listed port: a linear list must be loaded to its end for it to drop.
  const listed = listedPort(policy.rules - 1)
  const seenListed = await tryConnect(client.netns, target.podIp, listed, DROP_TIMEOUT_MS)
  const seenUnlisted = await tryConnect(client.netns, target.podIp, UNLISTED_PORT, DROP_TIMEOUT_MS)
  const label = `policy ${policy.impl}:${policy.rules} on ${lab.datapath}`
  if (seenListed !== 'timeout') throw new CnibenchError('E_RUN', `${label} did not drop listed port ${listed} (the connection was ${seenListed}): its rules are not on the measured path`, { hint: 'report this: the lab is removed and nothing was measured on it' })
  if (seenUnlisted !== 'refused' && seenUnlisted !== 'connected') throw new CnibenchError('E_RUN', `${label} stopped unlisted port ${UNLISTED_PORT} too (${seenUnlisted}): it would drop the measured flow`, { hint: 'report this: the lab is removed and nothing was measured on it' })
  return {
    ...policy,
    where: implementation.describe(target),
    ...(target.hook === 'input' ? { placement: `in the server pod's own namespace: ${lab.datapath}'s pod packets do not cross the node's forward path` } : {}),
    loadSeconds,
    check: { listedPort: listed, listed: seenListed, unlistedPort: UNLISTED_PORT, unlisted: seenUnlisted },
  }
}

async function applyServices(lab: LabRecord, datapath: Datapath, services: ServicesTreatment & { port: number }, facts: Record<string, unknown>, step: () => void): Promise<Omit<TreatedLab, 'facts'>> {
  const proxy = serviceProxies[services.proxy]
  const [client, server] = measuredPods(lab.plan, 'inter-node')
  const backends = lab.plan.pods.filter((p) => p.node === server.node).slice(0, 2)
  const table = serviceTable(services.services, backends.map((b) => b.ip), services.port)
  const tested = table.at(-1) as (typeof table)[number]
  const target: ServicesTarget = { nodeNetns: nodeOf(lab.plan, client).netns, hook: datapath.addressing === 'host' ? 'output' : 'prerouting', clientNetns: client.netns, clientDevice: 'eth0', lab: lab.name }
  step()
  const t0 = performance.now()
  const loaded = await proxy.load(target, table)
  const loadSeconds = (performance.now() - t0) / 1000
  step()
  const wrap = loaded.clientCgroup ? (argv: string[]) => inCgroup(loaded.clientCgroup as string, argv) : undefined
  const balance = await tallyBackends({ netns: client.netns, ip: tested.ip, port: tested.port, count: BALANCE_CONNECTIONS, backends, pidDir: join(labDir(lab.name), 'pids'), ...(wrap ? { wrap } : {}) })
  const label = `Service ${tested.ip}:${tested.port} (${services.proxy}, ${services.services} Services) on ${lab.datapath}`
  for (const b of backends) {
    const got = balance[b.ip] ?? 0
    if (got < BALANCE_CONNECTIONS / 4) throw new CnibenchError('E_RUN', `${label}: endpoint ${b.ip} took ${got} of ${BALANCE_CONNECTIONS} connections (${JSON.stringify(balance)})`, { hint: 'the Service does not balance across its endpoints here; nothing was measured on this lab' })
  }
  facts['services'] = { ...services, where: proxy.describe(target), loadSeconds, clusterIp: tested.ip, backends: backends.map((b) => b.ip), balance }
  return { ...(loaded.clientCgroup ? { clientCgroup: loaded.clientCgroup } : {}), service: { ip: tested.ip, port: tested.port, backends } }
}

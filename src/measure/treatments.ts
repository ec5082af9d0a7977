/**
 * The two treatment axes (tests.variantAxes) as data: N network-policy rules of an implementation, and N ClusterIP
 * Services laid out by a proxy. A treated cell's variant holds one value per axis, `IMPL:N[:established-first]` and
 * `PROXY:N`; N = 0 is the untreated cell (no table at all), which is every treated cell's baseline. Pure: the lab
 * side that loads them is src/lab/policy/ and src/lab/services/.
 *
 * The question behind them is the Calico-vs-Cilium study's: iptables policy and kube-proxy against eBPF maps, as
 * curves against scale rather than one figure.
 */
import { CnibenchError } from '../errors.js'
import { policyImpls, type PolicyImpl } from '../lab/policy/names.js'
import { proxyImpls, type ProxyImpl } from '../lab/services/names.js'
import type { PolicyTreatment, ServicesTreatment, Treatments } from '../lab/treatments.js'
import { SERVICE_PORT } from './servers.js'
import type { Variant } from './tests.js'

// Policy: linear iptables (two back ends), linear nftables, hashed sets (nft, ipset) and eBPF maps.
// Services: kube-proxy's iptables mode (two back ends) and nftables mode, Cilium's tc DNAT and socket LB.
export { policyImpls, type PolicyImpl } from '../lab/policy/names.js'
export { proxyImpls, type ProxyImpl } from '../lab/services/names.js'

/**
 * Most rules a policy variant may have: listed ports are 1024 + i, which stays below the ports samples use
 * (servers.SERVICE_PORT and above), so no rule can ever match the measured flow.
 */
export const MAX_POLICY_RULES = 16_000
/** Most Services: beyond the ~20,000 where published kube-proxy/Cilium comparisons cross over. */
export const MAX_SERVICES = 30_000


/** What a run asks for: the counts and implementations to cross (config keys policy-rules, policy-impl, ...). */
export interface TreatmentConfig {
  policyRules?: number[]
  policyImpl?: PolicyImpl[]
  policyEstablishedFirst?: boolean
  services?: number[]
  proxy?: ProxyImpl[]
}

const ESTABLISHED_FIRST = 'established-first'

function policyValue(t: PolicyTreatment): string {
  return `${t.impl}:${t.rules}${t.establishedFirst ? `:${ESTABLISHED_FIRST}` : ''}`
}

function servicesValue(t: ServicesTreatment): string {
  return `${t.proxy}:${t.services}`
}

/** The policy a variant loads, or undefined when it loads none. */
export function policyOf(variant: Variant): PolicyTreatment | undefined {
  const value = variant['policy']
  if (value === undefined || value === 'none') return undefined
  const [impl, rules, flag] = value.split(':')
  if (!(policyImpls as readonly string[]).includes(impl ?? '') || !/^\d+$/.test(rules ?? '') || (flag !== undefined && flag !== ESTABLISHED_FIRST)) {
    throw new CnibenchError('E_USAGE', `policy variant "${value}" is not IMPL:N[:${ESTABLISHED_FIRST}]`, { hint: `IMPL is one of ${policyImpls.join(', ')}` })
  }
  return { impl: impl as PolicyImpl, rules: Number(rules), establishedFirst: flag === ESTABLISHED_FIRST }
}

/** The Services a variant puts in front of the server, or undefined when the client aims at the pod itself. */
export function servicesOf(variant: Variant): ServicesTreatment | undefined {
  const value = variant['services']
  if (value === undefined || value === 'none') return undefined
  const [proxy, count] = value.split(':')
  if (!(proxyImpls as readonly string[]).includes(proxy ?? '') || !/^\d+$/.test(count ?? '')) {
    throw new CnibenchError('E_USAGE', `services variant "${value}" is not PROXY:N`, { hint: `PROXY is one of ${proxyImpls.join(', ')}` })
  }
  return { proxy: proxy as ProxyImpl, services: Number(count) }
}

/**
 * The treatment part of every variant a run measures: the untreated one (always: it is every treated cell's
 * baseline) and each implementation at each count. A count of 0 is the untreated cell, whichever implementation.
 * (A run has one of the two axes: checkTreatmentConfig refuses both.)
 */
export function treatmentVariants(config: TreatmentConfig): Variant[] {
  const policies: (string | undefined)[] = [undefined]
  for (const impl of config.policyImpl ?? [])
    for (const rules of config.policyRules ?? []) if (rules > 0) policies.push(policyValue({ impl, rules, establishedFirst: config.policyEstablishedFirst === true }))
  const services: (string | undefined)[] = [undefined]
  for (const proxy of config.proxy ?? []) for (const count of config.services ?? []) if (count > 0) services.push(servicesValue({ proxy, services: count }))
  const variants: Variant[] = []
  for (const policy of new Set(policies))
    for (const service of new Set(services)) variants.push({ ...(policy ? { policy } : {}), ...(service ? { services: service } : {}) })
  return variants
}

/**
 * A treatment asked for by halves is a mistake worth one line: counts without implementations (or the reverse)
 * would silently measure nothing treated.
 */
export function checkTreatmentConfig(config: TreatmentConfig): void {
  const pairs: [unknown[] | undefined, unknown[] | undefined, string, string][] = [
    [config.policyRules, config.policyImpl, 'policy-rules', 'policy-impl'],
    [config.services, config.proxy, 'services', 'proxy'],
  ]
  for (const [counts, impls, countKey, implKey] of pairs) {
    if (counts && !impls) throw new CnibenchError('E_USAGE', `--${countKey} needs --${implKey} (which implementations to load them with)`, { hint: `e.g. --${implKey} ${countKey === 'services' ? 'iptables-legacy,nftables,ebpf-tc' : 'iptables-legacy,nft-set,ebpf'}` })
    if (impls && !counts) throw new CnibenchError('E_USAGE', `--${implKey} needs --${countKey} (how many to load)`, { hint: `e.g. --${countKey} ${countKey === 'services' ? '1,1000,10000' : '0,1000,10000'}` })
  }
  if ((config.policyImpl ?? []).length > 0 && (config.proxy ?? []).length > 0) {
    // Crossed, a policy would guard one endpoint of the Service and each point would have two baselines.
    throw new CnibenchError('E_USAGE', 'policy and Service variants are measured in separate runs', { hint: 'run --policy-rules/--policy-impl and --services/--proxy one after the other (configs/policy-scale.yaml, configs/services-scale.yaml)' })
  }
  if (config.policyEstablishedFirst && !config.policyImpl) throw new CnibenchError('E_USAGE', '--policy-established-first needs --policy-rules and --policy-impl', { hint: 'e.g. --policy-rules 0,10000 --policy-impl iptables-legacy --policy-established-first' })
}

/** Whether a run's matrix has any Services variant: then every cell is measured as a Service's client would be. */
export function hasServices(config: TreatmentConfig): boolean {
  return (config.services ?? []).some((n) => n > 0) && (config.proxy ?? []).length > 0
}

/** What a cell's variant asks the lab to load (lab/treatments.ts): its policy and its Services, on the Service port. */
export function treatmentsOf(variant: Variant): Treatments {
  const policy = policyOf(variant)
  const services = servicesOf(variant)
  return { ...(policy ? { policy } : {}), ...(services ? { services: { ...services, port: SERVICE_PORT } } : {}) }
}

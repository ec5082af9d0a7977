/**
 * The objects a cluster run creates, validated against the Kubernetes OpenAPI schema (the JSON schemas
 * kubernetes-models generates from it): pods pinned to the chosen nodes, labelled with the run id, no privileges,
 * host networking only for the baseline pair (which says why); the RBAC manifest in the repo is valid and grants what
 * the run uses; `k8s plan` prints all of it without a cluster.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Pod } from 'kubernetes-models/v1/Pod'
import { Service } from 'kubernetes-models/v1/Service'
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole'
import { parseAllDocuments } from 'yaml'
import { describe, expect, it } from 'vitest'
import { clusterManifests, nodeOf, podRoles, RUN_LABEL } from '../../src/k8s/manifests.js'
import { clusterCells, clusterPaths } from '../../src/k8s/plan.js'
import { mergeConfig } from '../../src/measure/config.js'
import { packageRoot } from '../../src/system/paths.js'
import { cnibench } from '../helpers/cli.js'

const input = { runId: 'rtest123', namespace: 'cnibench-rtest123', image: 'registry.example/engines:1', serverNode: 'worker-a', clientNode: 'worker-b', tolerateTaints: false }
const manifests = clusterManifests(input)

describe('cluster manifests', () => {
  it('validate against the Kubernetes OpenAPI schema', () => {
    expect(() => new Namespace(manifests.namespace as never).validate()).not.toThrow()
    for (const pod of manifests.pods) expect(() => new Pod(pod as never).validate(), pod.metadata?.name).not.toThrow()
    expect(() => new Service(manifests.service as never).validate()).not.toThrow()
  })

  it('the validation catches a malformed pod (so the check above can fail)', () => {
    const broken = structuredClone(manifests.pods[0]!) as unknown as { spec: { containers: { name?: string; ports?: unknown }[] } }
    broken.spec.containers[0]!.ports = [{ containerPort: 'eighty' }]
    expect(() => new Pod(broken as never).validate()).toThrow()
  })

  it('pins each role to its node, labels everything with the run id, and asks for no privileges', () => {
    expect(manifests.pods.map((p) => p.metadata?.name)).toEqual([...podRoles])
    for (const pod of manifests.pods) {
      const role = pod.metadata?.name as (typeof podRoles)[number]
      expect(pod.spec?.nodeSelector).toEqual({ 'kubernetes.io/hostname': nodeOf(input, role) })
      expect(pod.metadata?.labels?.[RUN_LABEL]).toBe('rtest123')
      expect(pod.metadata?.namespace).toBe('cnibench-rtest123')
      const container = pod.spec?.containers[0]
      expect(container?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
      expect(JSON.stringify(pod)).not.toMatch(/privileged|"add"|hostPID|hostIPC/)
      expect(pod.spec?.hostNetwork === true).toBe(role.startsWith('host-'))
      if (role.startsWith('host-')) expect(pod.metadata?.annotations?.['cnibench.io/why-host-network']).toMatch(/baseline/)
      expect(pod.spec?.tolerations).toBeUndefined()
    }
    expect(nodeOf(input, 'client-intra')).toBe('worker-a') // the intra-node pair shares the server's node
    expect(clusterManifests({ ...input, tolerateTaints: true }).pods[0]?.spec?.tolerations).toEqual([{ operator: 'Exists' }])
    expect(manifests.service.spec?.selector).toEqual({ [RUN_LABEL]: 'rtest123', 'cnibench.io/role': 'server' })
  })

  it('the RBAC manifest is a valid ClusterRole granting what a run uses', () => {
    const [doc] = parseAllDocuments(readFileSync(join(packageRoot, 'deploy', 'rbac.yaml'), 'utf8'))
    const role = doc!.toJS() as { rules: { resources: string[]; verbs: string[] }[] }
    expect(() => new ClusterRole(role as never).validate()).not.toThrow()
    const grants = (resource: string, verb: string) => role.rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb))
    for (const [resource, verb] of [['namespaces', 'create'], ['namespaces', 'get'], ['namespaces', 'list'], ['namespaces', 'delete'], ['pods', 'create'], ['pods', 'get'], ['pods/exec', 'create'], ['services', 'create'], ['nodes', 'list'], ['nodes/proxy', 'get'], ['events', 'list'], ['daemonsets', 'list'], ['configmaps', 'get'], ['ippools', 'list']]) {
      expect(grants(resource as string, verb as string), `${resource} ${verb}`).toBe(true)
    }
  })
})

describe('cluster test plan', () => {
  it('measures every path for every test and size; intra-node only when asked; the Service path TCP_RR and TCP_CRR', () => {
    const config = mergeConfig({}, {})
    const cells = clusterCells(config)
    // default: inter-node only, three tests, one size each; the Service path skips TCP_STREAM
    expect(cells).toHaveLength((clusterPaths.length - 1) * 3 - 1)
    expect(cells.filter((c) => c.path.viaService).map((c) => c.test)).toEqual(['TCP_RR', 'TCP_CRR'])
    expect(cells.filter((c) => c.path.datapath === 'host')).toHaveLength(3)
    const both = clusterCells(mergeConfig({}, { placements: ['inter-node', 'intra-node'], tests: ['TCP_RR'], sizes: [512, 1024] }))
    expect(both).toHaveLength(clusterPaths.length * 2)
    // The baseline pair measures what the chosen paths need: no stream for the Service path alone, unless asked.
    const hostTests = (paths: string[]) => clusterCells(config, paths).filter((c) => c.path.datapath === 'host').map((c) => c.test)
    expect(hostTests(['pod-service'])).toEqual(['TCP_RR', 'TCP_CRR'])
    expect(hostTests(['host', 'pod-service'])).toEqual(['TCP_STREAM', 'TCP_RR', 'TCP_CRR'])
  })

  it('`k8s plan` prints the manifests and the plan without a cluster', async () => {
    const result = await cnibench(['k8s', 'plan', '--server-node', 'worker-a', '--client-node', 'worker-b', '--tests', 'TCP_RR'])
    expect(result.code, result.stderr).toBe(0)
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind: string } | null).filter(Boolean)
    expect(docs.map((d) => d!.kind)).toEqual(['Namespace', 'Pod', 'Pod', 'Pod', 'Pod', 'Pod', 'Service'])
    expect(result.stdout).toMatch(/# test plan: 3 cells/)
    const same = await cnibench(['k8s', 'plan', '--server-node', 'worker-a', '--client-node', 'worker-a'])
    expect(same.code).toBe(2)
    expect(same.stderr.trim().split('\n')).toHaveLength(1)
  })
})

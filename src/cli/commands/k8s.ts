/**
 * `cnibench k8s ...`: the same matrix on a real Kubernetes cluster, through its API. `k8s plan` prints the manifests
 * and the test plan without touching a cluster.
 */
import type { Command } from 'commander'
import { CnibenchError } from '../../errors.js'
import { clusterManifests, DEFAULT_IMAGE, defaultNamespace } from '../../k8s/manifests.js'
import { manifestsYaml, planText } from '../../k8s/plan-text.js'
import { clusterCells } from '../../k8s/plan.js'
import { newRunId } from '../../measure/runner.js'
import { addMatrixOptions, matrixConfig, type MatrixOptions } from '../matrix-options.js'
import { printJson } from '../output.js'

interface PlanOptions extends MatrixOptions {
  namespace?: string
  image: string
  serverNode?: string
  clientNode?: string
  tolerateTaints?: boolean
  json?: boolean
}

export function registerK8s(program: Command): void {
  const k8s = program.command('k8s').description('measure the matrix on a Kubernetes cluster through its API')
  const plan = k8s
    .command('plan')
    .description('print the manifests and the test plan of a cluster run, without touching any cluster')
    .option('-n, --namespace <name>', 'namespace to create (default: cnibench-<run id>)')
    .option('--image <image>', 'the engines image (deploy/Dockerfile)', DEFAULT_IMAGE)
    .option('--server-node <node>', 'node of the server pods (a run picks two schedulable workers when not given)')
    .option('--client-node <node>', 'node of the client pods')
    .option('--tolerate-taints', 'let the pods run on tainted nodes')
    .option('--json', 'the objects and cells as JSON')
  addMatrixOptions(plan).action((opts: PlanOptions) => {
    if (opts.serverNode !== undefined && opts.serverNode === opts.clientNode) {
      throw new CnibenchError('E_USAGE', `--server-node and --client-node are both ${opts.serverNode}`, { hint: 'give two different nodes: the pod-to-pod path crosses between them (the intra-node pair is measured too)' })
    }
    const config = matrixConfig(opts)
    const runId = newRunId()
    const manifests = clusterManifests({
      runId,
      namespace: opts.namespace ?? defaultNamespace(runId),
      image: opts.image,
      serverNode: opts.serverNode ?? 'SERVER_NODE',
      clientNode: opts.clientNode ?? 'CLIENT_NODE',
      tolerateTaints: opts.tolerateTaints === true,
    })
    const cells = clusterCells(config)
    if (opts.json) return printJson({ runId, manifests, cells })
    const nodes = opts.serverNode && opts.clientNode ? '' : '# SERVER_NODE / CLIENT_NODE: a run picks two schedulable workers (or give --server-node / --client-node)\n'
    process.stdout.write(`# cnibench k8s plan (run id ${runId} for illustration; each run gets its own)\n${nodes}${manifestsYaml(manifests)}${planText(cells)}`)
  })
}

/**
 * cnb-perf in direct mode (docs/engine.md): the same binary and transaction loops as cnb-perf, without the control
 * connection and session. Every connection stands alone, so a load balancer in front of the server (a ClusterIP
 * Service, kube-proxy's or eBPF's) may send each one to another backend, as it does for real clients. The server is
 * started per sample, one per backend, with the test and sizes on its command line; the client reports its own side.
 * TCP_RR and TCP_CRR only: a Service's cost shows in connection setup and per request, and a stream through it is one
 * connection like any other.
 */
import { CNB_PERF_PATH, cnbPerf } from './cnb-perf.js'
import type { Engine } from './engine.js'

/** The tests a server without a control channel can serve (cnb-perf's --direct): what a Service's client measures. */
export const servesStateless = (test: string): test is 'TCP_RR' | 'TCP_CRR' => test === 'TCP_RR' || test === 'TCP_CRR'

export const cnbPerfDirect: Engine = {
  name: 'cnb-perf-direct',
  requires: { builtFile: CNB_PERF_PATH },
  // Never chosen on its own: runs with Services variants ask for it (measure/plan.ts).
  rank: (test) => (servesStateless(test) ? 9 : undefined),
  nativeParallel: false,
  stateless: true,
  warmup: cnbPerf.warmup,
  listensOn: () => 'tcp',
  // One worker per flow (at least four): a TCP_RR flow holds its worker for the whole sample.
  server: (spec, at) => [CNB_PERF_PATH, 'server', '--bind', at.serverIp, '--port', String(at.port), '--direct', '1', '--test', spec.kind, '--size', String(spec.size), '--workers', String(Math.max(4, spec.parallel))],
  client(spec, at) {
    const argv = [CNB_PERF_PATH, 'client', '--server', at.serverIp, '--port', String(at.port), '--test', spec.kind, '--size', String(spec.size)]
    argv.push('--duration', String(spec.durationS), '--warmup', String(spec.warmupS), '--direct', '1')
    return { argv }
  },
  parse: (out, spec) => cnbPerf.parse(out, spec),
}

/**
 * Reachability checks inside a lab, before anything is measured on a treated lab: does a connection get through, get
 * refused, or get dropped; which backend answers a Service's connections. Run with the Node binary cnibench itself
 * runs on, inside the lab's namespaces, so no extra tool is needed; each prints one JSON line.
 */
import { waitUntilListening } from '../exec/listening.js'
import { inNetns } from '../exec/netns.js'
import { startProcess } from '../exec/processes.js'
import { runJson } from '../exec/run.js'

/** What one TCP connection attempt met: an accept, a reset (refused: the packet got there), or silence (dropped). */
export type ConnectOutcome = 'connected' | 'refused' | 'timeout' | 'error'

const CONNECT = `
const net = require('node:net')
const [ip, port, ms] = process.argv.slice(1)
const socket = net.connect({ host: ip, port: Number(port) })
const done = (outcome) => { console.log(JSON.stringify({ outcome })); socket.destroy(); process.exit(0) }
socket.setTimeout(Number(ms), () => done('timeout'))
socket.on('connect', () => done('connected'))
socket.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error'))
`

const TALLY = `
const net = require('node:net')
const [ip, port, count] = process.argv.slice(1)
const tally = {}
const once = () => new Promise((resolve) => {
  let text = ''
  const socket = net.connect({ host: ip, port: Number(port) })
  socket.setTimeout(2000, () => socket.destroy(new Error('timeout')))
  socket.on('data', (d) => (text += d))
  socket.on('end', () => resolve(text || 'empty'))
  socket.on('error', (e) => resolve('error ' + (e.code || e.message)))
})
;(async () => {
  // Five failures in a row end the check early: a Service that does not work should not take minutes to say so.
  for (let i = 0, failed = 0; i < Number(count) && failed < 5; i++) {
    const who = await once()
    tally[who] = (tally[who] || 0) + 1
    failed = who.startsWith('error') ? failed + 1 : 0
  }
  console.log(JSON.stringify(tally))
})()
`

const WHO_AM_I = `
const net = require('node:net')
const [ip, port] = process.argv.slice(1)
net.createServer((s) => s.end(s.localAddress)).listen(Number(port), ip)
`

const node = (script: string, args: (string | number)[]) => [process.execPath, '-e', script, ...args.map(String)]

/** One connection attempt from `netns` to ip:port; `wrap` runs it as the measuring client runs (a cgroup). */
export async function tryConnect(netns: string, ip: string, port: number, timeoutMs: number, wrap: (argv: string[]) => string[] = (a) => a): Promise<ConnectOutcome> {
  const result = await runJson<{ outcome: ConnectOutcome }>(wrap(inNetns(netns, node(CONNECT, [ip, port, timeoutMs]))), { timeoutMs: timeoutMs + 10_000 })
  return result.outcome
}

/**
 * `count` connections from `netns` to ip:port, with a server in each backend namespace answering its own address:
 * how many each backend took (keys are addresses, or "error ..." for connections that failed).
 */
export async function tallyBackends(opts: { netns: string; ip: string; port: number; count: number; backends: { netns: string; ip: string }[]; pidDir: string; wrap?: (argv: string[]) => string[] }): Promise<Record<string, number>> {
  const servers = []
  try {
    for (const b of opts.backends) {
      const server = await startProcess({ argv: inNetns(b.netns, node(WHO_AM_I, [b.ip, opts.port])), label: `check-server-${b.ip}`, pidDir: opts.pidDir, capture: true })
      servers.push(server)
      await waitUntilListening(server, opts.port, 'tcp')
    }
    const wrap = opts.wrap ?? ((a: string[]) => a)
    return await runJson<Record<string, number>>(wrap(inNetns(opts.netns, node(TALLY, [opts.ip, opts.port, opts.count]))), { timeoutMs: 60_000 })
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

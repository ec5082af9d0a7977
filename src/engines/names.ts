/** The engines' names, without their code: what configuration checks against (the registry is ./index.ts). */
export const engineNames = ['cnb-perf', 'cnb-perf-direct', 'iperf3', 'sockperf', 'netperf'] as const
export type EngineName = (typeof engineNames)[number]

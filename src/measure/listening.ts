/** Whether a /proc/net/{tcp,udp} table has a socket on `port` ready for a client: listening (TCP) or bound (UDP). */
export function listens(table: string, port: number, protocol: 'tcp' | 'udp'): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const wanted = protocol === 'tcp' ? '0A' : '07' // TCP_LISTEN, TCP_CLOSE (an unconnected UDP socket)
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/)
    return fields[1]?.endsWith(hexPort) === true && fields[3] === wanted
  })
}

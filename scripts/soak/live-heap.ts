/**
 * A node's live V8 heap: what is left after a forced full collection. Heap used as sampled climbs
 * between full collections by design (the node runs with --heap-growing-percent=100, gc-tuning.ts),
 * so only the heap after a full GC can tell a leak from garbage not yet collected. The node runs
 * without --expose-gc; SIGUSR1 opens its inspector (127.0.0.1:9229, announced on its stderr, which
 * the devnet writes to its log), HeapProfiler.collectGarbage runs, and the inspector is closed.
 * One node at a time (they would share the port); a node whose inspector cannot open is skipped.
 */
import { readFile } from 'node:fs/promises'

const INSPECTOR_WAIT_MS = 10_000
const CALL_TIMEOUT_MS = 30_000

export async function liveHeapBytes (pid: number, logFile: string): Promise<number | undefined> {
  const offset = (await readFile(logFile, 'utf8').catch(() => '')).length
  process.kill(pid, 'SIGUSR1')
  let url: string | undefined
  for (const until = Date.now() + INSPECTOR_WAIT_MS; url === undefined && Date.now() < until;) {
    await new Promise(resolve => setTimeout(resolve, 100))
    url = /Debugger listening on (ws:\/\/\S+)/.exec((await readFile(logFile, 'utf8')).slice(offset))?.[1]
  }
  if (url === undefined) return undefined
  const ws = new WebSocket(url)
  try {
    await new Promise((resolve, reject) => { ws.addEventListener('open', resolve); ws.addEventListener('error', reject) })
    let id = 0
    const call = async (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => await new Promise((resolve, reject) => {
      const mine = ++id
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), CALL_TIMEOUT_MS)
      ws.addEventListener('message', e => {
        const msg = JSON.parse(String(e.data)) as { id?: number, result?: Record<string, unknown> }
        if (msg.id === mine) { clearTimeout(timer); resolve(msg.result ?? {}) }
      })
      ws.send(JSON.stringify({ id: mine, method, params }))
    })
    await call('HeapProfiler.collectGarbage')
    await call('HeapProfiler.collectGarbage')
    const usage = await call('Runtime.getHeapUsage')
    // Closes the inspector again (the node goes on as before); the reply may never come.
    ws.send(JSON.stringify({ id: 1_000_000, method: 'Runtime.evaluate', params: { expression: 'process._debugEnd()' } }))
    return typeof usage.usedSize === 'number' ? usage.usedSize : undefined
  } catch {
    return undefined
  } finally {
    ws.close()
  }
}

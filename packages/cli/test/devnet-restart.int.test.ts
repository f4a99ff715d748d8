// The devnet heals itself: a node killed with SIGKILL comes back on its remembered ports with its
// data dir (same peer id), and one that keeps crashing is given up with a clear event.
import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const EVENT_TIMEOUT_MS = 60_000

describe('p2pdv devnet restarts a crashed node', () => {
  let devnet: RunningDevnet
  const events: Array<{ event: string, name: string, pid?: number, http?: string, crashes?: number }> = []
  const waiters: Array<() => void> = []

  /** Resolves with the first event (seen or to come) matching, after `from` events. */
  const nextEvent = async (from: number, match: (e: typeof events[number]) => boolean): Promise<typeof events[number]> => {
    const signal = AbortSignal.timeout(EVENT_TIMEOUT_MS)
    for (;;) {
      const found = events.slice(from).find(match)
      if (found !== undefined) return found
      if (signal.aborted) throw new Error(`no matching devnet event; saw ${JSON.stringify(events)}`)
      await new Promise<void>(resolve => { waiters.push(resolve); setTimeout(resolve, 1_000) })
    }
  }

  before(async () => {
    devnet = await startDevnet(2, undefined, ['--no-chain', '--restarts', '1'])
    let buffered = ''
    devnet.proc.stdout!.on('data', d => {
      buffered += String(d)
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        try {
          const msg = JSON.parse(line)
          if (msg.event === 'node-restarted' || msg.event === 'node-given-up') events.push(msg)
        } catch {}
      }
      waiters.splice(0).forEach(w => w())
    })
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('kill -9 a node: it is back, ready, on the same URL with the same identity; the next crash within the window is given up', async () => {
    const node = devnet.state.nodes.find(n => n.name === 'node-1')!
    const before = await (await fetch(`${node.http}/api/v1/status`)).json() as { peerId: string }

    process.kill(node.pid, 'SIGKILL')
    const restarted = await nextEvent(0, e => e.event === 'node-restarted' && e.name === 'node-1')
    assert.equal(restarted.http, node.http)
    assert.notEqual(restarted.pid, node.pid)
    assert.equal((await fetch(`${node.http}/readyz`)).status, 200)
    const afterRestart = await (await fetch(`${node.http}/api/v1/status`)).json() as { peerId: string }
    assert.equal(afterRestart.peerId, before.peerId)
    const state = JSON.parse(await readFile(join(devnet.env.P2PDV_DEVNET_DIR!, 'devnet.json'), 'utf8'))
    assert.equal(state.nodes.find((n: { name: string }) => n.name === 'node-1').pid, restarted.pid)

    // --restarts 1: the second crash within ten minutes leaves it down; node-0 keeps running.
    const seen = events.length
    process.kill(restarted.pid!, 'SIGKILL')
    const gaveUp = await nextEvent(seen, e => e.event === 'node-given-up')
    assert.equal(gaveUp.name, 'node-1')
    assert.equal(gaveUp.crashes, 2)
    assert.equal((await fetch(`${devnet.state.nodes[0]!.http}/readyz`)).status, 200)
  })
})

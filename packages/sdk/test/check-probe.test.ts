// check's probes against a real local HTTP server: a slow holder is retried and, if still silent,
// reported as timed out — never as missing — and only verdicts that depend on it become `unknown`.
import assert from 'node:assert/strict'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import { probeHolder, stripeStatus, type PeerInfo } from '@p2pdv/sdk'

const block = new Uint8Array(100).fill(7)
// Generous: only a request that is never answered ever hits them.
const TIMEOUTS = { first: 200, retry: 5_000 }

describe('check: probes and verdicts', () => {
  let server: Server
  let peer: PeerInfo
  /** Per path: how long each successive request waits before answering (Infinity: never). */
  const delays = new Map<string, number[]>()
  const held: ServerResponse[] = []

  before(async () => {
    server = createServer((req, res) => {
      const mode = (req.url ?? '').split('/')[1] // requests come as /<mode>/ipfs/<cid>
      const queue = delays.get(mode ?? '') ?? []
      const wait = queue.shift() ?? 0
      const answer = (): void => {
        if (mode === 'gone') { res.writeHead(404).end(); return }
        if (mode === 'endless' && req.method === 'GET') {
          res.writeHead(200)
          const chunk = Buffer.alloc(64 * 1024, 7)
          const pump = (): void => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump) }
          pump()
          return
        }
        res.writeHead(200, { 'content-length': String(block.byteLength) }).end(req.method === 'HEAD' ? undefined : block)
      }
      if (wait === Infinity) { held.push(res); return }
      setTimeout(answer, wait)
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    peer = { peerId: 'p', multiaddrs: [], http: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
  })
  after(() => {
    for (const r of held) r.destroy()
    server.closeAllConnections()
    server.close()
  })

  const at = (mode: string): PeerInfo => ({ ...peer, http: `${peer.http}/${mode}` })

  it('answers ok at once, missing on 404 and on a refused connection', async () => {
    const cid = await blockCid(block)
    assert.equal(await probeHolder(at('fast'), cid, 100, false, TIMEOUTS), 'ok')
    assert.equal(await probeHolder(at('fast'), cid, 99, false, TIMEOUTS), 'missing', 'wrong size')
    assert.equal(await probeHolder(at('fast'), cid, 100, true, TIMEOUTS), 'ok', 'verified by hash')
    assert.equal(await probeHolder(at('gone'), cid, 100, false, TIMEOUTS), 'missing')
    assert.equal(await probeHolder({ ...peer, http: 'http://127.0.0.1:1' }, cid, 100, false, TIMEOUTS), 'missing')
  })

  it('calls a holder that sends an endless body missing (refused at the block limit), not slow', async () => {
    const cid = await blockCid(block)
    assert.equal(await probeHolder(at('endless'), cid, 100, true, TIMEOUTS), 'missing')
  })

  it('retries a holder that timed out once, with the longer timeout', async () => {
    const cid = await blockCid(block)
    delays.set('slow', [Infinity, 0]) // the first try is never answered, the retry at once
    let timeouts = 0
    assert.equal(await probeHolder(at('slow'), cid, 100, false, TIMEOUTS, undefined, () => { timeouts++ }), 'ok')
    assert.equal(timeouts, 1)
  })

  it('reports a holder silent twice as timed out, not missing', async () => {
    const cid = await blockCid(block)
    delays.set('silent', [Infinity, Infinity])
    assert.equal(await probeHolder(at('silent'), cid, 100, false, { first: 100, retry: 200 }), 'timeout')
  })

  it('a stripe is unknown only when the timed-out blocks could change its verdict', () => {
    // k = 4 of 6 blocks.
    assert.equal(stripeStatus(6, 0, 6, 4), 'healthy')
    assert.equal(stripeStatus(4, 0, 6, 4), 'at-risk')
    assert.equal(stripeStatus(2, 0, 6, 4), 'lost')
    assert.equal(stripeStatus(2, 2, 6, 4), 'unknown', 'two present, two silent: maybe readable')
    assert.equal(stripeStatus(5, 1, 6, 4), 'unknown', 'maybe healthy, maybe degraded')
    assert.equal(stripeStatus(1, 1, 6, 4), 'lost', 'even with the silent block there are too few')
    // A replicated block with more copies than wanted (repair lists new copies beside holders
    // that were unreachable, and they came back) is healthy, not degraded.
    assert.equal(stripeStatus(5, 0, 3, 1), 'healthy')
    assert.equal(stripeStatus(4, 1, 3, 1), 'healthy')
  })
})

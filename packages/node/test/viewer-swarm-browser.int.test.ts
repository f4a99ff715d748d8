// P2P delivery between two headless Chromium pages: the browser build of @p2pdv/sdk/swarm joins a
// video's swarm through a real node (WebSockets + relay), the pages connect over WebRTC and one
// fetches a block the other holds, verified against its CID.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { build } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

const ENTRY = `
import { blockCid } from '@p2pdv/core'
import { CID } from 'multiformats/cid'
import { MemoryBlockSource, ViewerSwarm } from '@p2pdv/sdk/swarm'
let swarm
const source = new MemoryBlockSource()
globalThis.p2p = {
  async hold (size) {
    const bytes = new Uint8Array(size)
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
    const cid = await blockCid(bytes)
    source.put(cid, bytes)
    return { cid: cid.toString(), sum: bytes.reduce((a, b) => (a + b) % 65521, 0) }
  },
  async join (node, video) {
    swarm = await ViewerSwarm.join({ video, nodes: [node], source })
    await swarm.settled()
    return swarm.peerId
  },
  async fetch (cid) {
    const bytes = await swarm.fetch(CID.parse(cid), { signal: AbortSignal.timeout(20000) })
    return { size: bytes.byteLength, sum: bytes.reduce((a, b) => (a + b) % 65521, 0), stats: swarm.stats() }
  },
  stats: () => swarm.stats()
}
`

describe('viewer swarm between two Chromium pages', () => {
  let browser: Browser
  let node: SpawnedNode
  let script: string
  let server: Server
  let pageUrl: string
  before(async () => {
    node = await spawnNode()
    const bundle = await build({ stdin: { contents: ENTRY, resolveDir: import.meta.dirname, loader: 'js' }, bundle: true, write: false, format: 'iife', platform: 'browser', conditions: ['browser'], logLevel: 'error' })
    script = bundle.outputFiles[0]!.text
    // A page on http://127.0.0.1 is a secure context (WebCrypto hashes the blocks); about:blank is not.
    server = createServer((req, res) => {
      if (req.url === '/swarm.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(script); return }
      res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><script src="/swarm.js"></script>')
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    pageUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      // Plain host candidates: both pages run on this machine and no mDNS responder is assumed.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns']
    })
  })
  after(async () => {
    await browser?.close()
    server?.close()
    await node?.stop()
  })

  it('page B fetches a block page A holds, over WebRTC, verified', async () => {
    const ws = node.info.multiaddrs.find(a => a.includes('/ws/'))!
    const video = '0x' + 'ef'.repeat(32)
    const open = async (): Promise<Page> => {
      const page = await browser.newPage()
      await page.goto(pageUrl)
      await page.waitForFunction(() => 'p2p' in globalThis)
      return page
    }
    const a = await open()
    const b = await open()
    type P2p = { hold: (n: number) => Promise<{ cid: string, sum: number }>, join: (n: string, v: string) => Promise<string>, fetch: (c: string) => Promise<{ size: number, sum: number, stats: { bytesFromPeers: number, peers: number } }> }
    const held = await a.evaluate(async n => await (globalThis as unknown as { p2p: P2p }).p2p.hold(n), 300_000)
    await a.evaluate(async ([n, v]) => await (globalThis as unknown as { p2p: P2p }).p2p.join(n!, v!), [ws, video])
    await b.evaluate(async ([n, v]) => await (globalThis as unknown as { p2p: P2p }).p2p.join(n!, v!), [ws, video])
    // (A dial through the relay that fails is tried once more at join: counted, and B still has A.)
    const { dialFailures, ...joined } = await b.evaluate(() => (globalThis as unknown as { p2p: { stats: () => { dialFailures: number } } }).p2p.stats())
    assert.deepEqual(joined, { bytesFromPeers: 0, blocksFromPeers: 0, bytesToPeers: 0, blocksToPeers: 0, peers: 1, banned: 0, dialling: 0 }, `B dialled A from the tracker sample (failed dials: ${dialFailures})`)
    const got = await b.evaluate(async c => await (globalThis as unknown as { p2p: P2p }).p2p.fetch(c), held.cid)
    assert.deepEqual({ size: got.size, sum: got.sum, from: got.stats.bytesFromPeers, peers: got.stats.peers }, { size: 300_000, sum: held.sum, from: 300_000, peers: 1 })
  })
})

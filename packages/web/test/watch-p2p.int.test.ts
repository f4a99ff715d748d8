// P2P delivery on the watch page (issue 16), end to end: a real devnet, a generated 20 s video,
// headless Chromium pages that join the video's viewer swarm at its home node (WebSockets +
// circuit relay for signalling, WebRTC between pages) after their first frame. A later viewer,
// whose page came from another node, takes blocks ahead of its playhead from an earlier one, each
// verified by CID; a hostile viewer serving wrong bytes is banned and playback goes on from the
// nodes; the off switch joins nothing.
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { CID } from 'multiformats/cid'
import { parseCapability } from '@p2pdv/core'
import { joinVideoSwarmAtHome, type BlockSource } from '@p2pdv/sdk/swarm'
import { fetchPeerDirectory, PeerSet, VideoSource } from '@p2pdv/sdk/player'
import { runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { playsPast } from './fixtures/player.ts'
import { makeTestVideo } from './fixtures/video.ts'

const WAIT_MS = 90_000

interface P2pStats { home?: string, peerBytes: number, peerBlocks: number, nodeBlocks: number, urgentBlocks: number, peers: number, bannedPeers: number, bytesToPeers: number, rejectedPeerBlocks: number, state: string }

async function p2p (page: Page): Promise<P2pStats> {
  return await page.evaluate(() => window.p2pdvPlayer!.p2p() as unknown as P2pStats)
}

interface P2pWant { state?: string, peers?: number, peerBytes?: number, bannedPeers?: number, peersOrBanned?: number }

/** Waits until the page's P2P stats reach `want` (state equal, counts at least). */
async function waitP2p (page: Page, want: P2pWant): Promise<void> {
  try {
    await page.waitForFunction(want => {
      const s = window.p2pdvPlayer?.p2p()
      if (s === undefined) return false
      return (want.state === undefined || s.state === want.state) && s.peers >= (want.peers ?? 0) && s.peerBytes >= (want.peerBytes ?? 0) && s.bannedPeers >= (want.bannedPeers ?? 0) &&
        s.peers + s.bannedPeers >= (want.peersOrBanned ?? 0)
    }, want, { timeout: WAIT_MS, polling: 200 })
  } catch (err) {
    throw new Error(`the page's P2P stats never reached ${JSON.stringify(want)}: ${JSON.stringify(await p2p(page).catch(() => undefined))}`, { cause: err })
  }
}

/**
 * The frame shown at `t` (seeked there, paused) as 32×18 grey levels: two pages showing the
 * same instant of the same video give (nearly) the same picture whatever rendition they play.
 */
async function frameAt (page: Page, t: number): Promise<number[]> {
  return await page.evaluate(async t => {
    const v = document.querySelector('video')!
    v.pause()
    await new Promise<void>(resolve => { v.addEventListener('seeked', () => { resolve() }, { once: true }); v.currentTime = t })
    const c = document.createElement('canvas')
    c.width = 32
    c.height = 18
    const g = c.getContext('2d', { willReadFrequently: true })!
    g.drawImage(v, 0, 0, 32, 18)
    const d = g.getImageData(0, 0, 32, 18).data
    const out: number[] = []
    for (let i = 0; i < d.length; i += 4) out.push(Math.round((d[i]! + d[i + 1]! + d[i + 2]!) / 3))
    return out
  }, t)
}

const distance = (a: number[], b: number[]): number => a.reduce((n, x, i) => n + Math.abs(x - b[i]!), 0) / a.length

describe('watch page P2P delivery in Chromium', () => {
  let devnet: RunningDevnet
  let browser: Browser
  let watchUrl: string
  let manifest: CID
  let blocks: CID[]

  before(async () => {
    devnet = await startDevnet(2)
    const video = join(devnet.dir, 'clip.mp4')
    await makeTestVideo(video, 20)
    for (const n of devnet.state.nodes) {
      for (let i = 0; i < 60; i++) {
        if (await fetch(`${n.http}/api/v1/status`, { signal: AbortSignal.timeout(10_000) }).then(r => r.ok, () => false)) break
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    }
    const env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const up = await runCli(['upload', video, '--replicas', '2', '--title', 'Swarm card', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    watchUrl = up.json.watchUrl
    const cap = parseCapability(up.json.capability)
    manifest = cap.manifest
    const source = await VideoSource.open({ peers: new PeerSet(await fetchPeerDirectory(devnet.state.nodes[0]!.http)), manifest: cap.manifest, key: cap.key })
    blocks = source.video.renditions.flatMap(r => [r.init, ...r.segments.map(s => s.stream)]).flatMap(s => s.chunks.map(c => c.cid))
    source.close()
    // No mDNS responder here: pages must offer plain host candidates to reach each other.
    browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns'])
  })

  after(async () => {
    await browser?.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
    // The hostile viewer ran WebRTC in this process: end node-datachannel's native threads.
    const { cleanup } = await import('node-datachannel')
    cleanup()
  })

  it('a second viewer, served by another node, gets a real share of its bytes from the first, verified, and shows the right frames', async () => {
    const a = await browser.context.newPage()
    const b = await browser.context.newPage()
    // The pages come from different nodes: they meet at the video's home node all the same.
    const otherNode = devnet.state.nodes.find(n => !watchUrl.startsWith(n.http))!
    try {
      await a.goto(watchUrl)
      await playsPast(a, 1)
      await waitP2p(a, { state: 'joined' })
      // A buffers ahead (30 s): the whole video, which it then holds for others.
      await a.waitForFunction(() => { const v = document.querySelector('video')!; return v.buffered.length > 0 && v.buffered.end(v.buffered.length - 1) > 19 }, undefined, { timeout: WAIT_MS, polling: 250 })
      await b.goto(`${otherNode.http}/watch/${watchUrl.split('/watch/')[1]!}`)
      await playsPast(b, 1)
      await waitP2p(b, { state: 'joined', peers: 1 })
      assert.ok((await p2p(a)).home !== undefined && (await p2p(a)).home === (await p2p(b)).home, 'both pages met at one home node')
      if ((await p2p(b)).peerBytes === 0) {
        // B may have buffered this short video from the nodes before its dial to A connected
        // (seconds on a loaded host): switching to A's rendition flushes B's buffer, so B
        // fetches again, now with A connected and holding that rendition.
        // If B already plays that rendition the switch alone flushes nothing: go through another.
        const held = await a.evaluate(() => window.p2pdvPlayer!.controller()!.snapshot().activeQuality)
        await b.evaluate(q => {
          const c = window.p2pdvPlayer!.controller()!
          const s = c.snapshot()
          if (s.activeQuality === q) c.setQuality(s.qualities.find(x => x.index !== q)!.index)
          c.setQuality(q)
        }, held)
      }
      await playsPast(b, 8)
      await waitP2p(b, { peerBytes: 1 })
      const sb = await p2p(b)
      const sa = await p2p(a)
      assert.ok(sb.peerBlocks > 0 && sb.peerBytes > 0, `B took blocks from A: ${JSON.stringify(sb)}`)
      assert.ok(sa.bytesToPeers >= sb.peerBytes, 'A served what B received')
      assert.equal(sb.rejectedPeerBlocks, 0)
      assert.equal(sb.bannedPeers, 0)
      // Start-up blocks went to the nodes: the swarm starts only after the first frame.
      assert.ok(sb.nodeBlocks > 0, 'start-up blocks went to the nodes')
      assert.match(await b.locator('.p2p-consent').textContent() ?? '', /IP address/)
      if (process.env.P2PDV_SCREENSHOT !== undefined) await b.screenshot({ path: process.env.P2PDV_SCREENSHOT, fullPage: true })
      // The frames B decoded from peer blocks are the video's: at 15 s (fetched ahead, after B
      // joined) B shows what A shows, and not what A shows 10 s earlier.
      const fb = await frameAt(b, 15)
      const fa = await frameAt(a, 15)
      const other = await frameAt(a, 5)
      assert.ok(distance(fb, fa) < distance(fb, other) / 4, `same instant ${distance(fb, fa)}, another ${distance(fb, other)}`)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('bans a viewer that serves wrong bytes (detected by CID), and plays on from the nodes', async () => {
    const node = devnet.state.nodes.find(n => !watchUrl.startsWith(n.http)) ?? devnet.state.nodes[0]!
    // Claims every block of the video; answers each want with junk of a plausible size. It joins
    // where every viewer of the video meets, whichever node served its page.
    const lying: BlockSource = { get: () => new Uint8Array(1000).fill(7), cids: () => blocks }
    const { swarm: hostile } = await joinVideoSwarmAtHome({ nodes: devnet.state.nodes, manifest, source: lying })
    const page = await browser.context.newPage()
    try {
      await page.goto(`${node.http}/watch/${watchUrl.split('/watch/')[1]!}`)
      await playsPast(page, 1)
      // Met the liar: connected to it, or already banned it (it may answer a want within the
      // first poll, so "connected" alone can be missed).
      await waitP2p(page, { state: 'joined', peersOrBanned: 1 })
      if ((await p2p(page)).bannedPeers === 0) {
        // A short video may be buffered from the nodes before the swarm is joined: switching the
        // rendition flushes the buffer, so the page must fetch again with the liar connected.
        await page.evaluate(() => {
          const c = window.p2pdvPlayer!.controller()!
          const s = c.snapshot()
          c.setQuality(s.qualities.find(q => q.index !== s.activeQuality)!.index)
        })
        await waitP2p(page, { bannedPeers: 1 })
      }
      await playsPast(page, 10)
      const s = await p2p(page)
      assert.equal(s.peerBytes, 0, 'no byte from the hostile viewer was used')
      assert.equal(s.peers, 0, 'the banned viewer is disconnected')
      assert.equal(await page.locator('.error-detail').count(), 0)
    } finally {
      await page.close()
      await hostile.stop()
    }
  })

  it('the off switch persists, and a page with P2P off joins no swarm (no WebSocket at all)', async () => {
    const page = await browser.context.newPage()
    const sockets: string[] = []
    page.on('websocket', w => { sockets.push(w.url()) })
    try {
      await page.goto(watchUrl)
      await playsPast(page, 1)
      await assertAccessible(page, 'the watch page with its P2P panel')
      await page.getByRole('switch').click()
      await waitP2p(page, { state: 'off' })
      assert.equal(await page.evaluate(() => localStorage.getItem('p2pdv.p2p')), 'off')
      sockets.length = 0
      await page.reload()
      await playsPast(page, 3)
      assert.equal((await p2p(page)).state, 'off')
      assert.equal(await page.getByRole('switch').getAttribute('aria-checked'), 'false')
      assert.deepEqual(sockets, [], 'nothing dialled the viewer relay')
    } finally {
      await page.evaluate(() => { localStorage.removeItem('p2pdv.p2p') }).catch(() => {})
      await page.close()
    }
  })
})

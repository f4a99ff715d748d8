// The watch page end to end, as a viewer meets it: a real 3-node devnet, a generated 20 s video
// uploaded with the CLI, the page served by a node and played in headless Chromium (Debian's,
// driven by playwright-core). Blocks travel from the nodes' data planes to the page, are verified
// and decrypted there, and reach the decoder only then.
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { parseCapability } from '@p2pdv/core'
import { fetchPeerDirectory, PeerSet, VideoSource } from '@p2pdv/sdk/browser'
import { runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { playsPast } from './fixtures/player.ts'
import { makePhoneVideo, makeTestVideo } from './fixtures/video.ts'

const WAIT_MS = 60_000

interface Snapshot { t: number, height: number, paused: boolean, error: string | undefined }

async function snapshot (page: Page): Promise<Snapshot> {
  return await page.evaluate(() => {
    const v = document.querySelector('video')
    return { t: v?.currentTime ?? -1, height: v?.videoHeight ?? 0, paused: v?.paused ?? true, error: document.querySelector('.error-detail')?.textContent ?? undefined }
  })
}

/** Waits until the video's clock passes `t` while playing, and no error is shown. */
async function stats (page: Page): Promise<{ blocks: number, rejectedBlocks: number, failedAttempts: number, bySource: Record<string, { blocks: number, failures: number }> }> {
  return await page.evaluate(() => window.p2pdvPlayer!.stats())
}

/** A forged block response that the browser does not keep in its cache. */
function uncached (body: Buffer): { status: number, headers: Record<string, string>, body: Buffer } {
  return { status: 200, headers: { 'content-type': 'application/vnd.ipld.raw', 'access-control-allow-origin': '*', 'cache-control': 'no-store' }, body }
}

async function chooseQuality (page: Page, label: RegExp): Promise<void> {
  await page.mouse.move(640, 300)
  await page.getByRole('button', { name: 'Quality' }).click()
  await page.getByRole('menuitemradio', { name: label }).click()
}

describe('watch page in Chromium', () => {
  let devnet: RunningDevnet
  let browser: Browser
  let watchUrl: string
  let capability: string
  const killed = new Set<string>()

  before(async () => {
    // The operator ships pages with P2P off (viewers may switch it on): these pages join no swarm.
    devnet = await startDevnet(3, undefined, ['--p2p-default', 'off'])
    const video = join(devnet.dir, 'clip.mp4')
    await makeTestVideo(video, 20)
    // The upload skips nodes that do not answer their status within 3 s: on a loaded machine,
    // let freshly started nodes answer once first (bounded).
    for (const n of devnet.state.nodes) {
      for (let i = 0; i < 60; i++) {
        const ok = await fetch(`${n.http}/api/v1/status`, { signal: AbortSignal.timeout(10_000) }).then(r => r.ok, () => false)
        if (ok) break
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    }
    const subs = join(devnet.dir, 'en.vtt')
    await writeFile(subs, 'WEBVTT\n\n00:00:00.000 --> 00:00:20.000\nHello from p2pdv\n')
    const env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const up = await runCli(['upload', video, '--replicas', '3', '--title', 'Test card', '--subs', `en=${subs}`, '--thumbnails-interval', '2', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    watchUrl = up.json.watchUrl
    capability = up.json.capability
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('serves the page with a strict CSP, no inline script, no third-party resource and no referrer', async () => {
    const res = await fetch(watchUrl.split('#')[0]!)
    const html = await res.text()
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/)
    for (const n of devnet.state.nodes) assert.ok(csp.includes(n.http), `connect-src lists ${n.http}`)
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc="\/assets\/)[^>]*>/, 'every script is a same-origin file')
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing from another origin')
    // Assets are immutable files; anything else under /assets is a 404.
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!
    const asset = await fetch(new URL(script, watchUrl))
    assert.equal(asset.status, 200)
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/)
    assert.equal((await fetch(new URL('/assets/..%2Fpackage.json', watchUrl))).status, 404)
  })

  it('plays a phone video upright (a 1280×720 recording turned 90° decodes 720 wide, 1280 high at its top rung), and switches its audio language', async () => {
    const phone = join(devnet.dir, 'phone.mp4')
    await makePhoneVideo(phone, 12)
    const env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const up = await runCli(['upload', phone, '--replicas', '2', '--title', 'Phone', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    const page = await browser.context.newPage()
    try {
      await page.goto(up.json.watchUrl)
      await playsPast(page, 1, WAIT_MS)
      await assertAccessible(page, 'the watch page of a capability link')
      await chooseQuality(page, /^720p/)
      await page.waitForFunction(() => document.querySelector('video')!.videoHeight === 1280, undefined, { timeout: WAIT_MS })
      assert.equal(await page.evaluate(() => document.querySelector('video')!.videoWidth), 720)
      assert.match(await page.locator('main').textContent() ?? '', /up to 720p/)
      // Both audio tracks are offered, by language; choosing Spanish loads and plays its track.
      assert.deepEqual(up.json.audio.map((a: { lang: string, default: boolean }) => [a.lang, a.default]), [['en', true], ['es', false]])
      const { t } = await snapshot(page)
      await page.getByRole('button', { name: 'Audio' }).click()
      assert.deepEqual(await page.getByRole('menuitemradio').allTextContents(), ['English en', 'Español es'])
      await page.getByRole('menuitemradio', { name: /Español/ }).click()
      await page.waitForFunction(() => {
        const hls = window.p2pdvPlayer!.controller()!.hls
        return hls.audioTracks[hls.audioTrack]?.lang === 'es' && hls.audioTracks[hls.audioTrack]?.details !== undefined
      }, undefined, { timeout: WAIT_MS })
      await playsPast(page, t + 1, WAIT_MS)
    } finally {
      await page.close()
    }
  })

  describe('one viewer', () => {
    let page: Page
    const requests: Array<{ url: string, headers: Record<string, string> }> = []
    const cspViolations: string[] = []
    const sockets: string[] = []

    before(async () => {
      page = await browser.context.newPage()
      page.on('request', r => { requests.push({ url: r.url().split('#')[0]!, headers: r.headers() }) })
      page.on('console', m => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()) })
      page.on('websocket', w => { sockets.push(w.url()) })
      await page.goto(watchUrl)
    })
    after(async () => { await page?.close() })

    it('plays past 5 s, with the key never in any request and no CSP violation', async () => {
      await playsPast(page, 5, WAIT_MS)
      const s = await snapshot(page)
      assert.ok(s.height > 0, 'frames are decoded')
      const key = capability.split('#')[1]!
      assert.ok(requests.length > 3)
      for (const r of requests) {
        assert.ok(!r.url.includes(key), `key in ${r.url}`)
        for (const v of Object.values(r.headers)) assert.ok(!v.includes(key), 'key in a request header')
      }
      assert.ok(!requests.some(r => r.url.startsWith('https://p2pdv.invalid')), 'the virtual playlist address is never fetched')
      assert.deepEqual(cspViolations, [])
      assert.equal(await page.locator('h1').textContent(), 'Test card')
      // --p2p-default off, and this viewer has not chosen: no swarm, no WebSocket, and the panel says whose default it is.
      assert.equal(await page.evaluate(() => window.p2pdvPlayer!.p2p().state), 'off')
      assert.deepEqual(sockets, [], 'nothing dialled a viewer relay')
      assert.match(await page.locator('.p2p-consent').textContent() ?? '', /off by this node's default/)
      assert.equal(await page.getByRole('switch').getAttribute('aria-checked'), 'false')
    })

    it('forcing a rendition from the quality menu changes the decoded videoHeight', async () => {
      const before = (await snapshot(page)).height
      const other = before === 480 ? 360 : 480
      await chooseQuality(page, new RegExp(`^${other}p`))
      await page.waitForFunction(h => document.querySelector('video')!.videoHeight === h, other, { timeout: WAIT_MS })
      const t = (await snapshot(page)).t
      await playsPast(page, t + 0.5, WAIT_MS)
      assert.match(await page.getByRole('button', { name: 'Quality' }).textContent() ?? '', new RegExp(`${other}p`))
    })

    it('a seek on the seek bar lands where it was aimed, and playback goes on from there', async () => {
      const bar = (await page.getByRole('slider', { name: 'Seek' }).boundingBox())!
      await page.mouse.move(bar.x + bar.width / 2, bar.y - 40)
      const target = 0.45 * 20
      await page.mouse.click(bar.x + bar.width * 0.45, bar.y + bar.height / 2)
      await page.waitForFunction(() => !document.querySelector('video')!.seeking, undefined, { timeout: WAIT_MS })
      const landed = (await snapshot(page)).t
      assert.ok(Math.abs(landed - target) < 1, `landed at ${landed}, aimed at ${target}`)
      await playsPast(page, landed + 1, WAIT_MS)
    })

    it('shows a subtitle cue from the subtitles menu, and sprite previews on the seek bar', async () => {
      await page.mouse.move(640, 300)
      await page.getByRole('button', { name: 'Subtitles' }).click()
      await page.getByRole('menuitemradio').nth(1).click() // the first track after "Off"
      await page.waitForFunction(() => [...document.querySelector('video')!.textTracks].some(t => t.mode === 'showing' && [...(t.activeCues ?? [])].some(c => (c as VTTCue).text.includes('Hello from p2pdv'))), undefined, { timeout: WAIT_MS })
      const bar = (await page.getByRole('slider', { name: 'Seek' }).boundingBox())!
      await page.mouse.move(bar.x + bar.width * 0.3, bar.y + bar.height / 2)
      await page.locator('.seek-tile').waitFor({ timeout: WAIT_MS })
      assert.match(await page.locator('.seek-tile').getAttribute('style') ?? '', /url\("blob:/)
    })

    it('keeps playing when the node it reads from most is killed mid-playback', async () => {
      const top = (await page.evaluate(() => window.p2pdvPlayer!.sources()))[0]!
      const node = devnet.state.nodes.find(n => n.peerId === top.peerId)!
      process.kill(node.pid, 'SIGKILL')
      killed.add(node.peerId)
      // Blocks are immutable and cached by the browser: a block the dead node served earlier would
      // come back from the HTTP cache and count as its. Only the network counts here.
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Network.enable')
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
      // Gone for sure (its port refuses connections), and the page has taken in every block the
      // node finished sending before it died (the count holds still for a moment).
      while (await fetch(`${node.http}/healthz`).then(() => true, () => false)) await new Promise(resolve => setTimeout(resolve, 100))
      const fromNode = (s: Awaited<ReturnType<typeof stats>>): number => s.bySource[node.peerId]?.blocks ?? 0
      let before = await stats(page)
      for (let settled = 0; settled < 3;) {
        await new Promise(resolve => setTimeout(resolve, 300))
        const again = await stats(page)
        settled = fromNode(again) === fromNode(before) ? settled + 1 : 0
        before = again
      }
      const othersBefore = Object.entries(before.bySource).filter(([id]) => id !== node.peerId).reduce((n, [, c]) => n + c.blocks, 0)
      // Switching rendition flushes the buffer: every block from here on must come from the others.
      const { t: now, height } = await snapshot(page)
      const other = height === 480 ? 360 : 480
      await chooseQuality(page, new RegExp(`^${other}p`))
      await page.waitForFunction(h => document.querySelector('video')!.videoHeight === h, other, { timeout: WAIT_MS })
      await playsPast(page, now + 2, WAIT_MS)
      const after = await stats(page)
      // Every block since the kill came from the other nodes (a hedged request may have won before
      // the dead node's attempt failed, so its failure count need not move).
      assert.equal(after.bySource[node.peerId]?.blocks ?? 0, before.bySource[node.peerId]?.blocks ?? 0, 'no block came from the killed node')
      const othersAfter = Object.entries(after.bySource).filter(([id]) => id !== node.peerId).reduce((n, [, c]) => n + c.blocks, 0)
      assert.ok(othersAfter > othersBefore, 'the new rendition was read from the surviving nodes')
      assert.equal((await snapshot(page)).error, undefined)
    })
  })

  it('drops a tampered copy before it reaches the decoder, fetches a good one, and plays on', async () => {
    const live = devnet.state.nodes.filter(n => !killed.has(n.peerId))
    const serving = live[0]!
    // What the page will ask for first: the start of every rendition.
    const cap = parseCapability(capability)
    const source = await VideoSource.open({ peers: new PeerSet(await fetchPeerDirectory(serving.http)), manifest: cap.manifest, key: cap.key })
    const targets = new Set(source.video.renditions.flatMap(r => [r.init, ...r.segments.slice(0, 2).map(s => s.stream)]).flatMap(s => s.chunks.map(c => c.cid.toString())))
    source.close()
    const page = await browser.context.newPage()
    let tampered = 0
    const seen = new Set<string>()
    try {
      // Whichever node the page asks first for each of these CIDs answers with one bit flipped.
      for (const n of live) {
        await page.route(`${n.http}/ipfs/**`, async route => {
          const cid = new URL(route.request().url()).pathname.split('/')[2]!
          if (!targets.has(cid) || seen.has(cid)) return await route.continue()
          seen.add(cid)
          const res = await route.fetch()
          const body = Buffer.from(await res.body())
          body[body.length >> 1]! ^= 0x01
          tampered++
          await route.fulfill(uncached(body))
        })
      }
      await page.goto(`${serving.http}/watch/${capability.slice('p2pdv://'.length)}`)
      await playsPast(page, 2, WAIT_MS)
      // A copy forged just now may still be on its way to the page's hash check (blocks ahead of
      // the playhead now also wait for the viewer swarm first): let the count catch up, bounded.
      let s = await stats(page)
      for (const end = Date.now() + WAIT_MS; s.rejectedBlocks < tampered && Date.now() < end;) {
        await new Promise(resolve => setTimeout(resolve, 200))
        s = await stats(page)
      }
      assert.ok(tampered >= 1, 'a tampered copy was served')
      assert.equal(s.rejectedBlocks, tampered, 'every tampered copy was rejected by its hash')
      assert.equal((await snapshot(page)).error, undefined)
    } finally {
      await page.close()
    }
  })

  it('shows a clear error with a code and what to do when no node has a good copy, or the key is wrong', async () => {
    const live = devnet.state.nodes.filter(n => !killed.has(n.peerId))
    const cap = parseCapability(capability)
    const page = await browser.context.newPage()
    try {
      // Every node serves a corrupt manifest block.
      for (const n of live) {
        await page.route(`${n.http}/ipfs/${cap.manifest.toString()}*`, async route => {
          const res = await route.fetch()
          const body = Buffer.from(await res.body())
          body[0]! ^= 0xff
          await route.fulfill(uncached(body))
        })
      }
      await page.goto(`${live[0]!.http}/watch/${capability.slice('p2pdv://'.length)}`)
      await page.getByRole('alert').waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('.error-detail code').textContent(), 'ERR_BLOCK_UNAVAILABLE')
      assert.match(await page.locator('.error-hint').textContent() ?? '', /\S/)
      assert.equal(await page.locator('video').count(), 0, 'nothing was handed to a player')
      await page.unrouteAll()

      // A key that does not open the manifest (only the fragment changes: the page opens it afresh).
      const wrongKey = 'A'.repeat(43)
      await Promise.all([
        page.waitForEvent('load'),
        page.goto(`${live[0]!.http}/watch/${cap.manifest.toString()}#${wrongKey}`)
      ])
      await page.getByRole('alert').waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('.error-detail code').textContent(), 'ERR_CHUNK_AUTH')
    } finally {
      await page.close()
    }
  })
})

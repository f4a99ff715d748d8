// The creator studio end to end on a devnet: `p2pdv studio` serves its pages on 127.0.0.1; in
// Chromium a lavfi-generated file is dropped on the upload page, its transcode and upload
// progress shows, the watch link comes, the video plays on a node's watch page and is found by
// the node's search. Its API refuses calls without the run's token or from another origin or
// host, and oversized or malformed bodies, each with its code. A video on chain is managed from
// the studio: its sale shows, its listing and price are edited (the node's search finds the new
// title), a named viewer is granted and revoked (the chain agrees each time),
// the keepers' logs are verified, its refund window and access condition are set (the chain
// agrees), and the creator's share is withdrawn. The channel profile is set from the studio
// (name, link, avatar) and `p2pdv channel --json` shows it.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { NodeClient } from '@p2pdv/node-client'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { screenshots } from './fixtures/screenshots.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { CLI, CLI_NODE_FLAGS, runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { makeTestVideo } from './fixtures/video.ts'

const WAIT_MS = 120_000
const MAX_UPLOAD_MB = 4
const TITLE = 'Lighthouse at dawn <img src=x onerror="window.__pwned=1">'
/** A 1×1 PNG, as a channel avatar. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

/** Starts `p2pdv studio --json` and waits for its ready document (the URL with the token). */
async function startStudio (env: NodeJS.ProcessEnv, args: string[]): Promise<{ proc: ChildProcess, url: string, origin: string, token: string, env: NodeJS.ProcessEnv }> {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'studio', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', d => { stderr = (stderr + String(d)).slice(-10_000) })
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', line => {
      try { const m = JSON.parse(line); if (m.event === 'ready') resolve(m.url) } catch {}
    })
    proc.once('exit', code => { reject(new Error(`studio exited (${String(code)}):\n${stderr}`)) })
  })
  const u = new URL(url)
  return { proc, url, origin: u.origin, token: u.hash.slice('#token='.length), env }
}

/** A request with any Host header (fetch does not let one set it). */
async function withHost (url: string, host: string, token: string): Promise<{ status: number, body: any }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, authorization: `Bearer ${token}` } }, res => {
      let text = ''
      res.on('data', d => { text += String(d) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the creator studio on a devnet', () => {
  let devnet: RunningDevnet
  let browser: Browser
  let studio: Awaited<ReturnType<typeof startStudio>>
  let video: string

  before(async () => {
    devnet = await startDevnet(2)
    video = join(devnet.dir, 'lighthouse.mp4')
    await makeTestVideo(video, 4)
    const env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    studio = await startStudio(env, ['--replicas', '2', '--max-upload-mb', String(MAX_UPLOAD_MB)])
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    if (studio !== undefined && studio.proc.exitCode === null) {
      const exited = new Promise(resolve => studio.proc.once('exit', resolve))
      studio.proc.kill('SIGTERM')
      await exited
    }
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('refuses API calls without the token, with another token, from another origin or host, and bad bodies, each with its code', async () => {
    const api = `${studio.origin}/api/videos`
    const auth = { authorization: `Bearer ${studio.token}` }
    const code = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code

    const none = await fetch(api)
    assert.equal(none.status, 401)
    assert.equal(await code(none), 'ERR_STUDIO_TOKEN')
    const wrong = await fetch(api, { headers: { authorization: `Bearer ${'A'.repeat(studio.token.length)}` } })
    assert.equal(wrong.status, 401)
    assert.equal(await code(wrong), 'ERR_STUDIO_TOKEN')
    const foreign = await fetch(api, { headers: { ...auth, origin: 'http://evil.example' } })
    assert.equal(foreign.status, 403)
    assert.equal(await code(foreign), 'ERR_STUDIO_ORIGIN')
    const crossSite = await fetch(api, { headers: { ...auth, 'sec-fetch-site': 'cross-site' } })
    assert.equal(crossSite.status, 403)
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    const rebound = await withHost(api, `evil.example:${new URL(studio.origin).port}`, studio.token)
    assert.deepEqual([rebound.status, rebound.body.error.code], [403, 'ERR_STUDIO_ORIGIN'])
    assert.equal((await fetch(api, { headers: auth })).status, 200)

    const post = async (body: string, type = 'application/json'): Promise<Response> => await fetch(`${studio.origin}/api/uploads`, { method: 'POST', headers: { ...auth, 'content-type': type }, body })
    const big = await post(JSON.stringify({ title: 'x'.repeat(20_000) }))
    assert.deepEqual([big.status, await code(big)], [413, 'ERR_BODY_TOO_LARGE'])
    const malformed = await post('{"file":')
    assert.deepEqual([malformed.status, await code(malformed)], [400, 'ERR_BAD_REQUEST'])
    for (const form of [[], { file: '../../etc/passwd', title: 'x' }, { file: 'abcdefghij', title: 'x', access: 'everyone' }, { file: 'abcdefghij', title: 'x', price: '1' }, { file: 'abcdefghij', title: 'x', rating: 9 }, { file: 'abcdefghij', title: 'x', extra: 1 }, { file: 'abcdefghij', title: 'a\u0000b' }]) {
      const r = await post(JSON.stringify(form))
      assert.deepEqual([r.status, await code(r)], [400, 'ERR_BAD_REQUEST'], JSON.stringify(form))
    }
    const unknownFile = await post(JSON.stringify({ file: 'abcdefghij', title: 'x' }))
    assert.deepEqual([unknownFile.status, await code(unknownFile)], [404, 'ERR_NOT_FOUND'])
    const notJson = await post('title=x', 'application/x-www-form-urlencoded')
    assert.deepEqual([notJson.status, await code(notJson)], [400, 'ERR_BAD_REQUEST'])

    // A file over --max-upload-mb: refused by its declared length, and, streamed without one, when it passes the bound.
    const tooBig = new Uint8Array(MAX_UPLOAD_MB * 1024 * 1024 + 1)
    const declared = await fetch(`${studio.origin}/api/files`, { method: 'PUT', headers: auth, body: tooBig })
    assert.deepEqual([declared.status, await code(declared)], [413, 'ERR_BODY_TOO_LARGE'])
    const chunks = new ReadableStream<Uint8Array>({
      start (c) { for (let i = 0; i <= MAX_UPLOAD_MB; i++) c.enqueue(new Uint8Array(1024 * 1024)); c.close() }
    })
    const streamed = await fetch(`${studio.origin}/api/files`, { method: 'PUT', headers: auth, body: chunks, duplex: 'half' } as RequestInit)
    assert.deepEqual([streamed.status, await code(streamed)], [413, 'ERR_BODY_TOO_LARGE'])
    // Nothing of either was kept: the list of waiting files is empty, so two more fit.
    const empty = await fetch(`${studio.origin}/api/files`, { method: 'PUT', headers: auth, body: new Uint8Array(0) })
    assert.deepEqual([empty.status, await code(empty)], [400, 'ERR_BAD_REQUEST'])
  })

  it('uploads a dropped file with transcode and upload progress, gives the watch link, and the video plays and is found', async () => {
    const page = await browser.context.newPage()
    await page.goto(studio.url)
    await page.locator('h1', { hasText: 'My videos' }).waitFor()
    // The token left the address bar (it stays in this tab's session storage).
    assert.equal(new URL(page.url()).hash, '')
    await screenshots(page, 'studio-videos-empty')
    await assertAccessible(page, 'studio-videos-empty')
    await page.locator('.studio-nav a', { hasText: 'Upload' }).click()

    // Drag and drop: a DataTransfer holding the file, dropped on the zone.
    const bytes = (await readFile(video)).toString('base64')
    const transfer = await page.evaluateHandle(b64 => {
      const dt = new DataTransfer()
      dt.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], 'lighthouse_at_dawn.mp4', { type: 'video/mp4' }))
      return dt
    }, bytes)
    await page.dispatchEvent('.dropzone', 'drop', { dataTransfer: transfer })
    const titleInput = page.getByLabel('Title')
    assert.equal(await titleInput.inputValue(), 'lighthouse at dawn')
    await titleInput.fill(TITLE)
    await page.getByLabel('Description').fill('Waves and a slow light.')
    await page.getByLabel('Tags').fill('sea, light')
    // The access condition section, shown with one clause for the screenshot, then emptied again.
    await page.getByRole('button', { name: '+ Add a clause' }).click()
    // Keeper choice: both of the devnet's 2 keepers, both needed.
    await page.getByLabel('Choose how many').check()
    await page.getByLabel('Keepers', { exact: true }).fill('2')
    await page.getByLabel('Needed to release').fill('2')
    await screenshots(page, 'studio-upload-form')
    await page.getByRole('button', { name: 'Remove clause 1' }).click()
    await assertAccessible(page, 'studio-upload-form')
    const sent = page.waitForRequest(r => r.method() === 'POST' && new URL(r.url()).pathname === '/api/uploads')

    // Every progress value the page shows, per stage, as it happens.
    await page.evaluate(() => {
      const seen: Record<string, number[]> = {}
      ;(window as unknown as { __seen: typeof seen }).__seen = seen
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('.stage')) {
          const name = el.getAttribute('data-stage') ?? ''
          const v = Number(el.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') ?? NaN)
          if (!Number.isNaN(v) && seen[name]?.at(-1) !== v) (seen[name] ??= []).push(v)
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true })
    })
    await page.getByRole('button', { name: 'Publish' }).click()
    assert.deepEqual(JSON.parse((await sent).postData() ?? '{}').keepers, { count: 2, threshold: 2 })
    await page.locator('.stage[data-stage="Transcoding"]').waitFor({ timeout: WAIT_MS })
    await screenshots(page, 'studio-progress')
    const link = page.locator('#watch-link')
    await link.waitFor({ timeout: WAIT_MS * 2 })
    await screenshots(page, 'studio-done')
    await assertAccessible(page, 'studio-done')
    const seen = await page.evaluate(() => (window as unknown as { __seen: Record<string, number[]> }).__seen)
    assert.ok(seen['Transcoding']!.some(v => v > 0 && v < 100), `transcode progress between 0 and 100: ${JSON.stringify(seen)}`)
    assert.equal(seen['Transcoding']!.at(-1), 100)
    assert.ok(seen['Encrypting and storing'] !== undefined, JSON.stringify(seen))
    assert.equal(await page.locator('h1').textContent(), `“${TITLE}” is published`)

    // The link opens the video on a node's watch page, and it plays.
    const href = (await link.getAttribute('href'))!
    assert.ok(href.startsWith(devnet.state.nodes[0]!.http + '/watch/'), href)
    const watch = await browser.context.newPage()
    await watch.goto(href)
    await watch.waitForFunction(() => {
      const v = document.querySelector('video')
      const err = document.querySelector('.error-detail')
      if (err !== null) throw new Error(err.textContent ?? 'player error')
      return v !== null && !v.paused && v.currentTime > 1
    }, undefined, { timeout: WAIT_MS, polling: 100 })
    await watch.close()

    // My videos lists it as published; no markup of the title became an element.
    await page.getByRole('button', { name: 'My videos' }).click()
    await page.locator('.studio-row .chip.done').first().waitFor()
    assert.equal(await page.locator('.studio-row-title').first().textContent(), TITLE)
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined)
    assert.equal(await page.locator('img[src="x"]').count(), 0)
    await screenshots(page, 'studio-videos')
    await assertAccessible(page, 'studio-videos')

    // The same file again: refused before any transcoding with its code, and the page offers to upload it as a new video.
    await page.locator('.studio-nav a', { hasText: 'Upload' }).click()
    const again = await page.evaluateHandle(b64 => {
      const dt = new DataTransfer()
      dt.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], 'copy.mp4', { type: 'video/mp4' }))
      return dt
    }, bytes)
    await page.dispatchEvent('.dropzone', 'drop', { dataTransfer: again })
    await page.getByRole('button', { name: 'Publish' }).click()
    await page.locator('.studio-error[data-code="ERR_ALREADY_UPLOADED"]').waitFor({ timeout: WAIT_MS })
    assert.equal(await page.getByRole('button', { name: 'Upload it again as a new video' }).count(), 1)
    assert.equal(await page.locator('.stage[data-stage="Transcoding"]').count(), 0)
    await page.close()

    // The node's index follows the chain every few seconds: the listing is found by a word of its title.
    const node = new NodeClient(devnet.state.nodes[0]!.http)
    let found = false
    for (let i = 0; i < 120 && !found; i++) {
      found = (await node.videos({ q: 'lighthouse' }).catch(() => ({ videos: [] }))).videos.some(v => v.title === TITLE)
      if (!found) await new Promise(resolve => setTimeout(resolve, 500))
    }
    assert.ok(found, 'the studio upload is found by the node\'s search')
  })

  it('manages a video on chain: shows its sale, edits its listing and price, grants and revokes a named viewer, verifies the keepers\' logs, and withdraws the earnings', async () => {
    // A paid video of the same creator (alice), uploaded with the CLI; bob buys it.
    const clip = join(devnet.dir, 'harbour.mp4')
    await makeTestVideo(clip, 3)
    const up = await runCli(['upload', clip, '--replicas', '2', '--title', 'Harbour lights', '--price', '0.01', '--json'], studio.env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    const id: string = up.json.chain.videoId
    const bought = await runCli(['buy', id, '--as', 'bob', '--json'], devnet.env)
    assert.equal(bought.code, 0, bought.stderr)
    const carol = devnet.state.chain!.accounts.carol!
    const access = async (): Promise<boolean> => (await runCli(['access', id, 'carol', '--json'], devnet.env)).json.access

    const page = await browser.context.newPage()
    await page.goto(studio.url)
    await page.locator(`[data-manage="${id}"]`).click()
    await page.locator('h1', { hasText: 'Harbour lights' }).waitFor({ timeout: WAIT_MS })
    await page.locator('.sales-summary[data-sales="1"]').waitFor({ timeout: WAIT_MS })
    assert.match((await page.locator('.sales-summary').textContent())!, /1 sale · buyers paid 0\.01 ETH/)

    // Edit the listing and the price: signed again, the registry points at it, the node's index follows.
    await page.getByLabel('Title').fill('Harbour lights at night')
    await page.getByLabel('Tags').fill('harbour, night')
    await page.getByLabel('Price').fill('0.02')
    await page.getByRole('button', { name: 'Save listing' }).click()
    await page.locator('.studio-notice', { hasText: 'Saved' }).waitFor({ timeout: WAIT_MS })
    assert.equal(await page.locator('h1').textContent(), 'Harbour lights at night')
    const listed = (await runCli(['ls', '--json'], devnet.env)).json.videos.find((v: { id: string }) => v.id === id)
    assert.equal(listed.price.amount, (2n * 10n ** 16n).toString())
    assert.notEqual(listed.listingCid, up.json.listingCid)
    const node = new NodeClient(devnet.state.nodes[1]!.http)
    let indexed: { title: string, tags: string[], poster?: string } | undefined
    for (let i = 0; i < 120 && indexed === undefined; i++) {
      indexed = (await node.videos({ q: 'night' }).catch(() => ({ videos: [] }))).videos.find(v => v.id === id)
      if (indexed === undefined) await new Promise(resolve => setTimeout(resolve, 500))
    }
    assert.deepEqual([indexed?.title, indexed?.tags], ['Harbour lights at night', ['harbour', 'night']])

    // The CLI's `edit` refuses, before signing anything: another wallet, nothing to change, a lone --duration.
    // A poster that is no picture, or a frame past the video's end, is refused before the wallet opens.
    await writeFile(join(devnet.dir, 'not-a-picture.bin'), (await import('node:crypto')).randomBytes(5000))
    const edits = await Promise.all([['--as', 'bob', '--title', 'Mine now'], [], ['--duration', '1h'], ['--poster-at', '1s'], ['--poster', join(devnet.dir, 'not-a-picture.bin')], ['--poster', clip, '--poster-at', '1h']]
      .map(async a => await runCli(['edit', id, ...a, '--json'], devnet.env)))
    assert.deepEqual(edits.map(r => r.json.error.code), ['ERR_NOT_OWNER', 'ERR_EDIT_NOTHING', 'ERR_USAGE', 'ERR_USAGE', 'ERR_MEDIA_UNREADABLE', 'ERR_MEDIA_UNREADABLE'])
    // A new public poster from a frame of a video: a JPEG within the listing's limit, indexed by the nodes.
    const reposter = await runCli(['edit', id, '--poster', clip, '--poster-at', '2s', '--replicas', '2', '--json'], devnet.env)
    assert.equal(reposter.code, 0, reposter.stderr)
    assert.notEqual(reposter.json.poster, indexed?.poster ?? undefined)
    const jpeg = await node.getBlock((await import('@p2pdv/core')).parseCid(reposter.json.poster))
    assert.deepEqual([jpeg[0], jpeg[1], jpeg.byteLength <= 256 * 1024], [0xff, 0xd8, true])
    for (let i = 0; i < 120 && (await node.videos({ q: 'night' }).catch(() => ({ videos: [] }))).videos.find(v => v.id === id)?.poster !== reposter.json.poster; i++) await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal((await node.videos({ q: 'night' })).videos.find(v => v.id === id)?.poster, reposter.json.poster)

    // Grant carol by her wallet name; the chain agrees; revoke; the chain agrees again.
    assert.equal(await access(), false)
    await page.getByLabel('Viewer address or wallet name').fill('carol')
    await page.getByRole('button', { name: 'Grant access' }).click()
    await page.locator(`.viewer-row[data-viewer="${carol}"]`).waitFor({ timeout: WAIT_MS })
    assert.equal(await access(), true)
    await screenshots(page, 'studio-manage')
    await assertAccessible(page, 'studio-manage')
    await page.locator(`.viewer-row[data-viewer="${carol}"] button`, { hasText: 'Revoke' }).click()
    await page.locator('.studio-notice', { hasText: 'may no longer watch' }).waitFor({ timeout: WAIT_MS })
    assert.equal(await page.locator('.viewer-row').count(), 0)
    assert.equal(await access(), false)

    // Hostile calls: each refused with its code, nothing sent to the chain.
    const auth = { authorization: `Bearer ${studio.token}`, 'content-type': 'application/json' }
    const call = async (path: string, init: RequestInit): Promise<[number, string]> => {
      const r = await fetch(`${studio.origin}${path}`, { ...init, headers: auth })
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code]
    }
    for (const viewer of ['--as=bob', '0x12', 'a b', 'x'.repeat(80), 7]) {
      assert.deepEqual(await call(`/api/chain/videos/${id}/grants`, { method: 'POST', body: JSON.stringify({ viewer }) }), [400, 'ERR_BAD_REQUEST'], String(viewer))
    }
    assert.deepEqual(await call(`/api/chain/videos/${id}/grants`, { method: 'POST', body: JSON.stringify({ viewer: 'carol', extra: 1 }) }), [400, 'ERR_BAD_REQUEST'])
    assert.deepEqual(await call(`/api/chain/videos/${id}/grants/%E0%A4%A`, { method: 'DELETE' }), [400, 'ERR_BAD_REQUEST'])
    assert.deepEqual(await call('/api/chain/videos/0x1234/grants', { method: 'POST', body: '{"viewer":"carol"}' }), [400, 'ERR_BAD_VIDEO_ID'])
    const foreign = await fetch(`${studio.origin}/api/withdraw`, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' } })
    assert.equal(foreign.status, 403)
    assert.equal(await access(), false)

    // Refund window and access condition, set from the page: a malformed clause is refused with
    // the chain parser's code. What the page shows after each save is read back from the chain
    // (`viewers --json`, run by the studio), not what it sent.
    await page.locator('#refund-window').fill('7d')
    await page.getByRole('button', { name: 'Save window' }).click()
    await page.locator('[data-refund-window="604800"]').waitFor({ timeout: WAIT_MS })
    await page.getByRole('button', { name: '+ Add a clause' }).click()
    await page.getByLabel('Clause 1 kind').selectOption('time')
    await page.getByLabel('From').fill('someday')
    await page.getByRole('button', { name: 'Set condition' }).click()
    await page.locator('.studio-error[data-code="ERR_CONDITION_TIME"]').waitFor({ timeout: WAIT_MS })
    await page.getByLabel('From').fill('2099-01-01')
    await page.getByRole('button', { name: 'Set condition' }).click()
    await page.locator('[data-condition="time:2099-01-01T00:00:00Z.."]').waitFor({ timeout: WAIT_MS })
    await screenshots(page, 'studio-manage-rules')
    await assertAccessible(page, 'studio-manage-rules')

    // The keepers' logs, verified on this machine: each keeper's chain checks out and shows the key deposit.
    await page.getByRole('button', { name: 'Verify the keepers\' logs' }).click()
    await page.locator('.keeper-log').first().waitFor({ timeout: WAIT_MS })
    const logs = page.locator('.keeper-log')
    assert.ok(await logs.count() >= 2, 'a threshold of keepers hold the key')
    assert.equal(await page.locator('.keeper-log[data-ok="false"]').count(), 0)
    assert.ok(await page.locator('.keeper-log tr[data-decision="stored"]').count() >= await logs.count(), 'every keeper logged the deposit')
    await screenshots(page, 'studio-manage-audit')

    // Earnings: the creator's share of bob's payment, withdrawn to the wallet.
    await page.locator('.studio-nav a', { hasText: 'Earnings' }).click()
    const owed = page.locator('[data-owed-eth]')
    await owed.waitFor({ timeout: WAIT_MS })
    const before = BigInt((await owed.getAttribute('data-owed-eth'))!)
    assert.ok(before > 0n && before <= 10n ** 16n, `owed ${before} wei of a 0.01 ETH sale`)
    await screenshots(page, 'studio-earnings')
    await assertAccessible(page, 'studio-earnings')
    await page.getByRole('button', { name: 'Withdraw' }).click()
    await page.locator('.studio-notice', { hasText: 'Withdrew' }).waitFor({ timeout: WAIT_MS })
    await page.locator('[data-owed-eth="0"]').waitFor({ timeout: WAIT_MS })
    assert.equal(await page.getByRole('button', { name: 'Nothing to withdraw' }).isDisabled(), true)
    const balance = await runCli(['balance', 'alice', '--json'], devnet.env)
    assert.equal(balance.json.owedEth, '0')
    await page.close()
  })

  it('sets the channel profile from the studio (name, link, avatar), and `p2pdv channel --json` shows it', async () => {
    const page = await browser.context.newPage()
    await page.goto(studio.url)
    await page.locator('.studio-nav a', { hasText: 'Channel' }).click()
    const link = page.locator('#channel-page-link')
    await link.waitFor({ timeout: WAIT_MS })
    const href = (await link.getAttribute('href'))!
    const address = href.slice(href.lastIndexOf('/') + 1)
    assert.equal(href, `${devnet.state.nodes[0]!.http}/channel/${address}`)
    await page.getByLabel('Channel name').fill('Harbour TV')
    await page.getByRole('button', { name: '+ Add a link' }).click()
    await page.getByLabel('Link 1', { exact: true }).fill('http://example.com')
    await page.getByRole('button', { name: 'Save channel' }).click()
    await page.locator('.studio-error[data-code="ERR_PROFILE_INPUT"]').waitFor({ timeout: WAIT_MS })
    await page.getByLabel('Link 1', { exact: true }).fill('https://example.com/harbour')
    await page.locator('#channel-avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG })
    assert.equal(await page.locator('#preview-name').textContent(), 'Harbour TV')
    await screenshots(page, 'studio-channel')
    await assertAccessible(page, 'studio-channel')
    await page.getByRole('button', { name: 'Save channel' }).click()
    await page.locator('.studio-notice', { hasText: 'Saved' }).waitFor({ timeout: WAIT_MS })

    // Nodes index the registry's event within a few seconds.
    const node = new NodeClient(devnet.state.nodes[0]!.http)
    for (let i = 0; i < 60 && (await node.channel(address).catch(() => undefined))?.profile?.name !== 'Harbour TV'; i++) await new Promise(resolve => setTimeout(resolve, 500))
    const shown = await runCli(['channel', '--json'], studio.env)
    assert.equal(shown.code, 0, shown.stderr)
    assert.deepEqual([shown.json.address.toLowerCase(), shown.json.profile?.name, shown.json.profile?.links], [address.toLowerCase(), 'Harbour TV', ['https://example.com/harbour']])
    assert.equal(typeof shown.json.profile.avatar, 'string', 'the avatar is in the signed profile')
    // Opened again, the tab shows the published avatar: fetched from a node by the studio,
    // checked against its CID, served same-origin (the CSP keeps node images out of the page).
    await page.reload()
    await page.locator('.studio-nav a', { hasText: 'Channel' }).click()
    const published = page.locator('#channel-avatar-image')
    await published.waitFor({ timeout: WAIT_MS })
    assert.equal(await published.evaluate(img => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth), 1, 'the 1×1 PNG decoded')
    assert.equal((await fetch(`${studio.origin}/api/channel/avatar`)).status, 401, 'not without the studio token')
    const served = await fetch(`${studio.origin}/api/channel/avatar`, { headers: { authorization: `Bearer ${studio.token}` } })
    assert.deepEqual([served.status, served.headers.get('content-type'), served.headers.get('x-content-type-options')], [200, 'image/png', 'nosniff'])
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), new Uint8Array(PNG))
    await page.close()
  })
})

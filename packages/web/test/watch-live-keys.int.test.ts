// A live stream registered on chain, watched in headless Chromium on a devnet (anvil + three keeper
// nodes): `p2pdv live start --private --input` (paced like a camera, --epoch 4s) prints a watch URL
// without a key; each page asks the keepers for every epoch key with its own wallet (an injected
// EIP-1193 account per page). Bob and carol are granted and play across rotations; carol's grant is
// revoked and her page stops at an epoch boundary with ERR_ACCESS_DENIED while bob's plays on. An
// account never granted sees the locked panel; keeper answers tampered in flight give a coded
// error and nothing played; a granted viewer whose settings hide 18+ (the stream's rating) asks
// the keepers for nothing and sees ERR_RATING_HIDDEN.
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { CLI, CLI_NODE_FLAGS, runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { errorCode, playsPast } from './fixtures/player.ts'

const run = promisify(execFile)
const WAIT_MS = 90_000

/** A page whose injected wallet is `account` (signs the key requests). */
async function pageAs (browser: Browser, account: PrivateKeyAccount, chainId: number): Promise<Page> {
  const page = await browser.context.newPage()
  await page.exposeFunction('p2pdvTestWallet', async (json: string): Promise<string> => {
    const { method, params } = JSON.parse(json) as { method: string, params?: unknown[] }
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return JSON.stringify([account.address])
    if (method === 'eth_chainId') return JSON.stringify(`0x${chainId.toString(16)}`)
    if (method === 'eth_signTypedData_v4') return JSON.stringify(await account.signTypedData(JSON.parse((params as string[])[1]!)))
    throw new Error(`unsupported ${method}`)
  })
  await page.addInitScript(() => {
    const w = window as unknown as { ethereum: unknown, p2pdvTestWallet: (json: string) => Promise<string> }
    w.ethereum = { request: async (args: unknown) => JSON.parse(await w.p2pdvTestWallet(JSON.stringify(args))) }
  })
  return page
}

const currentTime = async (page: Page): Promise<number> => await page.evaluate(() => document.querySelector('video')?.currentTime ?? 0)

/** Flips the last hex digit of the longest hex string in a JSON value (a signature or sealed share). */
function tamper (v: unknown): unknown {
  let best: { obj: Record<string, unknown>, key: string } | undefined
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return
    for (const [k, x] of Object.entries(o)) {
      if (typeof x === 'string' && /^0x[0-9a-f]{16,}$/i.test(x) && (best === undefined || x.length > (best.obj[best.key] as string).length)) best = { obj: o as Record<string, unknown>, key: k }
      else walk(x)
    }
  }
  walk(v)
  if (best !== undefined) {
    const s = best.obj[best.key] as string
    best.obj[best.key] = s.slice(0, -1) + (s.endsWith('0') ? '1' : '0')
  }
  return v
}

describe('live stream on chain in the watch page: keys from the keepers (Chromium)', () => {
  let devnet: RunningDevnet
  let live: ChildProcess
  let started: { video: string, stream: string, watch: string }
  let browser: Browser
  let chainId: number
  let stderr = ''
  const env = () => devnet.env

  before(async () => {
    devnet = await startDevnet(3)
    chainId = devnet.state.chain!.chainId
    const clip = join(devnet.dir, 'live.ts')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '240', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', '-y', clip])
    live = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'live', 'start', '--json', '--title', 'keeper live', '--private', '--rating', '4', '--input', clip, '--ladder', '360p', '--epoch', '4s'], { env: { ...process.env, ...devnet.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    live.stderr!.on('data', d => { stderr = (stderr + String(d)).slice(-8000) })
    started = await new Promise((resolve, reject) => {
      live.once('exit', c => { reject(new Error(`live start exited ${String(c)}: ${stderr}`)) })
      createInterface({ input: live.stdout! }).on('line', line => {
        try { const e = JSON.parse(line); if (e.event === 'started') resolve(e) } catch {}
      })
    })
    browser = await launchChromium()
  })

  after(async () => {
    if (live !== undefined && live.exitCode === null) {
      live.kill('SIGTERM')
      await new Promise(resolve => live.once('exit', resolve))
    }
    await browser?.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('prints a watch URL without a key; granted viewers play across rotations; a revoked one stops at a boundary while the other plays on', { timeout: 300_000 }, async t => {
    const url = new URL(started.watch)
    assert.equal(url.pathname, `/watch/live/${started.stream}`)
    assert.equal(url.hash, '', 'a registered stream\'s URL carries no key')
    const bob = privateKeyToAccount(generatePrivateKey())
    const carol = privateKeyToAccount(generatePrivateKey())
    for (const a of [bob, carol]) {
      const g = await runCli(['grant', started.video, a.address, '--as', 'alice', '--json'], env())
      assert.equal(g.code, 0, g.stderr)
    }
    const bobPage = await pageAs(browser, bob, chainId)
    const carolPage = await pageAs(browser, carol, chainId)
    try {
      const t0 = performance.now()
      await Promise.all([bobPage.goto(started.watch), carolPage.goto(started.watch)])
      await Promise.all([playsPast(bobPage, 1), playsPast(carolPage, 1)])
      t.diagnostic(`first frame with keeper keys: ${(performance.now() - t0).toFixed(0)} ms`)
      assert.equal((await bobPage.evaluate(() => window.p2pdvViewer))?.address, bob.address)
      // The window's earlier epochs are opened at once; then two new epoch keys (two rotations),
      // while both play on: 9 s of media at 4 s epochs crosses at least two boundaries.
      const before = await bobPage.evaluate(() => window.p2pdvLive!.stats().epochs)
      const [bobAt, carolAt] = [await currentTime(bobPage), await currentTime(carolPage)]
      await bobPage.waitForFunction(n => window.p2pdvLive!.stats().epochs >= n, before + 2, { timeout: WAIT_MS, polling: 250 })
      await Promise.all([playsPast(bobPage, bobAt + 9), playsPast(carolPage, carolAt + 9)])

      const revoke = await runCli(['revoke', started.video, carol.address, '--as', 'alice', '--json'], env())
      assert.equal(revoke.code, 0, revoke.stderr)
      // Carol keeps the epochs she already holds (at most the one prefetched), then stops.
      assert.equal(await errorCode(carolPage), 'ERR_ACCESS_DENIED')
      assert.match(await carolPage.locator('.error-hint').textContent() ?? '', new RegExp(carol.address, 'i'))
      const carolStoppedAt = await currentTime(carolPage)
      // Bob plays on past the point where carol stopped.
      await playsPast(bobPage, (await currentTime(bobPage)) + 5)
      assert.equal(await bobPage.locator('.error-detail').count(), 0)
      t.diagnostic(`carol stopped at ${carolStoppedAt.toFixed(1)} s; bob at ${(await currentTime(bobPage)).toFixed(1)} s`)
    } finally {
      await bobPage.close()
      await carolPage.close()
    }
  })

  it('an account never granted sees the locked panel; a rating above the viewer\'s limit asks for no key; tampered keeper answers give a coded error and nothing plays', { timeout: 180_000 }, async () => {
    const stranger = privateKeyToAccount(generatePrivateKey())
    const locked = await pageAs(browser, stranger, chainId)
    try {
      await locked.goto(started.watch)
      assert.equal(await errorCode(locked), 'ERR_ACCESS_DENIED')
      await locked.locator('.live-access[data-price-state="private"]').waitFor({ timeout: WAIT_MS })
      assert.equal(await currentTime(locked), 0, 'nothing played')
    } finally {
      await locked.close()
    }
    // A granted account whose keeper answers are altered in flight (a forged signature or share):
    // every answer fails its checks, no key is combined, nothing is decrypted.
    const dave = privateKeyToAccount(generatePrivateKey())
    const g = await runCli(['grant', started.video, dave.address, '--as', 'alice', '--json'], env())
    assert.equal(g.code, 0, g.stderr)
    const forged = await pageAs(browser, dave, chainId)
    let tampered = 0
    try {
      await forged.route('**/api/v1/keeper/release', async route => {
        const res = await route.fetch()
        const body = await res.json().catch(() => undefined)
        if (body === undefined) return await route.fulfill({ response: res })
        tampered++
        await route.fulfill({ response: res, json: tamper(body) })
      })
      await forged.goto(started.watch)
      assert.equal(await errorCode(forged), 'ERR_KEEPERS_UNAVAILABLE')
      assert.ok(tampered >= 2, `answers tampered: ${tampered}`)
      assert.equal(await currentTime(forged), 0, 'nothing played')
      assert.equal(await forged.evaluate(() => window.p2pdvLive!.stats().epochs), 0, 'no epoch key accepted')
    } finally {
      await forged.close()
    }
    // Granted (dave, above), but this browser shows up to 16+ and the stream is 18+: no key is asked for.
    const limited = await pageAs(browser, dave, chainId)
    let keyRequests = 0
    try {
      await limited.addInitScript(() => { localStorage.setItem('p2pdv.maxRating', '3') })
      await limited.route('**/api/v1/keeper/release', async route => { keyRequests++; await route.continue() })
      await limited.goto(started.watch)
      assert.equal(await errorCode(limited), 'ERR_RATING_HIDDEN')
      assert.match(await limited.locator('.error-detail').textContent() ?? '', /18\+/)
      assert.equal(keyRequests, 0, 'no key was asked for')
      assert.equal(await currentTime(limited), 0, 'nothing played')
    } finally {
      // The setting lives in the origin's storage, which every page of this context shares.
      await limited.evaluate(() => { localStorage.removeItem('p2pdv.maxRating') }).catch(() => {})
      await limited.close()
    }
  })
})

// The watch page with a link that carries no key (`/watch/video/<id>`), in headless Chromium on a
// real devnet (anvil + three keeper nodes): the page reads the chain from the node that served it,
// signs one key request — with a devnet wallet it keeps, or with an injected EIP-1193 wallet when
// there is one — and gets the key from the keepers, who check `hasAccess` on chain. Refused
// before a purchase, playing after it, with no CSP violation.
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { errorCode, playsPast } from './fixtures/player.ts'
import { makeTestVideo } from './fixtures/video.ts'

describe('watch page: keys from the keepers', () => {
  let devnet: RunningDevnet
  let video: string
  let pageUrl: string
  let env: NodeJS.ProcessEnv
  const browsers: Browser[] = []

  before(async () => {
    devnet = await startDevnet(3)
    const clip = join(devnet.dir, 'clip.mp4')
    await makeTestVideo(clip, 6)
    for (const n of devnet.state.nodes) {
      for (let i = 0; i < 60; i++) {
        if (await fetch(`${n.http}/api/v1/status`, { signal: AbortSignal.timeout(10_000) }).then(r => r.ok, () => false)) break
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    }
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const up = await runCli(['upload', clip, '--replicas', '3', '--title', 'Paid card', '--price', '0.01', '--unlisted', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    video = up.json.chain.videoId
    assert.equal(up.json.keepers.keepers.length, 3)
    // The page upload prints for the video link (no key in it).
    pageUrl = up.json.videoWatchUrl
    assert.equal(new URL(pageUrl).pathname, `/watch/video/${video}`)
  })

  after(async () => {
    for (const b of browsers) await b.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('the page lets its chain RPC and the keepers in its CSP, and shares the chain description', async () => {
    const res = await fetch(pageUrl)
    assert.equal(res.status, 200)
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.ok(csp.includes(new URL(devnet.state.chain!.rpc).origin), 'connect-src lists the RPC endpoint')
    const chain = await (await fetch(`${devnet.state.nodes[0]!.http}/api/v1/chain`)).json() as { chainId: number, contracts: Record<string, string> }
    assert.equal(chain.chainId, devnet.state.chain!.chainId)
    assert.equal(chain.contracts.keyCustody, devnet.state.chain!.contracts.keyCustody)
    // Another origin may ask a keeper (preflight), as a page served by another node does.
    const pre = await fetch(`${devnet.state.nodes[1]!.http}/api/v1/keeper/release`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')
  })

  it('with the page\'s devnet wallet: refused before buying, plays after a purchase for that address', async () => {
    const browser = await launchChromium()
    browsers.push(browser)
    const page = await browser.context.newPage()
    const cspViolations: string[] = []
    page.on('console', m => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()) })
    await page.goto(pageUrl)
    assert.equal(await errorCode(page), 'ERR_ACCESS_DENIED')
    await assertAccessible(page, 'a paid video refused by the keepers')
    const viewer = await page.evaluate(() => window.p2pdvViewer)
    assert.equal(viewer?.wallet, 'page')
    const bought = await runCli(['buy', video, '--for', viewer!.address, '--as', 'bob', '--json'], env)
    assert.equal(bought.code, 0, bought.stderr)
    await page.reload()
    await playsPast(page, 1)
    await assertAccessible(page, 'a paid video playing with keeper keys')
    // The same page wallet (kept in the page's storage) is what asked.
    assert.equal((await page.evaluate(() => window.p2pdvViewer))?.address, viewer!.address)
    assert.deepEqual(cspViolations, [])
    await page.close()
  })

  it('with an injected EIP-1193 wallet: the wallet signs the key request, and a grant opens the video', async () => {
    const account = privateKeyToAccount(generatePrivateKey())
    const calls: string[] = []
    const browser = await launchChromium()
    browsers.push(browser)
    await browser.context.exposeFunction('p2pdvTestWallet', async (json: string): Promise<string> => {
      const { method, params } = JSON.parse(json) as { method: string, params?: unknown[] }
      calls.push(method)
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return JSON.stringify([account.address])
      if (method === 'eth_chainId') return JSON.stringify(`0x${devnet.state.chain!.chainId.toString(16)}`)
      if (method === 'eth_signTypedData_v4') return JSON.stringify(await account.signTypedData(JSON.parse((params as string[])[1]!)))
      throw new Error(`unsupported ${method}`)
    })
    await browser.context.addInitScript(() => {
      const w = window as unknown as { ethereum: unknown, p2pdvTestWallet: (json: string) => Promise<string> }
      w.ethereum = { request: async (args: unknown) => JSON.parse(await w.p2pdvTestWallet(JSON.stringify(args))) }
    })
    const granted = await runCli(['grant', video, account.address, '--as', 'alice', '--json'], env)
    assert.equal(granted.code, 0, granted.stderr)
    const page = await browser.context.newPage()
    await page.goto(pageUrl)
    await playsPast(page, 1)
    assert.deepEqual(await page.evaluate(() => window.p2pdvViewer), { address: account.address, wallet: 'injected' })
    assert.ok(calls.includes('eth_signTypedData_v4'), 'the wallet signed the key request')
    await page.close()
  })
})

// Wallet, buy, subscribe, library and sign-in on a real devnet (anvil + keeper nodes), in
// headless Chromium. The "browser wallet" is a small EIP-1193 provider injected with
// addInitScript: it forwards reads to anvil's JSON-RPC and signs with a viem local account held
// by the test (so it can also refuse, like a person pressing "Reject", or send a transaction with
// too little gas, which the chain mines and reverts).
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { createPublicClient, createWalletClient, getAddress, http, type Hex } from 'viem'
import { AccessManagerAbi } from '@p2pdv/contracts/abis'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import { NodeClient } from '@p2pdv/node-client'
import { runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { screenshots } from './fixtures/screenshots.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { makeTestVideo } from './fixtures/video.ts'

const WAIT_MS = 90_000

type Mode = 'approve' | 'reject' | 'out-of-gas'

/** Plays past t seconds (unlike fixtures/player.ts, an error shown earlier on the page is expected). */
async function playsPast (page: Page, t: number): Promise<void> {
  await page.waitForFunction(t => {
    const v = document.querySelector('video')
    return v !== null && !v.paused && v.currentTime > t
  }, t, { timeout: WAIT_MS, polling: 100 })
}

async function rpc (url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return await res.json()
}

describe('wallet, buy, subscribe and library on a devnet', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv
  let paid: string
  let members: string
  let web: string
  let browser: Browser
  const account = privateKeyToAccount(generatePrivateKey())
  let mode: Mode = 'approve'
  let token: Hex
  const sent: string[] = []

  before(async () => {
    devnet = await startDevnet(2)
    web = devnet.state.nodes[0]!.http
    const chain = devnet.state.chain!
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const clip = join(devnet.dir, 'clip.mp4')
    await makeTestVideo(clip, 4)
    const up = await runCli(['upload', clip, '--replicas', '2', '--title', 'Lighthouse tour', '--description', 'Up the spiral stairs.', '--tags', 'travel', '--price', '0.01', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    paid = up.json.chain.videoId
    const clip2 = join(devnet.dir, 'clip2.mp4')
    await makeTestVideo(clip2, 3)
    const up2 = await runCli(['upload', clip2, '--replicas', '2', '--title', 'Members harbour walk', '--tags', 'travel', '--subscribers-only', '--json'], env, 300_000)
    assert.equal(up2.code, 0, up2.stdout + up2.stderr)
    members = up2.json.chain.videoId
    const plan = await runCli(['plan', '--price', '0.005', '--period', '30d', '--json'], env)
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    // Buyers of the priced video may refund within 7 days; the members' video is also free for
    // holders of 100 P2PV units or for anyone from 2099 (this wallet meets neither).
    const window = await runCli(['refund-window', paid, '7d', '--json'], env)
    assert.equal(window.code, 0, window.stdout + window.stderr)
    token = getAddress(chain.contracts.token!)
    const cond = await runCli(['require', members, `erc20:${token}>=100P2PV`, 'time:2099-01-01..', '--any', '--json'], env)
    assert.equal(cond.code, 0, cond.stdout + cond.stderr)
    // Test funds for the browser wallet's account.
    await rpc(chain.rpc, 'anvil_setBalance', [account.address, '0x8ac7230489e80000'])
    const node = new NodeClient(web)
    for (let i = 0; i < 120; i++) {
      if ((await node.videos({}).catch(() => ({ videos: [] }))).videos.length >= 2) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }

    const signer = createWalletClient({ account, transport: http(chain.rpc) })
    browser = await launchChromium()
    await browser.context.exposeFunction('p2pdvTestWallet', async (json: string): Promise<string> => {
      const { method, params = [] } = JSON.parse(json) as { method: string, params?: unknown[] }
      const ok = (result: unknown): string => JSON.stringify({ result })
      switch (method) {
        case 'eth_requestAccounts': case 'eth_accounts': return ok([account.address])
        case 'eth_chainId': return ok(`0x${chain.chainId.toString(16)}`)
        case 'wallet_switchEthereumChain': return ok(null)
        case 'personal_sign':
          if (mode === 'reject') return JSON.stringify({ error: { code: 4001, message: 'User rejected the request.' } })
          return ok(await account.signMessage({ message: { raw: params[0] as Hex } }))
        case 'eth_signTypedData_v4': return ok(await account.signTypedData(JSON.parse(params[1] as string)))
        case 'eth_sendTransaction': {
          if (mode === 'reject') return JSON.stringify({ error: { code: 4001, message: 'User rejected the request.' } })
          const tx = params[0] as { to: Hex, data?: Hex, value?: Hex, gas?: Hex }
          // Too little gas for the call (but enough to be mined): the chain reverts it.
          const gas = mode === 'out-of-gas' ? 30_000n : tx.gas === undefined ? undefined : BigInt(tx.gas)
          const hash = await signer.sendTransaction({ chain: null, to: tx.to, ...(tx.data === undefined ? {} : { data: tx.data }), ...(tx.value === undefined ? {} : { value: BigInt(tx.value) }), ...(gas === undefined ? {} : { gas }) })
          sent.push(hash)
          return ok(hash)
        }
        default: return JSON.stringify(await rpc(chain.rpc, method, params))
      }
    })
    await browser.context.addInitScript(() => {
      const w = window as unknown as { ethereum: unknown, p2pdvTestWallet: (json: string) => Promise<string> }
      w.ethereum = {
        request: async (args: unknown) => {
          const r = JSON.parse(await w.p2pdvTestWallet(JSON.stringify(args))) as { result?: unknown, error?: { code: number, message: string } }
          if (r.error !== undefined) throw Object.assign(new Error(r.error.message), { code: r.error.code })
          return r.result
        }
      }
    })
  })

  after(async () => {
    await browser?.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  async function txOutcome (page: Page): Promise<{ phase: string, code: string | null }> {
    await page.waitForSelector('[data-tx=failed], [data-tx=confirmed]', { timeout: WAIT_MS })
    const el = page.locator('[data-tx]')
    return { phase: (await el.getAttribute('data-tx'))!, code: await page.locator('[data-tx] [data-code]').getAttribute('data-code').catch(() => null) }
  }

  it('a viewer finds the priced video, sees its price and refund window; a refusal and a revert say what happened; buying plays it; the library lists it as refundable; refunding on the page stops it and credits the price', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${web}/search?q=lighthouse`)
    await page.locator(`a[data-video="${paid}"]`).first().click()
    await page.waitForURL(`**/watch/video/${paid}`)
    // Before buying: the keepers refuse, and the price shows.
    await page.waitForSelector('.error-detail code', { timeout: WAIT_MS })
    assert.equal(await page.locator('.error-detail code').textContent(), 'ERR_ACCESS_DENIED')
    await page.locator('.wallet-connect').click()
    await page.waitForSelector(`.wallet-chip[data-address="${account.address}"]`, { timeout: WAIT_MS })
    await page.waitForSelector('[data-price-state=buy] [data-action=buy]', { timeout: WAIT_MS })
    assert.equal(await page.locator('[data-price-state=buy] strong').textContent(), 'Buy for 0.01 ETH')
    assert.equal(await page.locator('[data-refund-window]').textContent(), 'Refundable for 7 days after you buy')
    assert.match((await page.locator('.wallet-balance').textContent())!, /^10 ETH$/)
    await screenshots(page, 'wallet-video-priced')
    await assertAccessible(page, 'wallet-video-priced')

    mode = 'reject'
    await page.locator('[data-action=buy]').click()
    assert.deepEqual(await txOutcome(page), { phase: 'failed', code: 'ERR_WALLET_REFUSED' })
    assert.equal(sent.length, 0, 'nothing was sent')

    mode = 'out-of-gas'
    await page.locator('[data-action=buy]').click()
    // The refusal above is still shown until this attempt ends: wait for this attempt's outcome.
    await page.waitForSelector('[data-tx=failed] [data-code=ERR_CHAIN_TX_FAILED]', { timeout: WAIT_MS })
    assert.deepEqual(await txOutcome(page), { phase: 'failed', code: 'ERR_CHAIN_TX_FAILED' })
    assert.equal(sent.length, 1)
    await screenshots(page, 'wallet-video-reverted')

    mode = 'approve'
    await page.locator('[data-action=buy]').click()
    // Confirmed: the page asks the keepers again and plays.
    await playsPast(page, 1)
    await page.waitForSelector('[data-price-state=owned]', { timeout: WAIT_MS })
    // Within the window: the deadline (7 days from now, in UTC) and a Refund button.
    await page.waitForSelector('[data-refund=refundable] [data-action=refund]', { timeout: WAIT_MS })
    assert.match((await page.locator('[data-refund=refundable]').textContent())!, /Refundable until \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC \((6 days 23 hours|7 days) left\)Refund 0\.01 ETH/)
    await page.locator('[data-refund=refundable]').scrollIntoViewIfNeeded()
    await screenshots(page, 'wallet-video-owned')

    await page.goto(`${web}/library`)
    await page.waitForSelector(`[aria-label="Bought videos"] a[data-video="${paid}"]`, { timeout: WAIT_MS })
    assert.match((await page.locator(`[data-refundable="${paid}"]`).textContent())!, /^Lighthouse tour 0\.01 ETH · refundable until .+ UTC \((6 days 23 hours|7 days) left\) Refund…$/)
    assert.equal(await page.locator(`[aria-label="Watched videos"] a[data-video="${paid}"]`).count(), 1, 'history lists it')
    await screenshots(page, 'library')
    await assertAccessible(page, 'library')
    await page.locator(`[aria-label="Bought videos"] a[data-video="${paid}"]`).click()
    await playsPast(page, 1)

    // Refund on the page: confirmed, the player stops, the money is credited (then withdrawn).
    const before = sent.length
    await page.locator('[data-action=refund]').click()
    await page.waitForSelector('[data-tx=confirmed][data-tx-action=refunding]', { timeout: WAIT_MS })
    assert.match((await page.locator('[data-tx]').textContent())!, /^Refunded 0\.01 ETH\. .*not in your wallet until you withdraw it\.$/)
    await page.waitForSelector('video', { state: 'detached', timeout: WAIT_MS })
    assert.equal(await page.locator('.error-panel h2').textContent(), 'You refunded this video')
    await page.waitForSelector('[data-price-state=buy] [data-action=buy]', { timeout: WAIT_MS })
    const chain = devnet.state.chain!
    const reader = createPublicClient({ transport: http(chain.rpc) })
    assert.equal(await reader.readContract({ address: chain.contracts.accessManager as Hex, abi: AccessManagerAbi, functionName: 'hasAccess', args: [paid as Hex, account.address] }), false, 'access is gone on chain')
    assert.equal(await reader.readContract({ address: chain.contracts.accessManager as Hex, abi: AccessManagerAbi, functionName: 'owed', args: [account.address, '0x0000000000000000000000000000000000000000'] }), 10n ** 16n, 'the price is credited to the payer')
    await page.locator('[data-action=withdraw]').scrollIntoViewIfNeeded()
    await screenshots(page, 'wallet-video-refunded')
    await page.locator('[data-action=withdraw]').click()
    await page.waitForSelector('[data-tx=confirmed][data-tx-action=withdrawing]', { timeout: WAIT_MS })
    assert.equal(await page.locator('[data-tx]').textContent(), 'Withdrawn: 0.01 ETH is back in your wallet.')
    assert.equal(sent.length, before + 2, 'one refund, one withdrawal')
    await page.close()
  })

  it('a subscriber sees a subscribers-only video play', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${web}/watch/video/${members}`)
    // The wallet reconnects by itself (the page remembers the choice, not a key).
    await page.waitForSelector('[data-price-state=subscribe] [data-action=subscribe]', { timeout: WAIT_MS })
    assert.equal(await page.locator('[data-price-state=subscribe] strong').textContent(), 'Subscribe for 0.005 ETH')
    // The condition, in words, and that this wallet does not meet it.
    await page.waitForSelector('[data-condition=not-qualified]', { timeout: WAIT_MS })
    assert.equal(await page.locator('.condition-words').textContent(), `Free for holders of ≥ 100 P2PV (100,000,000,000,000,000,000 base units) of token ${token.slice(0, 6)}…${token.slice(-4)} (ERC-20) or for anyone from 2099-01-01 00:00 UTC on`)
    assert.equal(await page.locator(`.condition-words [title="${token}"]`).count(), 1, 'the full address in a title')
    await page.locator('[data-condition]').scrollIntoViewIfNeeded()
    await screenshots(page, 'wallet-video-condition')
    await page.locator('[data-action=subscribe]').click()
    await playsPast(page, 1)
    await page.waitForSelector('[data-price-state=subscribed]', { timeout: WAIT_MS })
    await page.goto(`${web}/library`)
    await page.waitForSelector('[aria-label=Subscriptions] li', { timeout: WAIT_MS })
    await page.close()
  })

  it('signs in with Ethereum from the wallet menu', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${web}/`)
    await page.waitForSelector('.wallet-chip', { timeout: WAIT_MS })
    await page.locator('.wallet-chip').click()
    await screenshots(page, 'wallet-menu')
    await assertAccessible(page, 'wallet-menu')
    mode = 'reject'
    await page.locator('.wallet-menu button', { hasText: 'Sign in' }).click()
    await page.waitForSelector('.wallet-menu [data-code=ERR_WALLET_REFUSED]', { timeout: WAIT_MS })
    mode = 'approve'
    await page.locator('.wallet-menu button', { hasText: 'Sign in' }).click()
    await page.waitForSelector('[data-signed-in=true]', { timeout: WAIT_MS })
    // The HttpOnly session cookie now identifies the viewer to the node.
    const session = await page.evaluate(async () => await (await fetch('/api/v1/auth/session')).json()) as { address: string }
    assert.equal(session.address, account.address)
    await page.close()
  })

  it('without a browser wallet, the devnet dev wallet is labelled and gets test funds', async () => {
    const plain = await launchChromium()
    try {
      const page = await plain.context.newPage()
      await page.goto(`${web}/`)
      await page.locator('.wallet-connect').click()
      await page.waitForSelector('.wallet-chip.dev', { timeout: WAIT_MS })
      await page.locator('.wallet-chip').click()
      assert.equal(await page.locator('.wallet-kind').textContent(), 'Dev wallet — test funds only')
      await page.locator('.wallet-menu button', { hasText: 'Add test ETH' }).click()
      await page.waitForFunction(() => document.querySelector('.wallet-balance')?.textContent === '10 ETH', undefined, { timeout: WAIT_MS })
      await screenshots(page, 'wallet-dev')
    } finally {
      await plain.close()
    }
  })

  describe('sign-in with Ethereum refuses hostile messages', () => {
    async function attempt (o: { nonce?: string, domain?: string, chainId?: number, expires?: Date, replay?: { message: string, signature: Hex } }): Promise<{ status: number, code?: string, message: string, signature: Hex }> {
      let message: string
      let signature: Hex
      if (o.replay !== undefined) {
        ({ message, signature } = o.replay)
      } else {
        const nonce = o.nonce ?? (await (await fetch(`${web}/api/v1/auth/nonce`)).json() as { nonce: string }).nonce
        const url = new URL(web)
        message = createSiweMessage({
          address: account.address, chainId: o.chainId ?? devnet.state.chain!.chainId, domain: o.domain ?? url.host, nonce, uri: url.origin, version: '1',
          issuedAt: new Date(Date.now() - 60_000), expirationTime: o.expires ?? new Date(Date.now() + 600_000)
        })
        signature = await account.signMessage({ message })
      }
      const res = await fetch(`${web}/api/v1/auth/siwe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, signature }) })
      const body = await res.json() as { code?: string }
      return { status: res.status, ...(body.code === undefined ? {} : { code: body.code }), message, signature }
    }

    it('a replayed nonce, an expired message, another domain, another chain → ERR_SIWE_REJECTED', async () => {
      const first = await attempt({})
      assert.equal(first.status, 200)
      assert.equal((await attempt({ replay: first })).code, 'ERR_SIWE_REJECTED')
      assert.equal((await attempt({ expires: new Date(Date.now() - 1000) })).code, 'ERR_SIWE_REJECTED')
      assert.equal((await attempt({ domain: 'evil.example' })).code, 'ERR_SIWE_REJECTED')
      assert.equal((await attempt({ chainId: 1 })).code, 'ERR_SIWE_REJECTED')
      assert.equal((await attempt({ nonce: 'deadbeefdeadbeef' })).code, 'ERR_SIWE_REJECTED')
    })
  })
})

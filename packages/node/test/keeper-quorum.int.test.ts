// A keeper reading access from several RPC endpoints against a real anvil: one endpoint is a
// JSON-RPC proxy that lies (every `false` an eth_call returns becomes `true`), another never
// answers eth_call. The keeper releases only what all endpoints agree on, and fails closed.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { x25519 } from '@noble/curves/ed25519.js'
import { pino } from 'pino'
import { createWalletClient, http, toHex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { deployAll } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import { generateVideoId, newLogBody, sealShareToKeeper, ZERO_HASH, signKeyRequest, signShareDeposit, splitKey, type KeyShare, type VideoId } from '@p2pdv/core/keys'
import { ChainClient, parseChainConfig, type ChainConfig } from '@p2pdv/chain'
import { connectQuorumOracle } from '../src/keeper/chain-quorum.ts'
import { Keeper } from '../src/keeper/keeper.ts'
import { loadKeeperKeys } from '../src/keeper/keeper-keys.ts'
import { KeeperStore } from '../src/keeper/keeper-store.ts'

const LIGHT_SCRYPT = { N: 2 ** 10, r: 8, p: 1 }
const FALSE_WORD = `0x${'0'.repeat(64)}`
const TRUE_WORD = `0x${'0'.repeat(63)}1`

/** A JSON-RPC proxy to `upstream` on 127.0.0.1; `mode` decides what it does with eth_call. */
async function rpcProxy (upstream: string, mode: 'lie' | 'hang'): Promise<{ url: string, server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8')
        const call = JSON.parse(body) as { method?: string }
        if (mode === 'hang' && call.method === 'eth_call') return // never answers
        const up = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        const answer = await up.json() as { result?: unknown }
        if (mode === 'lie' && call.method === 'eth_call' && answer.result === FALSE_WORD) answer.result = TRUE_WORD
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
      })().catch(() => { res.destroy() })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}`, server }
}

describe('keeper access quorum over several RPC endpoints', () => {
  let anvil: Anvil
  let config: ChainConfig
  let owner: ChainClient
  const proxies: Server[] = []
  const dirs: string[] = []

  before(async () => {
    anvil = await startAnvil()
    const deployer = privateKeyToAccount(ANVIL_KEYS[0])
    const d = await deployAll(createWalletClient({ account: deployer, transport: http(anvil.rpc) }))
    config = parseChainConfig({ rpc: anvil.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }, 'test')
    owner = await ChainClient.connect(config, { account: privateKeyToAccount(ANVIL_KEYS[1]), pollingIntervalMs: 50 })
  })
  after(async () => {
    for (const p of proxies) p.closeAllConnections()
    for (const p of proxies) p.close()
    await anvil?.stop()
    await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true })))
  })

  async function keeperOn (rpcs: string[]) {
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-keeper-quorum-'))
    dirs.push(dir)
    const keys = await loadKeeperKeys(dir, 'pw', LIGHT_SCRYPT)
    const store = new KeeperStore(dir)
    const oracle = await connectQuorumOracle(config, rpcs)
    const keeper = new Keeper({ keys, store, oracle, log: pino({ level: 'silent' }) })
    return { keeper, keys, store, domain: oracle.domain }
  }

  /** A private video of `owner` with one share deposited on the keeper. */
  async function privateVideo (k: Awaited<ReturnType<typeof keeperOn>>): Promise<VideoId> {
    const video = generateVideoId()
    const K = generateContentKey()
    await owner.registerVideo({ id: video, manifestCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', keyFingerprint: toHex(keyFingerprint(K)), policy: 'private' })
    const [share] = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 }) as [KeyShare, KeyShare]
    const sealed = await sealShareToKeeper(share, k.keys.x25519.publicKey)
    const dep = await k.keeper.deposit(JSON.parse(JSON.stringify(await signShareDeposit(owner.account!, k.domain, { video, epoch: 0, threshold: 2, shares: 2, keeper: k.keys.account.address, sealed }))))
    assert.equal(dep.status, 201, JSON.stringify(dep.body))
    return video
  }

  async function ask (k: Awaited<ReturnType<typeof keeperOn>>, video: VideoId, viewer = privateKeyToAccount(generatePrivateKey())): Promise<string> {
    const req = await signKeyRequest(viewer, { domain: k.domain, video, viewerKey: x25519.getPublicKey(x25519.utils.randomSecretKey()), now: Math.floor(Date.now() / 1000) })
    const a = await k.keeper.release(JSON.parse(JSON.stringify(req)))
    return a.body.ok ? 'released' : a.body.code
  }

  it('refuses (fails closed) when one endpoint lies that a viewer has access; releases when all agree', async () => {
    const liar = await rpcProxy(anvil.rpc, 'lie')
    proxies.push(liar.server)
    const k = await keeperOn([anvil.rpc, liar.url])
    const video = await privateVideo(k)
    assert.equal(await ask(k, video), 'ERR_ORACLE_DISAGREE')
    const viewer = privateKeyToAccount(generatePrivateKey())
    await owner.grant(video, viewer.address)
    assert.equal(await ask(k, video, viewer), 'released', 'endpoints that agree on true still release')
    const logged = k.store.logRange(0, 10).map(e => e.body!.decision)
    assert.deepEqual(logged, ['stored', 'ERR_ORACLE_DISAGREE', 'released'])
    k.store.close()
  })

  it('answers a refusal when an endpoint hangs, instead of holding the viewer', { timeout: 15_000 }, async () => {
    const hung = await rpcProxy(anvil.rpc, 'hang')
    proxies.push(hung.server)
    const k = await keeperOn([hung.url, anvil.rpc])
    const video = generateVideoId()
    const K = generateContentKey()
    await owner.registerVideo({ id: video, manifestCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', keyFingerprint: toHex(keyFingerprint(K)), policy: 'private' })
    const [share] = await splitKey(K, { video, epoch: 0, threshold: 2, shares: 2 }) as [KeyShare, KeyShare]
    const sealed = await sealShareToKeeper(share, k.keys.x25519.publicKey)
    // A deposit reads the owner through the same quorum: refused, not held.
    const dep = await k.keeper.deposit(JSON.parse(JSON.stringify(await signShareDeposit(owner.account!, k.domain, { video, epoch: 0, threshold: 2, shares: 2, keeper: k.keys.account.address, sealed }))))
    assert.equal(dep.body.code, 'ERR_ORACLE_UNAVAILABLE')
    // With the share in place (as if deposited earlier), a viewer the chain lets in is refused too.
    k.store.putShare({ video, epoch: 0, threshold: 2, shares: 2, owner: owner.address, enc: sealed.enc, ct: sealed.ct, time: Date.now() },
      newLogBody({ kind: 'deposit', video, subject: owner.address, request: ZERO_HASH, epoch: 0, decision: 'stored' }))
    const viewer = privateKeyToAccount(generatePrivateKey())
    await owner.grant(video, viewer.address)
    assert.equal(await ask(k, video, viewer), 'ERR_ORACLE_UNAVAILABLE')
    k.store.close()
  })
})

// Key resolution through keepers on loopback, with the chain in the loop: a real anvil with the
// protocol deployed, five keeper node processes registered and staked on it (each checks
// `hasAccess` on chain for every request). Measured: a whole resolution (sign one request, ask
// every keeper of the video, verify, open, combine t, check the fingerprint read from the chain)
// for 2-of-3 and 3-of-5, median and p99 over BENCH_KEY_REQUESTS (≥ 100) resolutions, beside a bare
// HTTP round trip to a keeper and the on-chain access check alone, measured in the same run; and
// one keeper's release throughput beside its plain HTTP throughput at the same concurrency.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWalletClient, http, publicActions, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil } from '@p2pdv/contracts/anvil'
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import { generateVideoId, signKeyRequest, type KeyRequest, type VideoId } from '@p2pdv/core/keys'
import { ChainClient, parseChainConfig } from '@p2pdv/chain'
import { createIdentity, IdentityStore } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { chooseKeepers, depositShares, KeeperClient, KeyResolver } from '@p2pdv/sdk/keys'
import { printTable, type Row } from '../../../scripts/bench-util.ts'
import { spawnNode, TEST_PASSPHRASE, type SpawnedNode } from '../test/fixtures/spawn-node.ts'

const REQUESTS = Math.max(100, Number(process.env.BENCH_KEY_REQUESTS ?? 200))
const THROUGHPUT_REQUESTS = Math.max(200, Number(process.env.BENCH_KEY_THROUGHPUT ?? 1000))
const CONCURRENCY = 16
const KEEPERS = 5
const LIGHT_SCRYPT = { N: 2 ** 12, r: 8, p: 1 }

function stats (ms: number[]): { median: number, p99: number } {
  const s = [...ms].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]! }
}

async function sample (n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(10, n); i++) await fn() // warm-up: connections, JIT
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

async function perSecond (total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next < total) await fn(next++) }))
  return total / ((performance.now() - t) / 1000)
}

const dir = await mkdtemp(join(tmpdir(), 'p2pdv-keys-bench-'))
const anvil = await startAnvil({ logFile: join(dir, 'anvil.log') })
const keepers: SpawnedNode[] = []
try {
  // Chain: the protocol, a creator with tokens, and a funded wallet per keeper.
  const store = new IdentityStore(join(dir, 'keys'))
  const wallets = []
  for (let i = 0; i < KEEPERS; i++) wallets.push(await store.create(`keeper-${i}`, TEST_PASSPHRASE, { scrypt: LIGHT_SCRYPT }))
  const creatorAccount = privateKeyToAccount(ANVIL_KEYS[1]!)
  const deployer = createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(anvil.rpc) }).extend(publicActions)
  const deployment = await deployAll(deployer, {
    allocations: [{ to: creatorAccount.address, amount: 100_000n * WEI_PER_TOKEN }, ...wallets.map(w => ({ to: w.address, amount: 10_000n * WEI_PER_TOKEN }))],
    params: { minStake: 1_000n * WEI_PER_TOKEN }
  })
  for (const w of wallets) await deployer.waitForTransactionReceipt({ hash: await deployer.sendTransaction({ to: w.address, value: 10n ** 20n, chain: null }), pollingInterval: 50 })
  const chainJson = { rpc: anvil.rpc, chainId: deployment.chainId, startBlock: deployment.startBlock.toString(), contracts: deployment.contracts }
  const chainFile = join(dir, 'chain.json')
  await writeFile(chainFile, JSON.stringify(chainJson))
  const config = parseChainConfig(chainJson, chainFile)

  // Keeper processes, registered as keepers by their own wallets; no rate limits in the way.
  const unlimited = ['--keeper-rate', '100000000', '--keeper-burst', '100000000', '--keeper-source-rate', '100000000']
  for (let i = 0; i < KEEPERS; i++) {
    keepers.push(await spawnNode({ args: ['--chain', chainFile, '--wallet', `keeper-${i}`, '--keys', store.dir, '--keeper', ...unlimited] }))
  }

  const creator = await ChainClient.connect(config, { account: creatorAccount })
  const reader = new ChainKeyOracle(await ChainClient.connect(config))
  const registered = await reader.keepers()
  if (registered.length !== KEEPERS) throw new Error(`${registered.length} keepers registered, expected ${KEEPERS}`)
  const client = new KeeperClient()

  // Free videos: every viewer has access, so each resolution may use a fresh viewer (no per-viewer limit).
  const setUp = async (t: number, n: number): Promise<VideoId> => {
    const video = generateVideoId()
    const K = generateContentKey()
    await creator.registerVideo({ id: video, manifestCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', keyFingerprint: toHex(keyFingerprint(K)), policy: 'public' })
    const chosen = chooseKeepers(video, registered, n)
    await depositShares({ key: K, video, epoch: 0, threshold: t, keepers: chosen, owner: creatorAccount, domain: reader.domain, client })
    await creator.setCustody(video, { epoch: 0, threshold: t, keepers: chosen.map(k => k.address) })
    return video
  }
  const viewer = await createIdentity('viewer')
  const resolver = new KeyResolver({ oracle: reader, directory: reader, client, viewer: { account: viewer.account, x25519PublicKey: viewer.x25519PublicKey, x25519PrivateKey: viewer.x25519PrivateKey } })

  const v23 = await setUp(2, 3)
  const v35 = await setUp(3, 5)
  const k0 = registered[0]!
  const httpRtt = stats(await sample(REQUESTS, async () => { await (await fetch(`${k0.http!}/healthz`)).arrayBuffer() }))
  const access = stats(await sample(REQUESTS, async () => await reader.hasAccess(v23, viewer.address)))
  const rows: Row[] = []
  for (const [t, n, video] of [[2, 3, v23], [3, 5, v35]] as const) {
    const r = stats(await sample(REQUESTS, async () => { (await resolver.resolve(video)).key.fill(0) }))
    rows.push({ name: `resolve t=${t}/${n} median`, value: r.median, baselineName: 'HTTP round trip median', baseline: httpRtt.median, unit: 'ms', better: 'lower' })
    rows.push({ name: `resolve t=${t}/${n} p99`, value: r.p99, baselineName: 'HTTP round trip p99', baseline: httpRtt.p99, unit: 'ms', better: 'lower' })
    rows.push({ name: `resolve t=${t}/${n} median`, value: r.median, baselineName: 'on-chain hasAccess alone, median', baseline: access.median, unit: 'ms', better: 'lower' })
    rows.push({ name: `resolve t=${t}/${n} p99`, value: r.p99, baselineName: 'on-chain hasAccess alone, p99', baseline: access.p99, unit: 'ms', better: 'lower' })
  }

  // One keeper's throughput: pre-signed requests (signing is the viewer's cost, not the keeper's).
  const requests: KeyRequest[] = []
  for (let i = 0; i < THROUGHPUT_REQUESTS; i++) requests.push(await signKeyRequest(viewer.account, { domain: reader.domain, video: v23, viewerKey: viewer.x25519PublicKey, ttlSeconds: 300 }))
  const holder = registered.find(k => chooseKeepers(v23, registered, 3).some(c => c.address === k.address))!
  let refused = 0
  const releases = await perSecond(THROUGHPUT_REQUESTS, CONCURRENCY, async i => { const r = await client.release(holder, requests[i]!); if (!r.ok) refused++ })
  const plain = await perSecond(THROUGHPUT_REQUESTS, CONCURRENCY, async () => { await (await fetch(`${holder.http!}/healthz`)).arrayBuffer() })
  if (refused > 0) throw new Error(`${refused} releases were refused during the throughput run`)
  rows.push({ name: `keeper releases/s (${CONCURRENCY} in flight, chain check each)`, value: releases, baselineName: 'keeper /healthz requests/s', baseline: plain, unit: '/s', better: 'higher' })

  printTable(`Key resolution on loopback (${REQUESTS} resolutions each; ${KEEPERS} keeper processes; hasAccess read from anvil per request)`, rows)
  await resolver.close()
  viewer.forget()
} finally {
  await Promise.all(keepers.map(async k => await k.stop()))
  await anvil.stop()
  await rm(dir, { recursive: true, force: true })
}

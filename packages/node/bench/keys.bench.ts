// Key resolution through keepers on loopback: latency of a whole resolution (sign one request,
// ask every keeper, verify, open, combine t, check the fingerprint) for 2-of-3 and 3-of-5,
// median and p99 over BENCH_KEY_REQUESTS (≥ 100) resolutions, beside a bare HTTP round trip to
// the same keepers and the access check alone, measured in the same run; and one keeper's
// release throughput beside its plain HTTP throughput at the same concurrency.
import { generateContentKey, keyFingerprint } from '@p2pdv/core'
import { generateVideoId, signKeyRequest, type AccessOracle, type KeeperDirectory, type KeyRequest } from '@p2pdv/core/keys'
import { createIdentity, depositShares, KeeperClient, KeyResolver, type Identity } from '@p2pdv/sdk'
import { printTable, type Row } from '../../../scripts/bench-util.ts'
import { DevFileOracle } from '../src/keeper/dev-file-oracle.ts'
import { spawnKeeper, TEST_DOMAIN, TestOracleFile, type KeeperNode } from '../test/fixtures/keepers.ts'

const REQUESTS = Math.max(100, Number(process.env.BENCH_KEY_REQUESTS ?? 200))
const THROUGHPUT_REQUESTS = Math.max(200, Number(process.env.BENCH_KEY_THROUGHPUT ?? 1000))
const CONCURRENCY = 16

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

const oracleFile = await TestOracleFile.create()
const keepers: KeeperNode[] = []
const unlimited = ['--keeper-rate', '100000000', '--keeper-burst', '100000000', '--keeper-source-rate', '100000000']
try {
  for (let i = 0; i < 5; i++) keepers.push(await spawnKeeper(oracleFile, { args: unlimited }))
  await oracleFile.setKeepers(keepers.map(k => k.keeper))
  const oracle = new DevFileOracle(oracleFile.path)
  const creator = await createIdentity('creator')
  const viewer = await createIdentity('viewer')
  const client = new KeeperClient()
  const rows: Row[] = []

  const setUp = async (t: number, n: number): Promise<string> => {
    const video = generateVideoId()
    const K = generateContentKey()
    const chosen = keepers.slice(0, n)
    await oracleFile.registerVideo(video, { owner: creator.address, keyFingerprint: keyFingerprint(K), custody: { epoch: 0, threshold: t, keepers: chosen.map(k => k.keeper.address) }, access: [viewer.address] })
    await depositShares({ key: K, video, epoch: 0, threshold: t, keepers: chosen.map(k => k.keeper), owner: creator.account, domain: TEST_DOMAIN, client })
    return video
  }
  const viewerKeys = (id: Identity) => ({ account: id.account, x25519PublicKey: id.x25519PublicKey, x25519PrivateKey: id.x25519PrivateKey })
  const resolver = new KeyResolver({ oracle: oracle as AccessOracle, directory: oracle as KeeperDirectory, viewer: viewerKeys(viewer), client })

  // Baselines: a bare HTTP round trip to a keeper, and the access check alone.
  const http = stats(await sample(REQUESTS, async () => { await (await fetch(`${keepers[0]!.info.http}/healthz`)).arrayBuffer() }))
  const v23 = await setUp(2, 3)
  const access = stats(await sample(REQUESTS, async () => await oracle.hasAccess(v23 as `0x${string}`, viewer.address)))

  for (const [t, n, video] of [[2, 3, v23], [3, 5, await setUp(3, 5)]] as const) {
    const r = stats(await sample(REQUESTS, async () => { (await resolver.resolve(video as `0x${string}`)).key.fill(0) }))
    rows.push({ name: `resolve t=${t}/${n} median`, value: r.median, baselineName: 'HTTP round trip median', baseline: http.median, unit: 'ms', better: 'lower' })
    rows.push({ name: `resolve t=${t}/${n} p99`, value: r.p99, baselineName: 'HTTP round trip p99', baseline: http.p99, unit: 'ms', better: 'lower' })
    rows.push({ name: `resolve t=${t}/${n} median`, value: r.median, baselineName: 'access check alone, median', baseline: access.median, unit: 'ms', better: 'lower' })
  }

  // Throughput of one keeper: pre-signed requests (signing is the viewer's cost, not the keeper's).
  const k0 = keepers[0]!
  const requests: KeyRequest[] = []
  for (let i = 0; i < THROUGHPUT_REQUESTS; i++) requests.push(await signKeyRequest(viewer.account, { domain: TEST_DOMAIN, video: v23 as `0x${string}`, viewerKey: viewer.x25519PublicKey, ttlSeconds: 300 }))
  let refused = 0
  const releases = await perSecond(THROUGHPUT_REQUESTS, CONCURRENCY, async i => { const r = await client.release(k0.keeper, requests[i]!); if (!r.ok) refused++ })
  const plain = await perSecond(THROUGHPUT_REQUESTS, CONCURRENCY, async () => { await (await fetch(`${k0.info.http}/healthz`)).arrayBuffer() })
  if (refused > 0) throw new Error(`${refused} releases were refused during the throughput run`)
  rows.push({ name: `keeper releases/s (${CONCURRENCY} in flight)`, value: releases, baselineName: 'keeper /healthz requests/s', baseline: plain, unit: '/s', better: 'higher' })

  printTable(`Key resolution on loopback (${REQUESTS} resolutions each; keepers are real node processes; access from the test file oracle)`, rows)
  await resolver.close()
  await client.close()
} finally {
  await Promise.all(keepers.map(async k => await k.stop()))
}

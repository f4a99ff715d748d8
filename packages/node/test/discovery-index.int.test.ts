// The discovery index against a real anvil: registry events and signed listings in, searchable
// rows out; hostile listings (forged, oversized, malformed, signed by someone else) are skipped
// with a logged code, private videos leave the index, purchases make a video trend, and the HTTP
// route answers through NodeClient with typed errors for bad queries. Channel profiles: the
// creator's own is indexed and names their videos; a forged one, or the creator's genuine one
// pointed at by another account, is skipped with its code.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import { pino } from 'pino'
import { createWalletClient, http, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { blockCid, fromHexBytes, profileBlock, profileDigest, type CID, type ProfileBody } from '@p2pdv/core'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { deployAll, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { buy, connectChain, parseChainConfig, registerVideo, setPolicy, setPrice, setProfile, type ChainContext } from '@p2pdv/chain'
import { buildListing, buildProfile } from '@p2pdv/sdk'
import { NodeClient } from '@p2pdv/node-client'
import { DiscoveryComponent } from '../src/components/discovery.ts'
import { discoveryRoutes } from '../src/discovery/routes.ts'

const FP = `0x${'cd'.repeat(32)}` as Hex
const MANIFEST = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const newId = (): Hex => toHex(randomBytes(32))

describe('discovery index', () => {
  let anvil: Anvil
  let creator: ChainContext, buyer: ChainContext, reader: ChainContext, impostor: ChainContext
  let dir: string
  const blocks = new Map<string, Uint8Array>()
  const logs: Array<{ msg: string, code?: string, video?: string }> = []
  let discovery: DiscoveryComponent
  const ids: Record<string, Hex> = {}
  const creatorKey = privateKeyToAccount(ANVIL_KEYS[1])
  const stranger = privateKeyToAccount(ANVIL_KEYS[3])

  async function put (bytes: Uint8Array): Promise<CID> {
    const cid = await blockCid(bytes)
    blocks.set(cid.toString(), bytes)
    return cid
  }

  async function listed (name: string, input: Parameters<typeof buildListing>[1], policy: 'public' | 'paid' | 'private' = 'public', signer = creatorKey): Promise<Hex> {
    const { block } = await buildListing(signer, input)
    const cid = await put(block)
    const id = newId()
    await registerVideo(creator, { id, manifestCid: MANIFEST, listingCid: cid.toString(), keyFingerprint: FP, policy })
    ids[name] = id
    return id
  }

  before(async () => {
    anvil = await startAnvil()
    const d = await deployAll(createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(anvil.rpc) }), {
      allocations: [{ to: creatorKey.address, amount: 1_000n * WEI_PER_TOKEN }]
    })
    const config = parseChainConfig({ rpc: anvil.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }, 'test')
    creator = await connectChain(config, { account: creatorKey, pollingIntervalMs: 50 })
    buyer = await connectChain(config, { account: privateKeyToAccount(ANVIL_KEYS[2]), pollingIntervalMs: 50 })
    reader = await connectChain(config)
    impostor = await connectChain(config, { account: stranger, pollingIntervalMs: 50 })
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-discovery-'))
    const log = pino({ level: 'warn' }, { write: (line: string) => { logs.push(JSON.parse(line)) } })
    discovery = new DiscoveryComponent({
      dataDir: () => dir,
      chain: () => reader,
      localBlock: async cid => blocks.get(cid.toString()),
      peers: async () => [],
      log,
      intervalMs: 3_600_000
    })
  })
  after(async () => {
    await discovery?.stop()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('indexes signed public listings and skips hostile ones with a logged code', async () => {
    await listed('sunset', { title: 'Sunset over Lisbon <script>alert(1)</script>', description: 'Golden hour <img src=x onerror=alert(1)> by the river', tags: ['travel', 'Portugal'], durationSeconds: 95 })
    const paid = await listed('lesson', { title: 'Guitar lesson: barre chords', tags: ['music'], durationSeconds: 600 }, 'paid')
    await setPrice(creator, paid, { asset: 'eth', amount: 10n ** 15n, duration: 0n })
    await listed('private', { title: 'Family dinner', tags: [], durationSeconds: 30 }, 'private')
    // Signed by another account than the video's owner: someone dressing up their video.
    await listed('impostor', { title: 'Official trailer', tags: [], durationSeconds: 30 }, 'public', stranger)
    // A block that is not a listing, and one larger than any listing may be.
    for (const [name, bytes] of [['garbage', new TextEncoder().encode('<html>not cbor</html>')], ['huge', new Uint8Array(17 * 1024).fill(0xa1)]] as const) {
      const cid = await put(bytes)
      ids[name] = newId()
      await registerVideo(creator, { id: ids[name], manifestCid: MANIFEST, listingCid: cid.toString(), keyFingerprint: FP, policy: 'public' })
    }
    discovery.start()
    await discovery.sync()
    const store = discovery.store!
    assert.equal(store.size, 2)
    const sunset = store.get(ids.sunset!)!
    // Stored as given (text); rendering decides how to show it.
    assert.equal(sunset.title, 'Sunset over Lisbon <script>alert(1)</script>')
    assert.equal(sunset.category, 'travel')
    assert.deepEqual(store.get(ids.lesson!)?.price, { asset: 'eth', amount: (10n ** 15n).toString(), durationSeconds: '0' })
    const skipped = new Map(logs.filter(l => l.msg === 'discovery: listing skipped').map(l => [l.video, l.code]))
    assert.equal(skipped.get(ids.impostor), 'ERR_LISTING_CREATOR_MISMATCH')
    assert.equal(skipped.get(ids.garbage), 'ERR_LISTING_MALFORMED')
    assert.equal(skipped.get(ids.huge), 'ERR_LISTING_TOO_LARGE')
    assert.equal(skipped.has(ids.private), false)
  })

  it('follows later events: a video made private leaves, a purchase makes one trend', async () => {
    await buy(buyer, ids.lesson!)
    await setPolicy(creator, ids.sunset!, 'private')
    await discovery.sync()
    const store = discovery.store!
    assert.equal(store.get(ids.sunset!), undefined)
    assert.equal(store.get(ids.lesson!)?.recentPurchases, 1)
    assert.deepEqual(store.search({ words: [], sort: 'trending', limit: 10, offset: 0 }).videos.map(v => v.id), [ids.lesson])
    await setPolicy(creator, ids.sunset!, 'public')
    await discovery.sync()
    assert.ok(store.get(ids.sunset!) !== undefined)
  })

  it('indexes the creator\'s own channel profile; a forged one, or theirs pointed at by another account, is not theirs', async () => {
    const genuine = await buildProfile(creatorKey, { name: 'Lisbon <b>Lens</b>', bio: 'Travel films.', links: ['https://example.org/lens'] })
    await put(genuine.block)
    await setProfile(creator, genuine.cid.toString())
    // The stranger signs a profile naming the creator (a forged signature), and points their own pointer at it.
    const body: ProfileBody = { v: 1, type: 'profile', creator: fromHexBytes(creatorKey.address), name: 'Official Lisbon Lens', links: [], createdAt: 1, updatedAt: 1 }
    const forged = await profileBlock({ ...body, sig: fromHexBytes(await stranger.signMessage({ message: { raw: profileDigest(body) } })) })
    await put(forged.block)
    await setProfile(impostor, forged.cid.toString())
    await discovery.sync()
    const store = discovery.store!
    assert.equal(store.profile(creatorKey.address)?.name, 'Lisbon <b>Lens</b>')
    assert.equal(store.profile(creatorKey.address)?.cid, genuine.cid.toString())
    assert.equal(store.profile(stranger.address), undefined)
    assert.equal(store.get(ids.lesson!)?.creatorName, 'Lisbon <b>Lens</b>')
    // The creator's genuine profile replayed under the stranger's pointer: signed, but not theirs.
    await setProfile(impostor, genuine.cid.toString())
    await discovery.sync()
    assert.equal(store.profile(stranger.address), undefined)
    const skipped = logs.filter(l => l.msg === 'discovery: channel profile skipped').map(l => l.code)
    assert.deepEqual(skipped, ['ERR_PROFILE_BAD_SIGNATURE', 'ERR_PROFILE_CREATOR_MISMATCH'])
  })

  it('answers GET /api/v1/videos through NodeClient, with typed errors for bad queries', async () => {
    const app = Fastify()
    app.setErrorHandler(async (err, _req, reply) => {
      if (err instanceof P2pdvError) return await reply.code(httpStatusOf(err.code)).send(err.toJSON())
      throw err
    })
    discoveryRoutes(() => discovery.store)(app)
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const client = new NodeClient(url)
      const found = await client.videos({ q: 'lisb' })
      assert.deepEqual(found.videos.map(v => v.id), [ids.sunset])
      assert.deepEqual((await client.videos({ category: 'music' })).videos.map(v => v.title), ['Guitar lesson: barre chords'])
      const first = await client.videos({ limit: 1 })
      assert.equal(first.videos.length, 1)
      const second = await client.videos({ limit: 1, cursor: first.next! })
      assert.notEqual(second.videos[0]?.id, first.videos[0]?.id)
      assert.equal(second.next, undefined)
      assert.equal((await client.video(ids.lesson!)).price?.amount, 10n ** 15n)
      await assert.rejects(client.video(ids.private!), { code: 'ERR_VIDEO_NOT_LISTED' })
      for (const bad of [{ q: 'x'.repeat(201) }, { q: 'a1 b2 c3 d4 e5 f6 g7 h8 i9' }, { category: 'weapons' }, { limit: 51 }, { cursor: 'bogus' }, { rating: 9 }]) {
        await assert.rejects(client.videos(bad), { code: 'ERR_VIDEO_QUERY' }, JSON.stringify(bad))
      }
      const channel = await client.channel(creatorKey.address.toLowerCase())
      assert.equal(channel.profile?.name, 'Lisbon <b>Lens</b>')
      assert.deepEqual(channel.videos.map(v => v.id).sort(), [ids.sunset, ids.lesson].sort())
      assert.ok(channel.videos.every(v => v.creatorName === 'Lisbon <b>Lens</b>'))
      assert.deepEqual((await client.channels('lisbon')).map(c => c.address), [creatorKey.address])
      await assert.rejects(client.channel(stranger.address), { code: 'ERR_CHANNEL_NOT_FOUND' })
      await assert.rejects(client.channel('0x1234'), { code: 'ERR_VIDEO_QUERY' })
      // FTS5 syntax a viewer types is text, not operators.
      assert.deepEqual((await client.videos({ q: 'NEAR(title: "lisbon") OR *' })).videos, [])
    } finally {
      await app.close()
    }
  })
})

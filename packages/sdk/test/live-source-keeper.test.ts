// LiveSource in keeper mode (a stream registered on chain): its epoch keys come from a provider
// (the keepers, here a stand-in: a unit test), each checked against the fingerprint the creator
// signed into the announcement before any segment is opened. Blocks from a bare HTTP server on
// 127.0.0.1; the feed replaced by direct `add` calls.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid, generateContentKey, keyFingerprint } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { P2pdvError } from '@p2pdv/core/errors'
import { announcementToJson, formatLiveLink, sealSegment, signAnnouncement, streamIdOf, wrapEpochKey, type LiveAnnouncement } from '@p2pdv/core/live'
import { PeerSet } from '../src/peers.ts'
import { LiveSource, type LiveEpochKeyProvider } from '../src/live/live-source.ts'

const VIDEO = `0x${'ab'.repeat(32)}`
const blocks = new Map<string, Uint8Array>()
const noFeed = (async () => new Response(null, { status: 404 })) as typeof fetch

interface Stream { stream: string, keys: Uint8Array[], announcements: Array<Record<string, unknown>>, plain: Map<string, Uint8Array>, signer: Awaited<ReturnType<typeof ed25519Signer>> }

/** `epochs` epochs of 2 segments, one rendition, announced with `key.kind = 'keeper'`. */
async function keeperStream (epochs: number): Promise<Stream> {
  const signer = await ed25519Signer(generateContentKey())
  const stream = streamIdOf(signer.publicKey)
  const keys: Uint8Array[] = []
  const plain = new Map<string, Uint8Array>()
  const announcements: Array<Record<string, unknown>> = []
  const put = async (bytes: Uint8Array) => { const cid = await blockCid(bytes); blocks.set(cid.toString(), bytes); return cid }
  for (let epoch = 0; epoch < epochs; epoch++) {
    const key = generateContentKey()
    keys.push(key)
    const init = new TextEncoder().encode(`init ${epoch}`)
    plain.set(`r0/init-${epoch}.mp4`, init)
    const initSealed = await sealSegment(key, stream, 0, { kind: 'init', epoch }, init)
    const initCid = await put(initSealed)
    for (let seq = epoch * 2; seq < epoch * 2 + 2; seq++) {
      const bytes = new TextEncoder().encode(`segment ${seq}`)
      plain.set(`r0/${seq}.m4s`, bytes)
      const sealed = await sealSegment(key, stream, 0, { kind: 'media', seq }, bytes)
      const a = await signAnnouncement({
        v: 1, stream, rendition: 0, name: '360p', seq, epoch, duration: 1000, time: 1_700_000_000_000 + seq * 1000,
        cid: await put(sealed), size: sealed.byteLength, init: initCid, initSize: initSealed.byteLength,
        key: { kind: 'keeper', video: VIDEO, check: keyFingerprint(key) }
      }, signer.sign)
      announcements.push(announcementToJson(a))
    }
  }
  return { stream, keys, announcements, plain, signer }
}

/** A stand-in for the keepers: `answer(epoch)` decides each reply. */
function keepers (answer: (epoch: number) => Uint8Array | P2pdvError): LiveEpochKeyProvider & { observed: LiveAnnouncement[], asked: number[] } {
  const observed: LiveAnnouncement[] = []
  const asked: number[] = []
  return {
    observed,
    asked,
    observe: a => { observed.push(a) },
    keyFor: async epoch => {
      asked.push(epoch)
      const r = answer(epoch)
      if (r instanceof P2pdvError) throw r
      return r.slice()
    }
  }
}

const denied = () => new P2pdvError('ERR_ACCESS_DENIED', 'no access', { hint: 'buy' })

async function code (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) { return (err as P2pdvError).code }
  return 'resolved'
}

describe('LiveSource with keeper-gated epoch keys', () => {
  let server: Server
  let url: string
  before(async () => {
    server = createServer((req, res) => {
      const body = blocks.get(/^\/ipfs\/([a-z2-7]+)/.exec(req.url ?? '')?.[1] ?? '')
      if (body === undefined) { res.writeHead(404).end(); return }
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' }).end(Buffer.from(body))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  after(() => { server.close() })

  const open = (s: Stream, k: LiveEpochKeyProvider) => LiveSource.open({ keeper: { stream: s.stream, keys: k }, peers: new PeerSet([{ peerId: 'a', multiaddrs: [], http: url }]), fetch: noFeed })

  it('opens every segment across epochs with the keepers\' keys, each announcement shown to the provider', async () => {
    const s = await keeperStream(3)
    const k = keepers(e => s.keys[e]!)
    const source = open(s, k)
    try {
      for (const a of s.announcements) await source.add(a)
      for (const [path, bytes] of s.plain) {
        const read = await source.read(path)
        assert.deepEqual(read.kind === 'bytes' ? read.bytes : undefined, bytes, path)
      }
      assert.equal(k.observed.length, 6)
      assert.deepEqual([...new Set(k.asked)], [0, 1, 2], 'asked once per epoch, as its first announcement arrives')
      assert.equal(source.stats.epochs, 3)
      assert.equal(source.edgeError(), undefined)
    } finally {
      source.close()
    }
  })

  it('a viewer refused from epoch 2 on plays epochs 0 and 1, then stops with ERR_ACCESS_DENIED; nothing of epoch 2 is opened', async () => {
    const s = await keeperStream(3)
    const source = open(s, keepers(e => e >= 2 ? denied() : s.keys[e]!))
    try {
      for (const a of s.announcements) await source.add(a)
      for (const path of ['r0/init-0.mp4', 'r0/0.m4s', 'r0/1.m4s', 'r0/init-1.mp4', 'r0/2.m4s', 'r0/3.m4s']) assert.equal((await source.read(path)).kind, 'bytes', path)
      assert.equal(await code(source.read('r0/4.m4s')), 'ERR_ACCESS_DENIED')
      assert.equal(await code(source.read('r0/init-2.mp4')), 'ERR_ACCESS_DENIED')
      assert.equal(source.edgeError()?.code, 'ERR_ACCESS_DENIED')
    } finally {
      source.close()
    }
  })

  it('a released key that is not the announced one (forged shares, another epoch\'s key) is never used: ERR_LIVE_KEY', async () => {
    const s = await keeperStream(2)
    // Epoch 0 gets a random key, epoch 1 gets epoch 0's real key.
    const source = open(s, keepers(e => e === 0 ? generateContentKey() : s.keys[0]!))
    try {
      for (const a of s.announcements) await source.add(a)
      assert.equal(await code(source.read('r0/0.m4s')), 'ERR_LIVE_KEY')
      assert.equal(await code(source.read('r0/3.m4s')), 'ERR_LIVE_KEY')
      assert.equal(source.edgeError()?.code, 'ERR_LIVE_KEY')
      assert.equal(source.stats.epochs, 0)
    } finally {
      source.close()
    }
  })

  it('a key not handed over yet is asked again at the next announcement of its epoch', async () => {
    const s = await keeperStream(1)
    let calls = 0
    const source = open(s, keepers(() => ++calls === 1 ? new P2pdvError('ERR_LIVE_EPOCH_NOT_YET', 'not yet') : s.keys[0]!))
    try {
      await source.add(s.announcements[0])
      await new Promise(resolve => setImmediate(resolve))
      assert.equal(source.edgeError(), undefined, 'a passing refusal is not shown')
      await source.add(s.announcements[1])
      assert.equal((await source.read('r0/1.m4s')).kind, 'bytes')
      assert.equal(calls, 2)
    } finally {
      source.close()
    }
  })

  it('keepers answering badly (forged or foreign answers: too few good shares) are asked again, and the code is shown if the player runs dry', async () => {
    const s = await keeperStream(1)
    let calls = 0
    const source = open(s, keepers(() => ++calls <= 2 ? new P2pdvError('ERR_KEEPERS_UNAVAILABLE', '0 released', { details: { refusals: { ERR_BAD_RELEASE: 3 } } }) : s.keys[0]!))
    try {
      await source.add(s.announcements[0])
      assert.equal(await code(source.read('r0/0.m4s')), 'ERR_KEEPERS_UNAVAILABLE')
      assert.equal(source.edgeError()?.code, 'ERR_KEEPERS_UNAVAILABLE')
      await source.add(s.announcements[1])
      assert.equal((await source.read('r0/1.m4s')).kind, 'bytes')
      assert.equal(source.edgeError(), undefined, 'cleared by a good key')
    } finally {
      source.close()
    }
  })

  it('refuses link-mode announcements (and a link-mode source refuses keeper ones)', async () => {
    const s = await keeperStream(1)
    const source = open(s, keepers(e => s.keys[e]!))
    const linkSource = LiveSource.open({ link: formatLiveLink({ stream: s.stream, secret: generateContentKey() }), peers: new PeerSet([]), fetch: noFeed })
    try {
      const a = await signAnnouncement({
        v: 1, stream: s.stream, rendition: 0, name: '360p', seq: 9, epoch: 4, duration: 1000, time: 1_700_000_009_000,
        cid: await blockCid(new Uint8Array(1)), size: 1, init: await blockCid(new Uint8Array(2)), initSize: 1,
        key: await wrapEpochKey({ stream: s.stream, secret: generateContentKey() }, 4, generateContentKey())
      }, s.signer.sign)
      await source.add(announcementToJson(a))
      assert.equal(source.stats.refusedAnnouncements, 1)
      await linkSource.add(s.announcements[0])
      assert.equal(linkSource.stats.refusedAnnouncements, 1)
    } finally {
      source.close()
      linkSource.close()
    }
  })

  it('refuses to open without a link or keepers (coded)', () => {
    assert.throws(() => LiveSource.open({ peers: new PeerSet([]), fetch: noFeed }), (err: P2pdvError) => err.code === 'ERR_BAD_LIVE_LINK')
  })
})

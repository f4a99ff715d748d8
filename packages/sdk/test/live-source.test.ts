// LiveSource (the viewer's side of a live stream): announcements built and signed here as the
// publisher does, blocks served by a bare HTTP server on 127.0.0.1 (one honest, one that flips a
// bit in every block), the feed replaced by direct `add` calls.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid, generateContentKey, type CID } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { announcementToJson, formatLiveLink, sealSegment, signAnnouncement, streamIdOf, wrapEpochKey, type LiveLink } from '@p2pdv/core/live'
import { P2pdvError } from '@p2pdv/core/errors'
import { PeerSet } from '../src/peers.ts'
import { LiveSource, mediaPlaylist } from '../src/live/live-source.ts'

const blocks = new Map<string, Uint8Array>()

function serve (tamper: boolean): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    const cid = /^\/ipfs\/([a-z2-7]+)/.exec(req.url ?? '')?.[1]
    const body = cid === undefined ? undefined : blocks.get(cid)
    if (body === undefined) { res.writeHead(404).end(); return }
    const out = Buffer.from(body)
    if (tamper) out[out.length >> 1]! ^= 1
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' }).end(out)
  })
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number }
    resolve({ server, url: `http://127.0.0.1:${a.port}` })
  }))
}

/** A stream of `count` segments per rendition, rotating the epoch every `perEpoch` segments; `ended`: the creator's signed end on each rendition's final segment. */
async function makeStream (count: number, perEpoch: number, ended = false): Promise<{ link: LiveLink, announcements: Array<Record<string, unknown>>, plain: Map<string, Uint8Array> }> {
  const signer = await ed25519Signer(generateContentKey())
  const link: LiveLink = { stream: streamIdOf(signer.publicKey), secret: generateContentKey() }
  const plain = new Map<string, Uint8Array>()
  const announcements: Array<Record<string, unknown>> = []
  const put = async (bytes: Uint8Array): Promise<CID> => { const cid = await blockCid(bytes); blocks.set(cid.toString(), bytes); return cid }
  for (let epoch = 0; epoch * perEpoch < count; epoch++) {
    const key = generateContentKey()
    const wrapped = await wrapEpochKey(link, epoch, key)
    for (const rendition of [0, 1]) {
      const init = new TextEncoder().encode(`init r${rendition}`)
      plain.set(`r${rendition}/init-${epoch}.mp4`, init)
      const initSealed = await sealSegment(key, link.stream, rendition, { kind: 'init', epoch }, init)
      const initCid = await put(initSealed)
      for (let seq = epoch * perEpoch; seq < Math.min(count, (epoch + 1) * perEpoch); seq++) {
        const bytes = new TextEncoder().encode(`segment ${seq} of r${rendition}`)
        plain.set(`r${rendition}/${seq}.m4s`, bytes)
        const sealed = await sealSegment(key, link.stream, rendition, { kind: 'media', seq }, bytes)
        const a = await signAnnouncement({
          v: 1, stream: link.stream, rendition, name: rendition === 0 ? '480p' : '360p', seq, epoch, duration: 1000, time: 1_700_000_000_000 + seq * 1000,
          cid: await put(sealed), size: sealed.byteLength, init: initCid, initSize: initSealed.byteLength, key: wrapped,
          ...(ended && seq === count - 1 ? { last: true as const } : {})
        }, signer.sign)
        announcements.push(announcementToJson(a))
      }
    }
  }
  return { link, announcements, plain }
}

const noFeed = (async () => new Response(null, { status: 404 })) as typeof fetch

describe('LiveSource', () => {
  let honest: { server: Server, url: string }
  let liar: { server: Server, url: string }
  before(async () => { honest = await serve(false); liar = await serve(true) })
  after(() => { honest.server.close(); liar.server.close() })

  it('renders live playlists from verified announcements and opens every segment across epochs', async () => {
    const { link, announcements, plain } = await makeStream(6, 2)
    const source = LiveSource.open({ link: formatLiveLink(link), peers: new PeerSet([{ peerId: 'a', multiaddrs: [], http: honest.url }]), fetch: noFeed })
    try {
      for (const a of announcements) await source.add(a)
      const master = await source.read('master.m3u8')
      assert.equal(master.kind, 'text')
      assert.match(master.kind === 'text' ? master.body : '', /RESOLUTION=854x480[^\n]*\nr0\/index\.m3u8\n[^\n]*RESOLUTION=640x360[^\n]*\nr1\/index\.m3u8/)
      const playlist = await source.read('r1/index.m3u8')
      const body = playlist.kind === 'text' ? playlist.body : ''
      assert.doesNotMatch(body, /ENDLIST/, 'a live playlist')
      assert.equal(body.match(/EXT-X-MAP/g)?.length, 3, 'one init segment per epoch')
      assert.match(body, /#EXT-X-MEDIA-SEQUENCE:0\n/)
      for (const [path, bytes] of plain) {
        const read = await source.read(path)
        assert.deepEqual(read.kind === 'bytes' ? read.bytes : undefined, bytes, path)
      }
      assert.equal(source.stats.epochs, 3)
      assert.equal(source.edgeError(), undefined)
    } finally {
      source.close()
    }
  })

  it('refuses forged, altered and foreign announcements, and ignores replays', async () => {
    const { link, announcements } = await makeStream(2, 2)
    const other = await makeStream(1, 1)
    const source = LiveSource.open({ link, peers: new PeerSet([]), fetch: noFeed })
    try {
      await source.add(announcements[0])
      await source.add(announcements[0]) // a reconnect replays the window
      await source.add({ ...announcements[1], seq: 7 }) // altered after signing
      await source.add(other.announcements[0]) // another stream's (validly signed)
      await source.add({ v: 1, junk: 'x'.repeat(10_000) })
      await source.add('not an object')
      assert.equal(source.stats.announcements, 1)
      assert.equal(source.stats.refusedAnnouncements, 4)
    } finally {
      source.close()
    }
  })

  it('drops copies that fail their CID and reads a good one from another node', async () => {
    const { link, announcements, plain } = await makeStream(1, 1)
    const source = LiveSource.open({ link, peers: new PeerSet([{ peerId: 'liar', multiaddrs: [], http: liar.url }, { peerId: 'honest', multiaddrs: [], http: honest.url }]), fetch: noFeed })
    try {
      for (const a of announcements) await source.add(a)
      const read = await source.read('r0/0.m4s')
      assert.deepEqual(read.kind === 'bytes' ? read.bytes : undefined, plain.get('r0/0.m4s'))
      assert.ok(source.stats.rejectedBlocks >= 1)
    } finally {
      source.close()
    }
  })

  it('with a wrong link: ERR_LIVE_KEY, never a segment', async () => {
    const { link, announcements } = await makeStream(1, 1)
    const source = LiveSource.open({ link: { stream: link.stream, secret: generateContentKey() }, peers: new PeerSet([{ peerId: 'a', multiaddrs: [], http: honest.url }]), fetch: noFeed })
    try {
      for (const a of announcements) await source.add(a)
      await assert.rejects(source.read('r0/0.m4s'), (e: P2pdvError) => e.code === 'ERR_LIVE_KEY')
      assert.equal(source.edgeError()?.code, 'ERR_LIVE_KEY')
    } finally {
      source.close()
    }
  })

  it('reports ERR_LIVE_NOT_FOUND when no node has the stream, and ERR_LIVE_ENDED once segments stop', async () => {
    const { link, announcements } = await makeStream(1, 1)
    let now = 1_000_000
    const source = LiveSource.open({ link, peers: new PeerSet([{ peerId: 'a', multiaddrs: [], http: honest.url }]), fetch: noFeed, now: () => now })
    try {
      for (let i = 0; i < 50 && source.edgeError() === undefined; i++) await new Promise(resolve => setTimeout(resolve, 50))
      assert.equal(source.edgeError()?.code, 'ERR_LIVE_NOT_FOUND')
      await source.add(announcements[0])
      assert.equal(source.edgeError(), undefined)
      now += 60_000
      assert.equal(source.edgeError()?.code, 'ERR_LIVE_ENDED')
      await assert.rejects(source.read('r3/index.m3u8'), (e: P2pdvError) => e.code === 'ERR_VIDEO_PATH')
      await assert.rejects(source.read('../../etc/passwd'), (e: P2pdvError) => e.code === 'ERR_VIDEO_PATH')
    } finally {
      source.close()
    }
  })

  it("ends at once when the creator's signed end reaches every rendition, not after a silence", async () => {
    const { link, announcements } = await makeStream(3, 2, true)
    const now = 1_000_000
    const source = LiveSource.open({ link, peers: new PeerSet([{ peerId: 'a', multiaddrs: [], http: honest.url }]), fetch: noFeed, now: () => now })
    try {
      // Rendition 0 ended, rendition 1 still has its final segment to come: not over yet.
      const isFinalOfR1 = (a: Record<string, unknown>): boolean => a.rendition === 1 && a.seq === 2
      for (const a of announcements.filter(a => !isFinalOfR1(a))) await source.add(a)
      assert.equal(source.endAnnounced(), false)
      assert.equal(source.edgeError(), undefined)
      await source.add(announcements.find(isFinalOfR1))
      assert.equal(source.endAnnounced(), true)
      const err = source.edgeError()
      assert.equal(err?.code, 'ERR_LIVE_ENDED')
      assert.match(err?.message ?? '', /creator ended/)
      // The ended stream's segments are still there to play out.
      assert.equal((await source.read('r1/2.m4s')).kind, 'bytes')
    } finally {
      source.close()
    }
  })

  it('lists only the newest run of consecutive segments (HLS cannot list a gap)', async () => {
    const { announcements } = await makeStream(1, 1)
    const { announcementFromJson } = await import('@p2pdv/core/live')
    const a = announcementFromJson(announcements[0])
    const text = mediaPlaylist({ segments: [0, 1, 4, 5, 6].map(seq => ({ ...a, seq })) })
    assert.match(text, /#EXT-X-MEDIA-SEQUENCE:4\n/)
    assert.deepEqual(text.match(/^\d+\.m4s$/gm), ['4.m4s', '5.m4s', '6.m4s'])
  })
})

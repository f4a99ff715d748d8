import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, decodeManifest, encodeManifest, generateContentKey, generateObjectId, ManifestErrorCode, openManifest, sealManifest, type VideoManifest } from '@p2pdv/core'
import { renderMasterPlaylist, renderMediaPlaylist, resolveVideoPath } from '@p2pdv/core/playlists'

async function sample (): Promise<VideoManifest> {
  const cid = await blockCid(new Uint8Array([1]))
  const ref = (n: number) => ({ n, size: 10, chunks: [{ cid, size: 10 }] })
  return {
    v: 1, type: 'video', objectId: generateObjectId(), durationSeconds: 6, segmentSeconds: 4, sourceSha256: new Uint8Array(32),
    renditions: [
      { id: '360p', kind: 'video', width: 640, height: 360, frameRate: 30, bandwidth: 1_000_000, codecs: 'avc1.64001e,mp4a.40.2', init: ref(0), segments: [{ duration: 4, stream: ref(1) }, { duration: 2, stream: ref(2) }] },
      { id: 'audio', kind: 'audio', bandwidth: 140_000, codecs: 'mp4a.40.2', init: ref(3), segments: [{ duration: 4, stream: ref(4) }, { duration: 2, stream: ref(5) }] }
    ],
    poster: ref(6),
    title: 'Test card'
  }
}

describe('video manifest', () => {
  it('round-trips sealed', async () => {
    const key = generateContentKey()
    const m = await sample()
    const { cid, block } = await sealManifest(key, m)
    assert.deepEqual(await openManifest(key, cid, block), m)
  })

  it('refuses reused streams, bad ids, and inconsistent sizes', async () => {
    const { decode, encode } = await import('@ipld/dag-cbor')
    const raw = decode(encodeManifest(await sample())) as any
    const reused = structuredClone(raw); reused.poster.n = 1
    assert.throws(() => decodeManifest(encode(reused)), { code: ManifestErrorCode.MALFORMED })
    const badId = structuredClone(raw); badId.renditions[0].id = '../etc'
    assert.throws(() => decodeManifest(encode(badId)), { code: ManifestErrorCode.MALFORMED })
    const badSize = structuredClone(raw); badSize.poster.size = 11
    assert.throws(() => decodeManifest(encode(badSize)), { code: ManifestErrorCode.MALFORMED })
    const noSegments = structuredClone(raw); noSegments.renditions[1].segments = []
    assert.throws(() => decodeManifest(encode(noSegments)), { code: ManifestErrorCode.MALFORMED })
  })

  it('renders HLS playlists with the required tags', async () => {
    const m = await sample()
    const master = renderMasterPlaylist(m)
    assert.match(master, /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n/)
    assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=640x360,FRAME-RATE=30\.000\n360p\/index\.m3u8/)
    assert.ok(master.indexOf('360p/') < master.indexOf('audio/'), 'video variants first')
    const media = renderMediaPlaylist(m.renditions[0]!)
    assert.match(media, /#EXT-X-TARGETDURATION:4\n/)
    assert.match(media, /#EXT-X-MAP:URI="init\.mp4"\n#EXTINF:4\.000000,\n0\.m4s\n#EXTINF:2\.000000,\n1\.m4s\n#EXT-X-ENDLIST\n$/)
  })

  it('maps every path of the video layout to a playlist or to the stream and context it was sealed under', async () => {
    const m = await sample()
    const dec = new TextDecoder()
    const master = resolveVideoPath(m, 'master.m3u8')
    assert.equal(master?.kind, 'text')
    assert.match(master.kind === 'text' ? master.body : '', /360p\/index\.m3u8/)
    const seg = resolveVideoPath(m, '360p/1.m4s')
    assert.ok(seg?.kind === 'stream')
    assert.equal(seg.stream.n, 2)
    assert.equal(dec.decode(seg.context), '360p/1')
    const init = resolveVideoPath(m, 'audio/init.mp4')
    assert.ok(init?.kind === 'stream' && init.type === 'audio/mp4' && dec.decode(init.context) === 'audio/init')
    const poster = resolveVideoPath(m, 'poster.jpg')
    assert.ok(poster?.kind === 'stream' && poster.stream.n === 6)
    for (const bad of ['360p/2.m4s', '720p/0.m4s', '../master.m3u8', '360p/-1.m4s', '360p/1.m4s?x', 'x'.repeat(200), '']) {
      assert.equal(resolveVideoPath(m, bad), undefined, bad)
    }
  })
})

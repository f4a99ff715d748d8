/**
 * Live archive manifests (live-archive.ts): a well-formed archive round-trips and each of its
 * segments opens with its epoch's key at its live position; malformed ones are refused with
 * ERR_MANIFEST_MALFORMED; a manifest naming another segment's block is ERR_CHUNK_AUTH.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ARCHIVE_POSTER_STREAM, blockCid, decodeManifest, encodeManifest, generateContentKey, openChunk, streamOpeningKey, videoStreams, withoutLiveArchive,
  type VideoManifest
} from '../src/index.ts'
import { sealSegment, segmentPosition } from '../src/live.ts'

const STREAM = 'ab'.repeat(32)
const streamBytes = Uint8Array.from(STREAM.match(/../g)!, h => parseInt(h, 16))

async function archive () {
  const keys = [generateContentKey(), generateContentKey()]
  const plain = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])]
  const init = await sealSegment(keys[0]!, STREAM, 1, { kind: 'init', epoch: 0 }, new Uint8Array([9]))
  const segs = await Promise.all(plain.map(async (p, seq) => await sealSegment(keys[seq]!, STREAM, 1, { kind: 'media', seq }, p)))
  const ref = async (n: number, size: number, bytes: Uint8Array) => ({ n, size, chunks: [{ cid: await blockCid(bytes), size }] })
  const manifest: VideoManifest = {
    v: 1,
    type: 'video',
    objectId: streamBytes.slice(0, 16),
    durationSeconds: 2,
    segmentSeconds: 1,
    sourceSha256: new Uint8Array(32),
    renditions: [{
      id: '360p', kind: 'video', bandwidth: 1000, codecs: 'avc1.64001f',
      init: await ref(segmentPosition(keys[0]!, STREAM, 1, { kind: 'init', epoch: 0 }).stream, 1, init),
      segments: await Promise.all(segs.map(async (b, seq) => ({ duration: 1, epoch: seq, stream: await ref(segmentPosition(keys[seq]!, STREAM, 1, { kind: 'media', seq }).stream, plain[seq]!.byteLength, b) })))
    }],
    poster: { n: ARCHIVE_POSTER_STREAM, size: 1, chunks: [{ cid: await blockCid(new Uint8Array([0])), size: 1 }] },
    live: { stream: streamBytes, epochs: keys.map((key, epoch) => ({ epoch, key })) }
  }
  return { manifest, segs, plain, videoKey: generateContentKey() }
}

describe('live archive manifests', () => {
  it('round-trip, and each segment opens with its epoch key at its live position', async () => {
    const { manifest, segs, plain, videoKey } = await archive()
    const back = decodeManifest(encodeManifest(manifest)) as VideoManifest
    const media = videoStreams(back).filter(s => s.path.endsWith('.m4s'))
    for (const [i, s] of media.entries()) {
      const opened = await openChunk({ key: streamOpeningKey(back, videoKey, s.epoch), objectId: back.objectId, stream: s.stream.n, index: 0, last: true, context: s.context }, segs[i]!)
      assert.deepEqual(opened, plain[i])
    }
    // Segment 0's entry naming segment 1's block: refused when it opens.
    const s0 = media[0]!
    await assert.rejects(openChunk({ key: streamOpeningKey(back, videoKey, s0.epoch), objectId: back.objectId, stream: s0.stream.n, index: 0, last: true, context: s0.context }, segs[1]!), (e: any) => e.code === 'ERR_CHUNK_AUTH')
    // Turned into an ordinary video (a re-key): no live field, no epochs, ordinary contexts.
    const plainVideo = withoutLiveArchive(back)
    assert.equal(plainVideo.live, undefined)
    assert.equal(videoStreams(plainVideo).some(s => s.epoch !== undefined), false)
  })

  it('refuses malformed archives with ERR_MANIFEST_MALFORMED', async () => {
    const { manifest } = await archive()
    const r0 = manifest.renditions[0]!
    const bad: Array<[string, unknown]> = [
      ['objectId not the stream\'s', { ...manifest, objectId: new Uint8Array(16) }],
      ['epochs not rising', { ...manifest, live: { ...manifest.live!, epochs: [...manifest.live!.epochs].reverse() } }],
      ['short epoch key', { ...manifest, live: { ...manifest.live!, epochs: [{ epoch: 0, key: new Uint8Array(31) }, manifest.live!.epochs[1]] } }],
      ['segment of an epoch without key', { ...manifest, live: { ...manifest.live!, epochs: [manifest.live!.epochs[0]] } }],
      ['segment without epoch', { ...manifest, renditions: [{ ...r0, segments: [{ duration: 1, stream: r0.segments[0]!.stream }] }] }],
      ['init at a media position', { ...manifest, renditions: [{ ...r0, init: { ...r0.init, n: r0.init.n + 1 } }] }],
      ['segments of two live renditions', { ...manifest, renditions: [{ ...r0, segments: [r0.segments[0], { ...r0.segments[1]!, stream: { ...r0.segments[1]!.stream, n: r0.segments[1]!.stream.n + 2 } }] }] }],
      ['epoch outside an archive', { ...manifest, live: undefined }],
      ['live not a map', { ...manifest, live: [1, 2] }]
    ]
    for (const [what, m] of bad) {
      const { live, ...rest } = m as VideoManifest
      const value = live === undefined ? rest : m
      assert.throws(() => encodeManifest(value as VideoManifest), (e: any) => e.code === 'ERR_MANIFEST_MALFORMED', what)
    }
  })
})

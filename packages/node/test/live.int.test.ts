/**
 * Live announcements on a real node: accepted and served (JSON window and SSE) when signed by the
 * stream key with the blocks stored; forged, replayed, mismatched and flooded ones refused with
 * their codes while the node keeps serving.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateContentKey } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { announcementToJson, type LiveAnnouncement } from '@p2pdv/core/live'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'
import { testGrant } from './fixtures/grants.ts'
import { announcement, sealedSegments, testStream, type SealedSegment, type TestStream } from './fixtures/live.ts'

let node: SpawnedNode
let grant: string
let s: TestStream

async function put (b: SealedSegment): Promise<void> {
  const res = await fetch(`${node.info.http}/ipfs/${b.cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization: grant }, body: b.bytes as Uint8Array<ArrayBuffer> })
  assert.equal(res.status, 201, await res.text())
}

async function announce (a: LiveAnnouncement | unknown, stream = s.link.stream): Promise<{ status: number, body: { code?: string, seq?: number }, retryAfter: string | null }> {
  const body = JSON.stringify(typeof a === 'object' && a !== null && 'sig' in a && (a as LiveAnnouncement).sig instanceof Uint8Array ? announcementToJson(a as LiveAnnouncement) : a)
  const res = await fetch(`${node.info.http}/api/v1/live/${stream}/announcements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, body: await res.json() as { code?: string }, retryAfter: res.headers.get('retry-after') }
}

async function stored (seq: number) {
  const blocks = await sealedSegments(s, seq)
  await put(blocks.seg)
  await put(blocks.init)
  return blocks
}

describe('live announcements on a node', () => {
  before(async () => {
    node = await spawnNode()
    grant = (await testGrant(node.info.peerId)).authorization
    s = await testStream()
  })
  after(async () => { await node?.stop() })

  it('accepts a signed announcement of stored blocks and serves it as a window and as events', async () => {
    const first = await announce(await announcement(s, 0, await stored(0)))
    assert.equal(first.status, 201)
    const res = await fetch(`${node.info.http}/api/v1/live/${s.link.stream}`)
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    const window = await res.json() as { segments: Array<{ seq: number, sig: string }> }
    assert.deepEqual(window.segments.map(a => a.seq), [0])

    const ac = new AbortController()
    const events = await fetch(`${node.info.http}/api/v1/live/${s.link.stream}/events`, { signal: ac.signal })
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader()
    const seqs: number[] = []
    let text = ''
    const next = async (): Promise<void> => {
      while (true) {
        const end = text.indexOf('\n\n')
        if (end >= 0) {
          const ev = text.slice(0, end); text = text.slice(end + 2)
          const data = ev.split('\n').find(l => l.startsWith('data: '))
          if (data !== undefined) { seqs.push((JSON.parse(data.slice(6)) as { seq: number }).seq); return }
          continue
        }
        const { value, done } = await reader.read()
        if (done) throw new Error('event stream ended')
        text += value
      }
    }
    await next()
    assert.equal((await announce(await announcement(s, 1, await stored(1)))).status, 201)
    await next()
    assert.deepEqual(seqs, [0, 1])
    ac.abort()
  })

  it('refuses a forged, an altered, a replayed and an older announcement', async () => {
    const blocks = await stored(2)
    const forger = await ed25519Signer(generateContentKey())
    const forged = await announce(await announcement(s, 2, blocks, { sign: forger.sign }))
    assert.deepEqual([forged.status, forged.body.code], [403, 'ERR_LIVE_SIGNATURE'])
    const good = await announcement(s, 2, blocks)
    const altered = await announce({ ...announcementToJson(good), seq: 3 })
    assert.deepEqual([altered.status, altered.body.code], [403, 'ERR_LIVE_SIGNATURE'])
    assert.equal((await announce(good)).status, 201)
    const replayed = await announce(good)
    assert.deepEqual([replayed.status, replayed.body.code], [409, 'ERR_LIVE_REPLAY'])
    const older = await announce(await announcement(s, 1, await stored(1)))
    assert.deepEqual([older.status, older.body.code], [409, 'ERR_LIVE_REPLAY'])
  })

  it('refuses an announcement whose CID is not stored here or whose size does not match', async () => {
    const blocks = await sealedSegments(s, 10) // sealed, never stored
    const missing = await announce(await announcement(s, 10, blocks))
    assert.deepEqual([missing.status, missing.body.code], [422, 'ERR_LIVE_BLOCK_MISSING'])
    const onNode = await stored(11)
    const wrongSize = await announce(await announcement(s, 11, onNode, { size: onNode.seg.bytes.byteLength + 1 }))
    assert.deepEqual([wrongSize.status, wrongSize.body.code], [422, 'ERR_LIVE_BLOCK_MISSING'])
  })

  it('refuses malformed and oversized bodies and bad stream ids', async () => {
    const bad = await announce({ v: 1, stream: s.link.stream })
    assert.deepEqual([bad.status, bad.body.code], [400, 'ERR_LIVE_MALFORMED'])
    const huge = await announce({ v: 1, pad: 'x'.repeat(10_000) })
    assert.deepEqual([huge.status, huge.body.code], [413, 'ERR_BODY_TOO_LARGE'])
    const badId = await announce({}, 'not-a-stream')
    assert.deepEqual([badId.status, badId.body.code], [400, 'ERR_BAD_REQUEST'])
    const unknown = await fetch(`${node.info.http}/api/v1/live/${(await testStream()).link.stream}/events`)
    assert.deepEqual([unknown.status, (await unknown.json() as { code: string }).code], [404, 'ERR_LIVE_NOT_FOUND'])
  })

  it('a flood of announcements is cut with ERR_LIVE_RATE and the node keeps serving', async () => {
    const forger = await ed25519Signer(generateContentKey())
    const forged = announcementToJson(await announcement(s, 50, await sealedSegments(s, 50), { sign: forger.sign }))
    const results = await Promise.all(Array.from({ length: 600 }, async () => await announce(forged)))
    const limited = results.filter(r => r.body.code === 'ERR_LIVE_RATE')
    assert.ok(limited.length > 0, 'some were rate limited')
    assert.ok(limited.every(r => r.status === 429 && Number(r.retryAfter) >= 1))
    assert.ok(results.every(r => r.body.code === 'ERR_LIVE_RATE' || r.body.code === 'ERR_LIVE_SIGNATURE'))
    const window = await fetch(`${node.info.http}/api/v1/live/${s.link.stream}`)
    assert.equal(window.status, 200)
    assert.equal((await fetch(`${node.info.http}/healthz`)).status, 200)
  })
})

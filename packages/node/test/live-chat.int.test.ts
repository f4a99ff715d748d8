/**
 * Live chat through a real node, with the sdk's LiveChat on both ends: two viewers with the epoch
 * key exchange messages; a poster without it is relayed but shown by nobody, and the node holds
 * ciphertext only; the creator's moderation list mutes an identity on every client; oversized,
 * forged, replayed and flooded posts get their codes over HTTP while the node keeps serving.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateContentKey } from '@p2pdv/core'
import { announcementToJson } from '@p2pdv/core/live'
import { chatMessageToJson, sealChatMessage, type ChatSigner } from '@p2pdv/core/live-chat'
import { chatIdentity, LiveChat, publishModeration, type ChatEntry } from '@p2pdv/sdk/live'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'
import { testGrant } from './fixtures/grants.ts'
import { announcement, sealedSegments, testStream, type TestStream } from './fixtures/live.ts'

let node: SpawnedNode
let s: TestStream
const stop = new AbortController()

/** A viewer's chat; `key` is the epoch key it holds (a wrong one for an outsider). */
function viewer (identity: ChatSigner, key: Uint8Array) {
  const changes: Array<() => void> = []
  let shown: ChatEntry[] = []
  const chat = new LiveChat({
    stream: s.link.stream, nodes: () => [node.info.http], epochKey: async () => key, currentEpoch: () => 0, identity, signal: stop.signal,
    onChange: e => { shown = e; for (const c of changes.splice(0)) c() },
    onDropped: () => { for (const c of changes.splice(0)) c() }
  })
  void chat.run()
  /** Resolves once what is shown passes `test` (each change re-checks; the test's own timeout bounds it). */
  const until = async (test: (e: ChatEntry[]) => boolean): Promise<ChatEntry[]> => {
    while (!test(shown)) await new Promise<void>(resolve => changes.push(resolve))
    return shown
  }
  return { chat, until }
}

async function post (json: unknown, stream = s.link.stream): Promise<{ status: number, code: string | undefined, retryAfter: string | null }> {
  const res = await fetch(`${node.info.http}/api/v1/live/${stream}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof json === 'string' ? json : JSON.stringify(json) })
  return { status: res.status, code: (await res.json() as { code?: string }).code, retryAfter: res.headers.get('retry-after') }
}

describe('live chat through a node', { timeout: 60_000 }, () => {
  before(async () => {
    node = await spawnNode()
    const grant = (await testGrant(node.info.peerId)).authorization
    s = await testStream()
    const blocks = await sealedSegments(s, 0)
    for (const b of [blocks.seg, blocks.init]) {
      const res = await fetch(`${node.info.http}/ipfs/${b.cid.toString()}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipld.raw', authorization: grant }, body: b.bytes as Uint8Array<ArrayBuffer> })
      assert.equal(res.status, 201)
    }
    const res = await fetch(`${node.info.http}/api/v1/live/${s.link.stream}/announcements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(announcementToJson(await announcement(s, 0, blocks))) })
    assert.equal(res.status, 201)
  })
  after(async () => { stop.abort(); await node?.stop() })

  it('two viewers exchange messages; an outsider can neither read nor post; a muted identity disappears everywhere', async () => {
    const alice = viewer(await chatIdentity(), s.epochKey)
    const bob = viewer(await chatIdentity(), s.epochKey)
    const outsider = viewer(await chatIdentity(), generateContentKey())
    await alice.chat.send('hello from alice')
    await bob.chat.send('hi alice')
    const seenByAlice = await alice.until(e => e.length === 2)
    assert.deepEqual(seenByAlice.map(e => [e.text, e.own]), [['hello from alice', true], ['hi alice', false]])
    await bob.until(e => e.length === 2)

    // The outsider reads nothing (every box fails to open) and its own post is dropped by the others.
    await outsider.chat.send('spam without the key')
    await alice.until(() => alice.chat.stats.dropped === 1)
    assert.deepEqual((await bob.until(() => bob.chat.stats.dropped === 1)).map(e => e.text), ['hello from alice', 'hi alice'])
    await outsider.until(() => outsider.chat.stats.dropped === 2)
    assert.deepEqual(outsider.chat.entries().map(e => e.text), ['spam without the key'])
    // The node holds ciphertext only.
    const raw = await (await fetch(`${node.info.http}/api/v1/live/${s.link.stream}/chat`)).text()
    assert.equal(raw.includes('alice'), false)
    assert.equal(JSON.parse(raw).messages.length, 3)

    // The creator mutes bob: his messages disappear from every client, and the node refuses new ones.
    await publishModeration({ stream: s.link.stream, streamSigner: s.signer, nodes: [node.info.http], change: { mute: [bob.chat.self] } })
    assert.deepEqual((await alice.until(e => e.length === 1)).map(e => e.text), ['hello from alice'])
    await bob.until(e => e.length === 1)
    await assert.rejects(bob.chat.send('again'), (err: { code?: string }) => err.code === 'ERR_LIVE_CHAT_MUTED')
    const late = viewer(await chatIdentity(), s.epochKey)
    assert.deepEqual((await late.until(e => e.length === 1)).map(e => e.text), ['hello from alice'])
  })

  it('refuses oversized, forged, replayed and unknown-stream posts, and floods, with their codes', async () => {
    const carol = await chatIdentity()
    const m = chatMessageToJson(await sealChatMessage({ stream: s.link.stream, epoch: 0, epochKey: s.epochKey, text: 'x', time: Date.now(), signer: carol }))
    assert.deepEqual(await post({ ...m, box: 'A'.repeat(3000) }), { status: 413, code: 'ERR_LIVE_CHAT_TOO_LARGE', retryAfter: null })
    assert.equal((await post(JSON.stringify({ ...m, box: 'A'.repeat(10_000) }))).code, 'ERR_BODY_TOO_LARGE')
    assert.equal((await post({ ...m, time: (m.time as number) + 1 })).code, 'ERR_LIVE_CHAT_SIGNATURE')
    assert.equal((await post({ ...m, epoch: 1 })).code, 'ERR_LIVE_CHAT_EPOCH')
    const other = await testStream()
    assert.equal((await post({ ...m, stream: other.link.stream }, other.link.stream)).code, 'ERR_LIVE_NOT_FOUND')
    assert.equal((await post(m)).status, 201)
    assert.equal((await post(m)).code, 'ERR_LIVE_CHAT_REPLAY')
    // A flood from one address is cut by its budget (20 requests, then 5 a second), with Retry-After.
    const flood = await Promise.all(Array.from({ length: 30 }, async () => await post({ junk: true })))
    const limited = flood.filter(r => r.code === 'ERR_LIVE_CHAT_RATE')
    assert.ok(limited.length > 0)
    assert.ok(limited.every(r => r.status === 429 && r.retryAfter !== null))
    assert.ok(flood.every(r => r.code === 'ERR_LIVE_CHAT_RATE' || r.code === 'ERR_LIVE_CHAT_MALFORMED'))
    assert.equal((await fetch(`${node.info.http}/api/v1/live/${s.link.stream}`)).status, 200)
  })
})

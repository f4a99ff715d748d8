import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateContentKey } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { announcementToJson } from '@p2pdv/core/live'
import { LiveHub, type LiveHubOptions } from '../src/live/live-hub.ts'
import { announcement, sealedSegments, testStream } from './fixtures/live.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

/** A hub whose blockstore holds every block with the size asked, on a clock the test moves. */
function hub (o: Partial<LiveHubOptions> = {}) {
  const clock = { t: 1_000_000 }
  const stored = new Map<string, number>()
  const h = new LiveHub({ sizeOf: async cid => stored.get(cid.toString()), now: () => clock.t, ...o })
  return { h, clock, stored }
}

async function post (env: ReturnType<typeof hub>, s: Awaited<ReturnType<typeof testStream>>, seq: number, source = 'ip:a') {
  const blocks = await sealedSegments(s, seq)
  env.stored.set(blocks.seg.cid.toString(), blocks.seg.bytes.byteLength)
  env.stored.set(blocks.init.cid.toString(), blocks.init.bytes.byteLength)
  return await env.h.announce(s.link.stream, announcementToJson(await announcement(s, seq, blocks)), source)
}

describe('LiveHub', () => {
  it('keeps a bounded window per stream and tells watchers', async () => {
    const env = hub({ window: 3 })
    const s = await testStream()
    const seen: number[] = []
    await post(env, s, 0)
    env.h.watch(s.link.stream, { push: a => seen.push(a.seq), end: () => {} })
    for (let seq = 1; seq < 6; seq++) await post(env, s, seq)
    assert.deepEqual(env.h.window(s.link.stream).map(a => a.seq), [3, 4, 5])
    assert.deepEqual(seen, [1, 2, 3, 4, 5])
  })

  it('holds at most maxWatchers per stream: the next gets ERR_BUSY until one leaves; an unknown stream is refused', async () => {
    const env = hub({ maxWatchers: 2 })
    const s = await testStream()
    await post(env, s, 0)
    const w = () => ({ push: () => {}, end: () => {} })
    const leave = env.h.watch(s.link.stream, w())
    env.h.watch(s.link.stream, w())
    assert.throws(() => env.h.watch(s.link.stream, w()), code('ERR_BUSY'))
    leave()
    env.h.watch(s.link.stream, w())
    assert.throws(() => env.h.watch('not-a-stream', w()))
  })

  it('refuses a replay, an older sequence, and the second of two concurrent announcements of one sequence', async () => {
    const env = hub()
    const s = await testStream()
    await post(env, s, 5)
    await assert.rejects(post(env, s, 5), code('ERR_LIVE_REPLAY'))
    await assert.rejects(post(env, s, 4), code('ERR_LIVE_REPLAY'))
    const results = await Promise.allSettled([post(env, s, 6), post(env, s, 6)])
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 1)
  })

  it('a flood of forged announcements uses up its source\'s budget, not the stream\'s', async () => {
    const env = hub({ sourceRate: { perSecond: 1, burst: 5 }, streamRate: { perSecond: 1, burst: 5 } })
    const s = await testStream()
    const forger = await ed25519Signer(generateContentKey())
    const blocks = await sealedSegments(s, 1)
    const forged = announcementToJson(await announcement(s, 1, blocks, { sign: forger.sign }))
    const codes: string[] = []
    for (let i = 0; i < 8; i++) await env.h.announce(s.link.stream, forged, 'ip:evil').catch((err: { code: string }) => codes.push(err.code))
    assert.deepEqual(codes, [...Array(5).fill('ERR_LIVE_SIGNATURE'), ...Array(3).fill('ERR_LIVE_RATE')])
    // The creator, from its own address, still announces.
    for (let seq = 0; seq < 5; seq++) await post(env, s, seq, 'ip:creator')
    await assert.rejects(post(env, s, 5, 'ip:creator'), code('ERR_LIVE_RATE'))
    env.clock.t += 1000
    await post(env, s, 5, 'ip:creator')
  })

  it('refuses streams beyond its limit until idle ones are dropped, ending their watchers', async () => {
    const env = hub({ maxStreams: 1, idleMs: 10_000 })
    const a = await testStream()
    const b = await testStream()
    await post(env, a, 0)
    let ended = false
    env.h.watch(a.link.stream, { push: () => {}, end: () => { ended = true } })
    await assert.rejects(post(env, b, 0), code('ERR_LIVE_FULL'))
    env.clock.t += 10_001
    await post(env, b, 0)
    assert.equal(ended, true)
    assert.throws(() => env.h.window(a.link.stream), code('ERR_LIVE_NOT_FOUND'))
  })

  it('refuses an announcement whose blocks are not stored here with the announced sizes', async () => {
    const env = hub()
    const s = await testStream()
    const blocks = await sealedSegments(s, 0)
    await assert.rejects(env.h.announce(s.link.stream, announcementToJson(await announcement(s, 0, blocks)), 'ip:a'), code('ERR_LIVE_BLOCK_MISSING'))
    env.stored.set(blocks.seg.cid.toString(), blocks.seg.bytes.byteLength)
    env.stored.set(blocks.init.cid.toString(), blocks.init.bytes.byteLength)
    await assert.rejects(env.h.announce(s.link.stream, announcementToJson(await announcement(s, 0, blocks, { size: 99 })), 'ip:a'), code('ERR_LIVE_BLOCK_MISSING'))
    // Posted under another stream's URL.
    const other = await testStream()
    await assert.rejects(env.h.announce(other.link.stream, announcementToJson(await announcement(s, 0, blocks)), 'ip:a'), code('ERR_LIVE_MALFORMED'))
    await env.h.announce(s.link.stream, announcementToJson(await announcement(s, 0, blocks)), 'ip:a')
  })
})

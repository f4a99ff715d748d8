import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bytesToHex } from '@noble/hashes/utils.js'
import { generateContentKey } from '@p2pdv/core'
import { ed25519Signer } from '@p2pdv/core/grants'
import { chatMessageToJson, moderationToJson, sealChatMessage, signModeration } from '@p2pdv/core/live-chat'
import { ChatHub, MAX_CHAT_SKEW_MS, type ChatHubOptions } from '../src/live/chat-hub.ts'
import { testStream, type TestStream } from './fixtures/live.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }
type Signer = Awaited<ReturnType<typeof ed25519Signer>>

/** A hub whose streams are live in epochs 2 to 3, on a clock the test moves. */
function hub (o: Partial<ChatHubOptions> = {}, live = new Set<string>()) {
  const clock = { t: 1_800_000_000_000 }
  const h = new ChatHub({ epochsOf: s => live.has(s) ? { first: 2, last: 3 } : undefined, now: () => clock.t, ...o })
  return { h, clock, live }
}

async function message (s: TestStream, signer: Signer, time: number, o: { epoch?: number, text?: string } = {}) {
  return chatMessageToJson(await sealChatMessage({ stream: s.link.stream, epoch: o.epoch ?? 3, epochKey: s.epochKey, text: o.text ?? 'hi', time, signer }))
}

describe('ChatHub', () => {
  it('relays a signed message to watchers and keeps a bounded history', async () => {
    const s = await testStream()
    const env = hub({ history: 3, senderRate: { perSecond: 100, burst: 100 } }, new Set([s.link.stream]))
    const alice = await ed25519Signer(generateContentKey())
    const seen: string[] = []
    env.h.watch(s.link.stream, { message: k => seen.push(k.id), moderation: () => {}, end: () => {} })
    for (let i = 1; i <= 5; i++) await env.h.post(s.link.stream, await message(s, alice, env.clock.t + i), 'ip:a')
    assert.equal(seen.length, 5)
    assert.deepEqual(env.h.snapshot(s.link.stream).messages.map(k => k.id), seen.slice(2))
  })

  it('refuses an unknown stream, another stream, an epoch outside the window, a forged signature', async () => {
    const s = await testStream()
    const other = await testStream()
    const env = hub({}, new Set([s.link.stream]))
    const alice = await ed25519Signer(generateContentKey())
    await assert.rejects(env.h.post(other.link.stream, await message(other, alice, env.clock.t), 'ip:a'), code('ERR_LIVE_NOT_FOUND'))
    assert.throws(() => env.h.snapshot(other.link.stream), code('ERR_LIVE_NOT_FOUND'))
    await assert.rejects(env.h.post(s.link.stream, await message(other, alice, env.clock.t), 'ip:a'), code('ERR_LIVE_CHAT_MALFORMED'))
    await assert.rejects(env.h.post(s.link.stream, await message(s, alice, env.clock.t, { epoch: 1 }), 'ip:a'), code('ERR_LIVE_CHAT_EPOCH'))
    await assert.rejects(env.h.post(s.link.stream, await message(s, alice, env.clock.t, { epoch: 4 }), 'ip:a'), code('ERR_LIVE_CHAT_EPOCH'))
    const m = await message(s, alice, env.clock.t)
    await assert.rejects(env.h.post(s.link.stream, { ...m, time: env.clock.t + 1 }, 'ip:a'), code('ERR_LIVE_CHAT_SIGNATURE'))
    const mallory = await ed25519Signer(generateContentKey())
    await assert.rejects(env.h.post(s.link.stream, { ...m, from: bytesToHex(mallory.publicKey) }, 'ip:a'), code('ERR_LIVE_CHAT_SIGNATURE'))
    await assert.rejects(env.h.post(s.link.stream, { ...m, box: 'A'.repeat(3000) }, 'ip:a'), code('ERR_LIVE_CHAT_TOO_LARGE'))
    assert.equal(env.h.stats.accepted, 0)
  })

  it('refuses replays, older and far-off times, without spending the sender\'s budget', async () => {
    const s = await testStream()
    const env = hub({ senderRate: { perSecond: 1, burst: 2 } }, new Set([s.link.stream]))
    const alice = await ed25519Signer(generateContentKey())
    const first = await message(s, alice, env.clock.t)
    await env.h.post(s.link.stream, first, 'ip:a')
    for (let i = 0; i < 5; i++) await assert.rejects(env.h.post(s.link.stream, first, `ip:replayer${i}`), code('ERR_LIVE_CHAT_REPLAY'))
    await assert.rejects(env.h.post(s.link.stream, await message(s, alice, env.clock.t - 1), 'ip:a'), code('ERR_LIVE_CHAT_REPLAY'))
    await assert.rejects(env.h.post(s.link.stream, await message(s, alice, env.clock.t + MAX_CHAT_SKEW_MS + 1), 'ip:a'), code('ERR_LIVE_CHAT_REPLAY'))
    await assert.rejects(env.h.post(s.link.stream, await message(s, alice, env.clock.t - MAX_CHAT_SKEW_MS - 1), 'ip:a'), code('ERR_LIVE_CHAT_REPLAY'))
    // The replays cost alice nothing: her second message of the burst still goes through.
    await env.h.post(s.link.stream, await message(s, alice, env.clock.t + 1), 'ip:b')
  })

  it('rate-limits per sender, per address and per stream with ERR_LIVE_CHAT_RATE', async () => {
    const s = await testStream()
    const env = hub({ senderRate: { perSecond: 1, burst: 3 }, sourceRate: { perSecond: 1, burst: 10 }, streamRate: { perSecond: 1, burst: 6 } }, new Set([s.link.stream]))
    const alice = await ed25519Signer(generateContentKey())
    const codes: string[] = []
    for (let i = 1; i <= 5; i++) await env.h.post(s.link.stream, await message(s, alice, env.clock.t + i), `ip:${i}`).then(() => codes.push('ok'), (e: { code: string }) => codes.push(e.code))
    assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ERR_LIVE_CHAT_RATE', 'ERR_LIVE_CHAT_RATE'])
    // A flood of junk from one address stops at its own budget.
    const flood: string[] = []
    for (let i = 0; i < 12; i++) await env.h.post(s.link.stream, { junk: i }, 'ip:flood').catch((e: { code: string }) => flood.push(e.code))
    assert.deepEqual(flood.slice(0, 10), Array(10).fill('ERR_LIVE_CHAT_MALFORMED'))
    assert.deepEqual(flood.slice(10), ['ERR_LIVE_CHAT_RATE', 'ERR_LIVE_CHAT_RATE'])
    // The stream's budget caps many senders together (3 spent by alice, 3 more, then refused).
    const many: string[] = []
    for (let i = 0; i < 5; i++) {
      const bob = await ed25519Signer(generateContentKey())
      await env.h.post(s.link.stream, await message(s, bob, env.clock.t), `ip:b${i}`).then(() => many.push('ok'), (e: { code: string }) => many.push(e.code))
    }
    assert.deepEqual(many, ['ok', 'ok', 'ok', 'ERR_LIVE_CHAT_RATE', 'ERR_LIVE_CHAT_RATE'])
    env.clock.t += 10_000
    await env.h.post(s.link.stream, await message(s, alice, env.clock.t), 'ip:x')
  })

  it('applies the creator\'s moderation list: hidden and muted messages leave the history, muted senders are refused', async () => {
    const s = await testStream()
    const env = hub({}, new Set([s.link.stream]))
    const alice = await ed25519Signer(generateContentKey())
    const troll = await ed25519Signer(generateContentKey())
    const a1 = await env.h.post(s.link.stream, await message(s, alice, env.clock.t), 'ip:a')
    const a2 = await env.h.post(s.link.stream, await message(s, alice, env.clock.t + 1), 'ip:a')
    await env.h.post(s.link.stream, await message(s, troll, env.clock.t), 'ip:t')
    const lists: number[] = []
    env.h.watch(s.link.stream, { message: () => {}, moderation: l => lists.push(l.version), end: () => {} })
    const list = await signModeration({ stream: s.link.stream, version: 2, hidden: [a1.id], muted: [bytesToHex(troll.publicKey)] }, s.signer)
    await env.h.moderate(s.link.stream, moderationToJson(list), 'ip:c')
    assert.deepEqual(env.h.snapshot(s.link.stream).messages.map(k => k.id), [a2.id])
    assert.deepEqual(lists, [2])
    await assert.rejects(env.h.post(s.link.stream, await message(s, troll, env.clock.t + 5), 'ip:t'), code('ERR_LIVE_CHAT_MUTED'))
    await assert.rejects(env.h.moderate(s.link.stream, moderationToJson(list), 'ip:c'), code('ERR_LIVE_CHAT_MODERATION_STALE'))
    // Only the stream key moderates: troll signing a list for the stream is refused.
    const forged = moderationToJson(await signModeration({ stream: bytesToHex(troll.publicKey), version: 9, hidden: [], muted: [] }, troll))
    await assert.rejects(env.h.moderate(s.link.stream, { ...forged, stream: s.link.stream }, 'ip:t'), code('ERR_LIVE_CHAT_SIGNATURE'))
    assert.equal(env.h.snapshot(s.link.stream).moderation?.version, 2)
  })

  it('drops the chat of a stream the node no longer carries, ending its watchers', async () => {
    const s = await testStream()
    const env = hub({}, new Set([s.link.stream]))
    let ended = false
    env.h.watch(s.link.stream, { message: () => {}, moderation: () => {}, end: () => { ended = true } })
    env.live.delete(s.link.stream)
    env.h.evictGone()
    assert.equal(ended, true)
  })
})

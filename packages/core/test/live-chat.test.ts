import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bytesToHex } from '@noble/hashes/utils.js'
import { generateContentKey } from '../src/index.ts'
import { ed25519Signer } from '../src/ed25519.ts'
import { streamIdOf } from '../src/live.ts'
import {
  chatMessageFromJson, chatMessageId, chatSigningBytes, chatMessageToJson, moderationFromJson, moderationToJson, openChatMessage, sealChatMessage,
  signModeration, verifyChatMessage, verifyModeration, MAX_CHAT_BOX_BYTES, MAX_CHAT_MESSAGE_JSON_BYTES, MAX_CHAT_TEXT_BYTES,
  MAX_MODERATION_ENTRIES, MAX_MODERATION_JSON_BYTES, type ChatMessage
} from '../src/live-chat.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

async function fixture () {
  const streamSigner = await ed25519Signer(generateContentKey())
  const stream = streamIdOf(streamSigner.publicKey)
  const sender = await ed25519Signer(generateContentKey())
  const epochKey = generateContentKey()
  const m = await sealChatMessage({ stream, epoch: 3, epochKey, text: 'hello ✓', time: 1_700_000_000_000, signer: sender })
  return { streamSigner, stream, sender, epochKey, m }
}

describe('live chat messages', () => {
  it('round-trip through JSON, verify, and open under the epoch key', async () => {
    const { m, epochKey, sender } = await fixture()
    const back = chatMessageFromJson(JSON.parse(JSON.stringify(chatMessageToJson(m))))
    assert.equal(back.from, bytesToHex(sender.publicKey))
    assert.equal(await verifyChatMessage(back), true)
    assert.equal(await openChatMessage(back, epochKey), 'hello ✓')
    assert.match(chatMessageId(back), /^[0-9a-f]{32}$/)
    assert.equal(chatMessageId(back), chatMessageId(m))
  })

  it('carries no plaintext and pads to a size class', async () => {
    const { m, stream, sender, epochKey } = await fixture()
    assert.equal(new TextDecoder().decode(m.box).includes('hello'), false)
    const longer = await sealChatMessage({ stream, epoch: 3, epochKey, text: 'hello there', time: 1, signer: sender })
    assert.equal(longer.box.byteLength, m.box.byteLength)
  })

  it('a tampered box, field or signature is refused', async () => {
    const { m, epochKey } = await fixture()
    const box = m.box.slice(); box[5]! ^= 1
    await assert.rejects(openChatMessage({ ...m, box }, epochKey), code('ERR_LIVE_CHAT_SIGNATURE'))
    for (const changed of [{ ...m, time: m.time + 1 }, { ...m, epoch: 4 }, { ...m, sig: m.sig.map((b, i) => i === 0 ? b ^ 1 : b) }]) {
      assert.equal(await verifyChatMessage(changed), false)
    }
  })

  it('someone without the epoch key can neither read nor post a message that opens', async () => {
    const { m, stream, epochKey } = await fixture()
    await assert.rejects(openChatMessage(m, generateContentKey()), code('ERR_LIVE_CHAT_KEY'))
    // A key-less forger signs a box of his own making, or re-signs someone else's box as his.
    const forger = await ed25519Signer(generateContentKey())
    const own = await sealChatMessage({ stream, epoch: 3, epochKey: generateContentKey(), text: 'spam', time: 2, signer: forger })
    assert.equal(await verifyChatMessage(own), true)
    await assert.rejects(openChatMessage(own, epochKey), code('ERR_LIVE_CHAT_KEY'))
    const body = { ...m, from: bytesToHex(forger.publicKey) }
    const stolen: ChatMessage = { ...body, sig: await forger.sign(chatSigningBytes(body)) }
    assert.equal(await verifyChatMessage(stolen), true)
    await assert.rejects(openChatMessage(stolen, epochKey), code('ERR_LIVE_CHAT_KEY'))
  })

  it('bounds the text and the box: oversized → ERR_LIVE_CHAT_TOO_LARGE', async () => {
    const { stream, sender, epochKey, m } = await fixture()
    const max = await sealChatMessage({ stream, epoch: 0, epochKey, text: 'x'.repeat(MAX_CHAT_TEXT_BYTES), time: 1, signer: sender })
    assert.equal(max.box.byteLength, MAX_CHAT_BOX_BYTES)
    assert.ok(JSON.stringify(chatMessageToJson(max)).length < MAX_CHAT_MESSAGE_JSON_BYTES)
    await assert.rejects(sealChatMessage({ stream, epoch: 0, epochKey, text: 'x'.repeat(MAX_CHAT_TEXT_BYTES + 1), time: 1, signer: sender }), code('ERR_LIVE_CHAT_TOO_LARGE'))
    await assert.rejects(sealChatMessage({ stream, epoch: 0, epochKey, text: '', time: 1, signer: sender }), code('ERR_LIVE_CHAT_MALFORMED'))
    const json = chatMessageToJson(m)
    assert.throws(() => chatMessageFromJson({ ...json, box: 'A'.repeat(4000) }), code('ERR_LIVE_CHAT_TOO_LARGE'))
  })

  it('refuses malformed JSON with ERR_LIVE_CHAT_MALFORMED', async () => {
    const { m } = await fixture()
    const good = chatMessageToJson(m)
    const bad: unknown[] = [null, [], 'x', 7, { ...good, v: 2 }, { ...good, stream: 'AB' }, { ...good, from: 'ab'.repeat(33) },
      { ...good, epoch: -1 }, { ...good, epoch: 2 ** 32 }, { ...good, time: 1.5 }, { ...good, time: '1' }, { ...good, nonce: 'AAAA' },
      { ...good, sig: 'AAAA' }, { ...good, box: 'AAAA' }, { ...good, box: '!!' }, { ...good, box: undefined }, { ...good, from: { toString: () => 'x' } }]
    for (const b of bad) assert.throws(() => chatMessageFromJson(b), code('ERR_LIVE_CHAT_MALFORMED'))
  })
})

describe('live chat moderation lists', () => {
  it('signed by the stream key round-trip and verify; another key\'s or an altered list does not', async () => {
    const { streamSigner, stream, m, sender } = await fixture()
    const id = chatMessageId(m)
    const l = await signModeration({ stream, version: 5, hidden: [id, id], muted: [bytesToHex(sender.publicKey)] }, streamSigner)
    assert.deepEqual(l.hidden, [id])
    const back = moderationFromJson(JSON.parse(JSON.stringify(moderationToJson(l))))
    assert.equal(await verifyModeration(back), true)
    assert.equal(await verifyModeration({ ...back, muted: [] }), false)
    assert.equal(await verifyModeration({ ...back, version: 6 }), false)
    await assert.rejects(signModeration({ stream, version: 1, hidden: [], muted: [] }, sender), code('ERR_LIVE_CHAT_MALFORMED'))
    const forged = { ...moderationToJson(l), sig: moderationToJson(await signModeration({ stream: bytesToHex(sender.publicKey), version: 5, hidden: [id], muted: [bytesToHex(sender.publicKey)] }, sender)).sig }
    assert.equal(await verifyModeration(moderationFromJson(forged)), false)
  })

  it('bounds lists and refuses malformed ones', async () => {
    const { streamSigner, stream } = await fixture()
    const full = await signModeration({ stream, version: 1, hidden: Array.from({ length: MAX_MODERATION_ENTRIES }, (_, i) => i.toString(16).padStart(32, '0')), muted: Array.from({ length: MAX_MODERATION_ENTRIES }, (_, i) => i.toString(16).padStart(64, '0')) }, streamSigner)
    assert.ok(JSON.stringify(moderationToJson(full)).length < MAX_MODERATION_JSON_BYTES)
    const good = moderationToJson(full)
    const bad: unknown[] = [null, [], { ...good, v: 0 }, { ...good, version: 0 }, { ...good, version: 1.5 }, { ...good, hidden: 'x' },
      { ...good, hidden: [...full.hidden, 'f'.repeat(32)] }, { ...good, hidden: ['XYZ'] }, { ...good, muted: [1] }, { ...good, muted: [full.muted[0], full.muted[0]] },
      { ...good, sig: '' }, { ...good, stream: 'x' }]
    for (const b of bad) assert.throws(() => moderationFromJson(b), code('ERR_LIVE_CHAT_MALFORMED'))
  })
})

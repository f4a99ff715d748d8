import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseChatLine, resolvePrefix } from '../src/commands/live-chat-console.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

describe('live start chat console', () => {
  it('parses moderation commands and chat lines', () => {
    assert.deepEqual(parseChatLine('/mute AB12cd'), { kind: 'mute', prefix: 'ab12cd' })
    assert.deepEqual(parseChatLine(' /hide 0123 '), { kind: 'hide', prefix: '0123' })
    assert.deepEqual(parseChatLine('/unmute ffff'), { kind: 'unmute', prefix: 'ffff' })
    assert.deepEqual(parseChatLine('hello all'), { kind: 'say', text: 'hello all' })
    assert.deepEqual(parseChatLine('   '), { kind: 'none' })
    for (const bad of ['/mute', '/mute abc', '/mute xyz1', '/ban abcd', '/hide ' + 'a'.repeat(65), '/mute abcd extra']) {
      assert.throws(() => parseChatLine(bad), code('ERR_USAGE'))
    }
  })

  it('resolves a prefix to exactly one known value', () => {
    const known = ['abcd0001', 'abcd0002', 'ef010203']
    assert.equal(resolvePrefix('ef01', known, 'sender'), 'ef010203')
    assert.throws(() => resolvePrefix('abcd', known, 'sender'), code('ERR_USAGE'))
    assert.throws(() => resolvePrefix('9999', known, 'sender'), code('ERR_USAGE'))
    assert.equal(resolvePrefix('abcd0001', [...known, 'abcd0001'], 'message'), 'abcd0001')
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseEpoch, parseListen } from '../src/commands/live.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

describe('live start options', () => {
  it('reads --epoch durations and refuses others', () => {
    assert.equal(parseEpoch('10m'), 600_000)
    assert.equal(parseEpoch('2s'), 2000)
    assert.equal(parseEpoch('90'), 90_000)
    for (const bad of ['0', '0s', '10x', '-1m', '25h', '', '1e3']) assert.throws(() => parseEpoch(bad), code('ERR_USAGE'))
  })

  it('reads --srt/--rtmp HOST:PORT and refuses others', () => {
    assert.deepEqual(parseListen('127.0.0.1:9000', 'srt'), { host: '127.0.0.1', port: 9000 })
    for (const bad of ['9000', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'example.com:1', '[::1]:9000']) assert.throws(() => parseListen(bad, 'srt'), code('ERR_USAGE'))
  })
})

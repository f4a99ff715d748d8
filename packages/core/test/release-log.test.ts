import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateVideoId, hashLogBody, linkHash, newLogBody, parseLogEntry, verifyLog, ZERO_HASH, type LogEntry } from '../src/keys/index.ts'

const code = (c: string) => (err: unknown) => { assert.equal((err as { code?: string }).code, c); return true }

function buildLog (n: number): { entries: LogEntry[], head: `0x${string}` } {
  const entries: LogEntry[] = []
  let head = ZERO_HASH
  for (let seq = 0; seq < n; seq++) {
    const body = newLogBody({ kind: seq % 3 === 0 ? 'refusal' : 'release', video: generateVideoId(), subject: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', request: `0x${'aa'.repeat(32)}`, epoch: 0, decision: seq % 3 === 0 ? 'ERR_ACCESS_DENIED' : 'released' })
    const e: LogEntry = { seq, time: 1_700_000_000_000 + seq, bodyHash: hashLogBody(body), body }
    head = linkHash(e.seq, e.time, head, e.bodyHash)
    entries.push(e)
  }
  return { entries, head }
}

describe('keeper audit log (hash chain)', () => {
  it('verifies a whole log against its signed head, also through JSON', () => {
    const { entries, head } = buildLog(10)
    assert.deepEqual(verifyLog(entries, { checkpoints: [{ length: 10, head }] }), { length: 10, head })
    const wire = JSON.parse(JSON.stringify(entries)).map(parseLogEntry)
    assert.deepEqual(verifyLog(wire, { checkpoints: [{ length: 10, head }] }), { length: 10, head })
  })

  it('verifies with hidden bodies (only their hashes) and from a checkpoint onwards', () => {
    const { entries, head } = buildLog(8)
    const redacted = entries.map((e, i) => i % 2 === 0 ? { seq: e.seq, time: e.time, bodyHash: e.bodyHash } : e)
    assert.equal(verifyLog(redacted, { checkpoints: [{ length: 8, head }] }).head, head)
    const mid = verifyLog(entries.slice(0, 5))
    assert.equal(verifyLog(entries.slice(5), { start: mid, checkpoints: [{ length: 8, head }] }).head, head)
  })

  it('detects an edited entry body', () => {
    const { entries, head } = buildLog(6)
    const edited = entries.map(e => e.seq === 2 ? { ...e, body: { ...e.body!, decision: 'released' === e.body!.decision ? 'ERR_ACCESS_DENIED' : 'released' } } : e)
    assert.throws(() => verifyLog(edited, { checkpoints: [{ length: 6, head }] }), (err: { code: string, details: { seq: number } }) => err.code === 'ERR_AUDIT_LOG_BROKEN' && err.details.seq === 2)
  })

  it('detects an entry edited together with its hash (the chain no longer reaches the head)', () => {
    const { entries, head } = buildLog(6)
    const body = { ...entries[3]!.body!, subject: '0x0000000000000000000000000000000000000001' as const }
    const edited = entries.map(e => e.seq === 3 ? { ...e, body, bodyHash: hashLogBody(body) } : e)
    assert.throws(() => verifyLog(edited, { checkpoints: [{ length: 6, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
    // An edited timestamp breaks it too.
    assert.throws(() => verifyLog(entries.map(e => e.seq === 1 ? { ...e, time: e.time + 1 } : e), { checkpoints: [{ length: 6, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
  })

  it('detects a deleted entry, in the middle (gap or renumbered) and at the end (truncation)', () => {
    const { entries, head } = buildLog(6)
    assert.throws(() => verifyLog(entries.filter(e => e.seq !== 2), { checkpoints: [{ length: 6, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
    const renumbered = entries.filter(e => e.seq !== 2).map((e, i) => ({ ...e, seq: i }))
    assert.throws(() => verifyLog(renumbered, { checkpoints: [{ length: 6, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
    assert.throws(() => verifyLog(entries.slice(0, 5), { checkpoints: [{ length: 6, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
  })

  it('detects reordering and an anchor that disagrees with a later signed head', () => {
    const { entries, head } = buildLog(4)
    const swapped = [entries[1]!, entries[0]!, ...entries.slice(2)]
    assert.throws(() => verifyLog(swapped, { checkpoints: [{ length: 4, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
    assert.throws(() => verifyLog(entries, { checkpoints: [{ length: 2, head }, { length: 4, head }] }), code('ERR_AUDIT_LOG_BROKEN'))
  })

  it('refuses malformed entries', () => {
    assert.throws(() => parseLogEntry({ seq: -1, time: 0, bodyHash: ZERO_HASH }), code('ERR_AUDIT_LOG_MALFORMED'))
    assert.throws(() => parseLogEntry({ seq: 0, time: 0, bodyHash: '0x1' }), code('ERR_AUDIT_LOG_MALFORMED'))
    assert.throws(() => parseLogEntry({ seq: 0, time: 0, bodyHash: ZERO_HASH, body: { v: 1, kind: 'steal' } }), code('ERR_AUDIT_LOG_MALFORMED'))
  })
})

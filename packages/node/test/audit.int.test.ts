// Storage audits with real node processes on 127.0.0.1: the audit protocol on both planes, bit
// rot caught by the next audit, cheating nodes caught and shut out of placement, and nodes that
// stop answering losing availability.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import * as dagCbor from '@ipld/dag-cbor'
import { createLibp2p, type Libp2p } from 'libp2p'
import { blockCid } from '@p2pdv/core'
import { AUDIT_LEAF_BYTES, leafCount, merkleRoot } from '@p2pdv/core/audit'
import { comparePlacement, decodePlacementRecord, placementBlocks, type PlacementRecord } from '@p2pdv/core/placement'
import {
  AUDIT_PROTOCOL, AuditCode, auditRecordPayload, recordLeafBytes, auditResponsePayload, checkAuditProof, decodeAuditResponse, decodeSignedAuditRecord,
  encodeAuditChallenge, MAX_AUDIT_MESSAGE_BYTES, WireErrorCode, type AuditChallenge, type AuditResponse
} from '@p2pdv/core/wire'
import { Client } from '@p2pdv/sdk'
import { NextToLast } from 'blockstore-fs/sharding'
import { auditorArgs, randomBlock, publishRecord, reputation, results, storeOn, waitFor, type StoredBlock } from './fixtures/audit.ts'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

async function stopAll (nodes: Array<SpawnedNode | undefined>): Promise<void> {
  await Promise.all(nodes.map(async n => { if (n !== undefined) { await n.stop(); await rm(n.info.dataDir, { recursive: true, force: true }) } }))
}

const challengeFor = (cid: AuditChallenge['cid'], index: number, deadline = Date.now() + 10_000): Omit<AuditChallenge, 'v'> =>
  ({ cid, index, leaf: AUDIT_LEAF_BYTES, nonce: new Uint8Array(randomBytes(32)), auditor: '12D3KooWTestAuditor', deadline })

async function postChallenge (node: SpawnedNode, body: Uint8Array, type = 'application/cbor'): Promise<{ status: number, response?: AuditResponse, json?: { code: string } }> {
  const res = await fetch(`${node.info.http}/api/v1/audit`, { method: 'POST', headers: { 'content-type': type }, body: body as Uint8Array<ArrayBuffer> })
  const bytes = new Uint8Array(await res.arrayBuffer())
  if ((res.headers.get('content-type') ?? '').startsWith('application/cbor')) return { status: res.status, response: decodeAuditResponse(bytes) }
  return { status: res.status, json: JSON.parse(new TextDecoder().decode(bytes)) }
}

async function verifySigned (peer: string, challenge: Omit<AuditChallenge, 'v'>, r: AuditResponse | undefined): Promise<boolean> {
  if (r === undefined || !r.ok || r.peer !== peer) return false
  return await peerIdFromString(peer).publicKey!.verify(auditResponsePayload(peer, challenge, r.proof, r.time), r.sig)
}

describe('audit protocol on a node', () => {
  let node: SpawnedNode
  let dialer: Libp2p
  let block: StoredBlock
  let root: Uint8Array

  before(async () => {
    node = await spawnNode()
    dialer = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    block = await storeOn([node], await randomBlock(300_000))
    root = merkleRoot(block.bytes)
  })
  after(async () => {
    await dialer?.stop()
    await stopAll([node])
  })

  it('answers a fresh challenge over HTTP with a signed proof that verifies against the root, without the data or a key', async () => {
    for (const index of [0, 7, leafCount(block.bytes.byteLength) - 1]) {
      const challenge = challengeFor(block.cid, index)
      const { status, response } = await postChallenge(node, encodeAuditChallenge(challenge))
      assert.equal(status, 200)
      assert.ok(response?.ok)
      checkAuditProof(challenge, { root, size: block.bytes.byteLength, leafBytes: AUDIT_LEAF_BYTES }, response.proof)
      assert.ok(await verifySigned(node.info.peerId, challenge, response))
      // The signature is bound to this challenge's nonce: it does not verify for another one.
      assert.equal(await verifySigned(node.info.peerId, { ...challenge, nonce: new Uint8Array(32) }, response), false)
    }
  })

  it('answers the same challenge over libp2p /p2pdv/audit/1.0.0', async () => {
    const ask = async (payload: Uint8Array): Promise<AuditResponse> => {
      const stream = await dialer.dialProtocol(multiaddr(node.info.multiaddrs[0]!), AUDIT_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: MAX_AUDIT_MESSAGE_BYTES })
      await lp.write(payload)
      const reply = await lp.read()
      await stream.close()
      return decodeAuditResponse(reply.subarray())
    }
    const challenge = challengeFor(block.cid, 5)
    const response = await ask(encodeAuditChallenge(challenge))
    assert.ok(response.ok)
    checkAuditProof(challenge, { root, size: block.bytes.byteLength, leafBytes: AUDIT_LEAF_BYTES }, response.proof)
    assert.ok(await verifySigned(node.info.peerId, challenge, response))
    const garbage = await ask(new Uint8Array([0xff, 0x01, 0x02]))
    assert.equal(garbage.ok === false && garbage.code, WireErrorCode.MALFORMED)
    // A frame over the size limit is refused from its length prefix.
    const stream = await dialer.dialProtocol(multiaddr(node.info.multiaddrs[0]!), AUDIT_PROTOCOL)
    const lp = lpStream(stream, { maxDataLength: MAX_AUDIT_MESSAGE_BYTES })
    assert.ok(MAX_AUDIT_MESSAGE_BYTES < 1 << 20)
    stream.send(new Uint8Array([0x80, 0x80, 0x40])) // varint 1 MiB, then nothing
    const tooBig = decodeAuditResponse((await lp.read()).subarray())
    assert.equal(tooBig.ok === false && tooBig.code, 'ERR_FRAME_TOO_LARGE')
    await stream.close().catch(() => {})
  })

  it('refuses hostile, stale and impossible challenges with codes, and keeps serving', async () => {
    const unknown = await randomBlock(10)
    const cases: Array<[Uint8Array, number, string]> = [
      [new Uint8Array([0xa1, 0x61]), 400, WireErrorCode.MALFORMED],
      [dagCbor.encode({ v: 7 }), 400, WireErrorCode.VERSION],
      [encodeAuditChallenge(challengeFor(block.cid, 0, Date.now() - 1)), 400, AuditCode.EXPIRED],
      [encodeAuditChallenge(challengeFor(block.cid, 0, Date.now() + 3_600_000)), 400, AuditCode.BAD_CHALLENGE],
      [encodeAuditChallenge(challengeFor(block.cid, 10_000)), 400, AuditCode.BAD_CHALLENGE],
      [encodeAuditChallenge(challengeFor(unknown.cid, 0)), 404, AuditCode.NOT_FOUND]
    ]
    for (const [body, status, code] of cases) {
      const r = await postChallenge(node, body)
      assert.equal(r.status, status, code)
      assert.equal(r.response?.ok === false && r.response.code, code)
    }
    const tooLarge = await postChallenge(node, new Uint8Array(MAX_AUDIT_MESSAGE_BYTES + 1))
    assert.equal(tooLarge.status, 413)
    assert.equal(tooLarge.json?.code, 'ERR_BODY_TOO_LARGE')
    assert.equal((await postChallenge(node, new Uint8Array([1]), 'text/plain')).status, 415)
    // Not an auditor: the auditor's endpoints say so.
    const rep = await fetch(`${node.info.http}/api/v1/reputation`)
    assert.equal(rep.status, 404)
    assert.equal((await rep.json() as { code: string }).code, 'ERR_NOT_AUDITOR')
    assert.equal((await fetch(`${node.info.http}/healthz`)).status, 200)
  })
})

describe('bit rot', () => {
  let auditor: SpawnedNode
  let holder: SpawnedNode
  before(async () => {
    auditor = await spawnNode({ args: auditorArgs() })
    holder = await spawnNode({ bootstrap: [auditor.info.multiaddrs[0]!] })
  })
  after(async () => { await stopAll([holder, auditor]) })

  it('the next audit catches every single-byte corruption on disk, over a matrix of block sizes and positions', async () => {
    // Sizes: tiny, around one leaf (16 KiB; and the legacy 1 KiB), several leaves, and a sealed
    // 1 MiB chunk (1 MiB + 16-byte tag).
    const sizes = [1, 1000, 4097, 16_385, 65_553, 1_048_592]
    const matrix = sizes.flatMap(size => [...new Set([0, 1024, AUDIT_LEAF_BYTES - 1, AUDIT_LEAF_BYTES, size >> 1, size - 1].filter(p => p >= 0 && p < size))].map(pos => ({ size, pos })))
    const flipped = await Promise.all(matrix.map(async m => ({ ...m, block: await storeOn([holder], await randomBlock(m.size)) })))
    const controls = await Promise.all([1, 5000, 300_000].map(async size => await storeOn([holder], await randomBlock(size))))
    await publishRecord([...flipped.map(f => f.block), ...controls])

    // Every block passes an audit first.
    const all = [...flipped.map(f => f.block), ...controls].map(b => b.cid.toString())
    await waitFor('a first pass of every block', async () => {
      const passed = new Set((await results(auditor, { peer: holder.info.peerId })).filter(r => r.outcome === 'pass').map(r => r.cid))
      return all.every(c => passed.has(c)) ? true : undefined
    })

    // Audits keep running while bytes are flipped: one already in flight may be the one that
    // reads a block after its flip, so the catch is looked for from the last result before.
    const mark = Math.max(0, ...(await results(auditor, { peer: holder.info.peerId })).map(r => r.id))
    for (const f of flipped) {
      const { dir, file } = new NextToLast().encode(f.block.cid)
      const path = join(holder.info.dataDir, 'blocks', dir, file)
      const bytes = await readFile(path)
      assert.equal(bytes.byteLength, f.size)
      bytes[f.pos]! ^= 0x01
      await writeFile(path, bytes)
    }
    const flippedAt = Date.now()

    // Caught: the node refused the rotten copy (it re-hashes on every read and quarantines it),
    // counted against it. Every flipped block, and every control block passing again after.
    const rows = await waitFor('a verdict on every block after the flip', async () => {
      const rows = await results(auditor, { peer: holder.info.peerId, after: mark })
      const corrupt = new Set(rows.filter(r => r.code === AuditCode.CORRUPT && r.counted).map(r => r.cid))
      const passedAgain = new Set(rows.filter(r => r.outcome === 'pass' && r.issued > flippedAt).map(r => r.cid))
      return flipped.every(f => corrupt.has(f.block.cid.toString()) || passedAgain.has(f.block.cid.toString())) && controls.every(c => passedAgain.has(c.cid.toString())) ? rows : undefined
    })
    const caught = flipped.filter(f => rows.some(r => r.cid === f.block.cid.toString() && r.code === AuditCode.CORRUPT && r.outcome === 'fail' && r.counted))
    const missed = flipped.filter(f => !caught.includes(f)).map(f => ({ size: f.size, pos: f.pos }))
    assert.equal(caught.length, flipped.length, `caught ${caught.length} of ${flipped.length} injected corruptions; missed: ${JSON.stringify(missed)}`)
    // And no audit issued after the flip ever passed a flipped block (later ones find it gone).
    for (const f of flipped) {
      const later = rows.filter(r => r.cid === f.block.cid.toString() && r.issued > flippedAt && r.outcome !== 'timeout')
      assert.ok(later.every(r => r.outcome === 'fail' && r.counted && (r.code === AuditCode.CORRUPT || r.code === AuditCode.NOT_FOUND)))
    }

    // Results are signed by the auditor and kept: any one of them verifies against its peer id.
    const row = rows.find(r => r.code === AuditCode.CORRUPT)!
    const signed = decodeSignedAuditRecord(new Uint8Array(Buffer.from(row.record, 'base64')))
    assert.equal(signed.record.peer, holder.info.peerId)
    assert.ok(await peerIdFromString(auditor.info.peerId).publicKey!.verify(auditRecordPayload(signed.record), signed.sig))
    const rep = (await reputation(auditor)).peers.get(holder.info.peerId)!
    assert.ok(rep.counts.audit.failures >= flipped.length)
  })
})

describe('cheating nodes', () => {
  let auditor: SpawnedNode
  let honest: SpawnedNode[] = []
  let garbage: SpawnedNode
  let forger: SpawnedNode
  before(async () => {
    auditor = await spawnNode({ args: auditorArgs({ readRatio: 0.5 }) })
    const boot = [auditor.info.multiaddrs[0]!]
    // Two at a time: a small, busy machine starts four node processes at once too slowly.
    ;[garbage, forger] = await Promise.all([
      spawnNode({ bootstrap: boot, env: { P2PDV_TEST_FAULTS: 'serve-garbage' } }),
      spawnNode({ bootstrap: boot, env: { P2PDV_TEST_FAULTS: 'forge-proofs' } })
    ])
    honest = await Promise.all([spawnNode({ bootstrap: boot }), spawnNode({ bootstrap: boot })])
  })
  after(async () => { await stopAll([garbage, forger, ...honest, auditor]) })

  it('catches a node that serves garbage and one that forges proofs; both fall below the threshold and get no new blocks', async () => {
    const holders = [garbage, forger, ...honest]
    const blocks = await Promise.all([3000, 70_000, 1_000_000].map(async size => await storeOn(holders, await randomBlock(size))))
    await publishRecord(blocks)

    const rep = await waitFor('both cheaters below the threshold', async () => {
      const r = await reputation(auditor)
      const below = (n: SpawnedNode): boolean => r.peers.get(n.info.peerId)?.eligible === false
      return below(garbage) && below(forger) ? r : undefined
    })
    for (const h of honest) assert.equal(rep.peers.get(h.info.peerId)?.eligible, true)
    assert.ok(rep.peers.get(garbage.info.peerId)!.score < rep.threshold)
    assert.ok(rep.peers.get(forger.info.peerId)!.score < rep.threshold)

    // The forger signed proofs that do not lead to the root; the garbage server proves fine
    // (it keeps the data for audits) but its reads do not hash to the CID.
    const forged = await results(auditor, { peer: forger.info.peerId })
    assert.ok(forged.some(r => r.kind === 'proof' && r.code === AuditCode.BAD_PROOF && r.counted))
    assert.ok(forged.every(r => r.kind !== 'proof' || r.outcome === 'fail'))
    const served = await results(auditor, { peer: garbage.info.peerId })
    assert.ok(served.some(r => r.kind === 'read' && r.code === AuditCode.READ_MISMATCH && r.counted))
    assert.ok(served.filter(r => r.kind === 'proof').every(r => r.outcome === 'pass'))
    // A signed bad proof is evidence anyone can re-check: the node's own signature over a proof
    // that does not verify against the public root.
    const evidence = decodeSignedAuditRecord(new Uint8Array(Buffer.from(forged.find(r => r.code === AuditCode.BAD_PROOF && blocks.some(b => b.cid.toString() === r.cid))!.record, 'base64'))).record
    const answer = decodeAuditResponse(evidence.response!)
    assert.ok(answer.ok)
    const challenge = { cid: evidence.cid, index: evidence.index!, leaf: recordLeafBytes(evidence), nonce: evidence.nonce!, auditor: evidence.auditor, deadline: evidence.deadline }
    assert.ok(await verifySigned(forger.info.peerId, challenge, answer))
    const block = blocks.find(b => b.cid.equals(evidence.cid))!
    assert.throws(() => { checkAuditProof(challenge, { root: merkleRoot(block.bytes), size: block.bytes.byteLength, leafBytes: AUDIT_LEAF_BYTES }, answer.proof) }, { code: AuditCode.BAD_PROOF })

    // Repeated failures were reported for slashing (no chain here: kept by the auditor).
    const reported = await waitFor('slashing reports', async () => {
      const r = await reputation(auditor)
      const peers = new Set(r.slashReports.map(s => s.peer))
      return peers.has(forger.info.peerId) && peers.has(garbage.info.peerId) ? peers : undefined
    })
    for (const h of honest) assert.equal(reported.has(h.info.peerId), false)

    // New uploads leave them out: a client using the auditor's scores places blocks on honest nodes only.
    const client = await Client.create({ peers: holders.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http })), auditor: auditor.info.http, workers: 0 })
    try {
      const data = new Uint8Array(randomBytes(3 * 1024 * 1024))
      const put = await client.put((async function * () { yield data })(), { replicas: 2 })
      assert.deepEqual(new Set(put.nodes), new Set(honest.map(h => h.info.peerId)))
      const info = async (n: SpawnedNode): Promise<number> => (await (await fetch(`${n.info.http}/api/v1/node`)).json() as { blocks: number }).blocks
      // Their blocks and the record's manifest, nothing new.
      assert.equal(await info(garbage), blocks.length + 1)
      assert.equal(await info(forger), blocks.length + 1)
    } finally {
      await client.close()
    }
  })
})

describe('availability', () => {
  let auditor: SpawnedNode
  let frozen: SpawnedNode
  let gone: SpawnedNode
  before(async () => {
    auditor = await spawnNode({ args: auditorArgs({ deadlineMs: 1000 }) })
    const nodes = await Promise.all([0, 1].map(async () => await spawnNode({ bootstrap: [auditor.info.multiaddrs[0]!] })))
    frozen = nodes[0]!
    gone = nodes[1]!
  })
  after(async () => {
    if (frozen?.proc.exitCode === null) frozen.proc.kill('SIGCONT')
    await stopAll([frozen, gone, auditor])
  })

  it('a node that stops answering (frozen: timeouts) or is gone (unreachable) loses availability, not audit score', async () => {
    const block = await storeOn([frozen, gone], await randomBlock(20_000))
    await publishRecord([block])
    await waitFor('first passes', async () => {
      const r = await reputation(auditor)
      return [frozen, gone].every(n => (r.peers.get(n.info.peerId)?.counts.audit.passes ?? 0) > 0) ? true : undefined
    })
    const before = await reputation(auditor)
    frozen.proc.kill('SIGSTOP')
    await gone.kill9()
    const after = await waitFor('both below the threshold', async () => {
      const r = await reputation(auditor)
      return [frozen, gone].every(n => r.peers.get(n.info.peerId)?.eligible === false) ? r : undefined
    })
    frozen.proc.kill('SIGCONT')
    for (const n of [frozen, gone]) {
      const b = before.peers.get(n.info.peerId)!
      const a = after.peers.get(n.info.peerId)!
      assert.ok(a.availability < b.availability)
      assert.ok(a.counts.availability.failures > 0)
      assert.equal(a.counts.audit.failures, 0)
    }
    const outcomes = async (n: SpawnedNode): Promise<Set<string>> => new Set((await results(auditor, { peer: n.info.peerId })).map(r => r.outcome))
    assert.ok((await outcomes(frozen)).has('timeout'))
    assert.ok((await outcomes(gone)).has('unreachable'))
  })
})

describe('placement records, bit rot and repair', () => {
  let auditor: SpawnedNode
  let holders: SpawnedNode[] = []
  before(async () => {
    auditor = await spawnNode({ args: auditorArgs() })
    const args = ['--bootstrap', auditor.info.multiaddrs[0]!, '--auditor', auditor.info.http, '--repair-interval', '0.5']
    holders = []
    for (let i = 0; i < 4; i += 2) holders.push(...await Promise.all([0, 1].map(async () => await spawnNode({ args }))))
  })
  after(async () => { await stopAll([...holders, auditor]) })

  it('audits what placement records list, catches a rotten block, and audits the copy repair puts back', async () => {
    const peers = holders.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http }))
    const client = await Client.create({ peers, auditor: auditor.info.http, workers: 0 })
    let manifestCid: string
    try {
      const put = await client.put((async function * () { yield new Uint8Array(randomBytes(2 * 1024 * 1024 + 999)) })(), { k: 2, m: 1 })
      manifestCid = put.manifestCid
    } finally {
      await client.close()
    }
    /** The latest record any holder keeps, in the order every node applies. */
    const latestRecord = async (): Promise<PlacementRecord> => {
      let best: PlacementRecord | undefined
      for (const n of holders) {
        const res = await fetch(`${n.info.http}/api/v1/objects/${manifestCid}/placement`)
        if (res.status !== 200) { await res.arrayBuffer(); continue }
        const r = decodePlacementRecord(new Uint8Array(await res.arrayBuffer()))
        if (best === undefined || comparePlacement(r, best) > 0) best = r
      }
      assert.ok(best !== undefined, 'some holder keeps the record')
      return best
    }
    const first = await latestRecord()
    /** Blocks the holders' repair workers have put back, all told. */
    const blocksRepaired = async (): Promise<number> => {
      let total = 0
      for (const n of holders) {
        const status = await (await fetch(`${n.info.http}/api/v1/status`)).json() as { repair?: { blocksRepaired?: number } }
        total += status.repair?.blocksRepaired ?? 0
      }
      return total
    }
    const placed = placementBlocks(first).flatMap(({ block }) => block.nodes.map(peer => ({ cid: block.cid.toString(), peer })))

    // No targets were posted: the auditor found the object through the holders' records.
    await waitFor('a pass for every (block, holder) of the record', async () => {
      const rows = await results(auditor)
      return placed.every(p => rows.some(r => r.cid === p.cid && r.peer === p.peer && r.outcome === 'pass')) ? true : undefined
    }, undefined, async () => {
      const rows = await results(auditor)
      const missing = placed.filter(p => !rows.some(r => r.cid === p.cid && r.peer === p.peer && r.outcome === 'pass'))
      const outcomes = missing.map(p => `${p.cid.slice(-8)}@${p.peer.slice(-6)}: ${JSON.stringify(rows.filter(r => r.cid === p.cid && r.peer === p.peer).slice(0, 5).map(r => [r.outcome, r.code]))}`)
      const known = await (await fetch(`${auditor.info.http}/api/v1/peers`)).json() as unknown
      const records = await Promise.all(holders.map(async n => {
        const res = await fetch(`${n.info.http}/api/v1/objects/${manifestCid}/placement`)
        if (res.status !== 200) { await res.body?.cancel(); return `${n.info.peerId.slice(-6)}: no record` }
        const r = decodePlacementRecord(new Uint8Array(await res.arrayBuffer()))
        return `${n.info.peerId.slice(-6)}: v${r.version} ${missing.map(p => `${p.cid.slice(-8)} on [${placementBlocks(r).find(b => b.block.cid.toString() === p.cid)!.block.nodes.map(h => h.slice(-6)).join(', ')}]`).join('; ')}`
      }))
      const repairLog = holders.flatMap(n => n.stderr().split('\n').filter(l => /repair|placement/.test(l)).slice(-3).map(l => `${n.info.peerId.slice(-6)}: ${l.slice(0, 300)}`))
      return [`auditor ${auditor.info.peerId} knows ${JSON.stringify(known)}`, `${rows.length} results; no pass yet for:`, ...outcomes, 'records held:', ...records, 'repair log:', ...repairLog, `auditor stderr: ${auditor.stderr().slice(-3000)}`].join('\n')
    })

    // Rot one data block on its holder.
    const repairedBefore = await blocksRepaired()
    const victim = first.stripes[0]!.blocks[0]!
    const holder = holders.find(h => h.info.peerId === victim.nodes[0])!
    const { dir, file } = new NextToLast().encode(victim.cid)
    const path = join(holder.info.dataDir, 'blocks', dir, file)
    const bytes = await readFile(path)
    bytes[bytes.byteLength >> 1]! ^= 0x01
    await writeFile(path, bytes)
    const flippedAt = Date.now()

    // Caught (by an audit, or by the repair worker's own check, which quarantines it too), and
    // repaired: a newer record lists holders for the block again, or repair put a good copy back
    // on the same holder (the record does not change then), and each holder passes an audit.
    const repaired = await waitFor('a repaired record with every holder of the block passing again', async () => {
      const latest = await latestRecord()
      if (latest.version <= first.version && await blocksRepaired() <= repairedBefore) return undefined
      const block = placementBlocks(latest).find(b => b.block.cid.equals(victim.cid))!.block
      const rows = (await results(auditor)).filter(r => r.cid === victim.cid.toString() && r.issued > flippedAt)
      // A pass after the flip is a good copy: the rotten one cannot pass. The auditor stores
      // blocks too and does not audit itself; a copy repair put on it is checked below by a
      // verified read instead.
      const audited = block.nodes.filter(peer => peer !== auditor.info.peerId)
      return block.nodes.length > 0 && audited.every(peer => rows.some(r => r.peer === peer && r.outcome === 'pass')) ? { latest, block } : undefined
    }, 300_000, async () => {
      const lines = [`victim ${victim.cid.toString()} on ${holder.info.peerId}, auditor ${auditor.info.peerId}`]
      for (const n of holders) {
        const res = await fetch(`${n.info.http}/api/v1/objects/${manifestCid}/placement`)
        const r = res.status === 200 ? decodePlacementRecord(new Uint8Array(await res.arrayBuffer())) : undefined
        if (r === undefined) await res.body?.cancel()
        const nodes = r === undefined ? [] : placementBlocks(r).find(b => b.block.cid.equals(victim.cid))!.block.nodes
        const status = await (await fetch(`${n.info.http}/api/v1/status`)).json() as { repair?: unknown }
        lines.push(`${n.info.peerId}: record v${r?.version ?? '-'} sig ${r === undefined ? '-' : Buffer.from(r.sig).toString('hex').slice(0, 12)} lists [${nodes.join(', ')}]; repair ${JSON.stringify(status.repair)}`)
      }
      const rows = (await results(auditor)).filter(r => r.cid === victim.cid.toString() && r.issued > flippedAt)
      lines.push(`audits of the block since the flip: ${JSON.stringify(rows.slice(0, 12).map(r => [r.peer.slice(-6), r.outcome, r.code]))}`)
      return lines.join('\n')
    })
    // The rotten copy is never served: the holder re-hashes it and refuses it, or it is gone, or
    // repair put a good copy back there.
    const served = await fetch(`${holder.info.http}/ipfs/${victim.cid.toString()}`)
    const body = new Uint8Array(await served.arrayBuffer())
    if (served.status === 200) assert.deepEqual(await blockCid(body), victim.cid)
    else assert.ok([404, 502].includes(served.status), `the rotten holder answered ${served.status}`)
    // The repaired copy is the original block, wherever it now lives.
    for (const peer of repaired.block.nodes) {
      const n = [...holders, auditor].find(h => h.info.peerId === peer)!
      const got = new Uint8Array(await (await fetch(`${n.info.http}/ipfs/${victim.cid.toString()}`)).arrayBuffer())
      assert.deepEqual(await blockCid(got), victim.cid)
    }
    // If the rot was found by an audit first, it was counted against the holder.
    const caught = (await results(auditor, { peer: holder.info.peerId })).filter(r => r.cid === victim.cid.toString() && r.issued > flippedAt && r.outcome === 'fail')
    assert.ok(caught.every(r => r.counted && (r.code === AuditCode.CORRUPT || r.code === AuditCode.NOT_FOUND)))
  })
})

describe('framing an honest node (issue 15)', () => {
  let auditor: SpawnedNode
  let honest: SpawnedNode
  before(async () => {
    auditor = await spawnNode({ args: auditorArgs() })
    honest = await spawnNode({ bootstrap: [auditor.info.multiaddrs[0]!] })
  })
  after(async () => { await stopAll([honest, auditor]) })

  it('a wrong size and root, posted or in a stranger\'s record, with a genuine receipt, cost the holder nothing: no counted failure, no slashing report', async () => {
    const size = 300_000
    const wrong = { size: 40 * AUDIT_LEAF_BYTES, root: new Uint8Array(randomBytes(32)) }
    // The attacker uploads the block to the honest node (block PUTs are open) and keeps its receipt.
    const block = await storeOn([honest], await randomBlock(size))
    const receipt = block.receipts.get(honest.info.peerId)!
    const post = async (body: unknown): Promise<Response> => await fetch(`${auditor.info.http}/api/v1/audit/targets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const target = { cid: block.cid.toString(), size: wrong.size, root: Buffer.from(wrong.root).toString('base64'), holders: [honest.info.peerId] }
    const posted = [
      await post({ targets: [target] }),
      await post({ targets: [{ ...target, size, root: Buffer.from(merkleRoot(block.bytes)).toString('base64'), holders: [{ peer: honest.info.peerId, receipt }] }] })
    ]
    // The same through a placement record: the attacker's own object, listing the block with the
    // wrong size and root (the node keeps it, as it holds the record's manifest). The genuine
    // record follows once the auditor has acted on the first.
    await publishRecord([{ block, ...wrong }])
    const cid = block.cid.toString()
    await waitFor('a first audit of the block', async () => (await results(auditor, { peer: honest.info.peerId })).some(r => r.cid === cid) ? true : undefined)
    await publishRecord([block])
    const rows = await waitFor('passes of the block', async () => {
      const rows = (await results(auditor, { peer: honest.info.peerId })).filter(r => r.cid === cid)
      return rows.some(r => r.outcome === 'fail' && r.counted) || rows.filter(r => r.outcome === 'pass').length >= 5 ? rows : undefined
    })
    assert.deepEqual(rows.filter(r => r.counted && r.outcome !== 'pass').map(r => r.code), [])
    const rep = await reputation(auditor)
    assert.equal(rep.peers.get(honest.info.peerId)?.counts.audit.failures, 0)
    assert.equal(rep.peers.get(honest.info.peerId)?.eligible, true)
    assert.deepEqual(rep.slashReports.filter(s => s.peer === honest.info.peerId), [])
    // The endpoint that took targets from anyone is gone, whatever the body (not even read).
    for (const res of posted) {
      assert.equal(res.status, 410)
      assert.equal((await res.json() as { code: string }).code, 'ERR_AUDIT_TARGETS_REMOVED')
    }
    const huge = await fetch(`${auditor.info.http}/api/v1/audit/targets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(4 * 1024 * 1024) })
    assert.equal(huge.status, 410)
    await huge.arrayBuffer()
  })
})

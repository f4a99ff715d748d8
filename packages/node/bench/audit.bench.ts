// Audit throughput: how many challenges an auditor verifies per second (decode, Merkle proof,
// Ed25519 signature), and what answering and recording roots cost, each beside raw SHA-256
// (node:crypto) of the same bytes, measured in the same run.
import { createHash, randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { blockCid } from '@p2pdv/core'
import { AUDIT_LEAF_BYTES, leafCount, merkleProof, merkleRoot } from '@p2pdv/core/audit'
import { auditResponsePayload, checkAuditProof, decodeAuditResponse, encodeAuditResponse } from '@p2pdv/core/wire'
import { mbps, printTable } from '../../../scripts/bench-util.ts'

const BLOCK = 1024 * 1024 + 16 // a sealed 1 MiB chunk
const CHALLENGES = Number(process.env.BENCH_CHALLENGES ?? 2000)
const BLOCKS = 16

const key = await generateKeyPair('Ed25519')
const peer = peerIdFromPrivateKey(key).toString()
const publicKey = peerIdFromPrivateKey(key).publicKey!
const blocks = await Promise.all(Array.from({ length: BLOCKS }, async () => {
  const bytes = new Uint8Array(randomBytes(BLOCK))
  return { bytes, cid: await blockCid(bytes), root: merkleRoot(bytes) }
}))

// Signed answers to random challenges, as nodes send them.
const answers = await Promise.all(Array.from({ length: CHALLENGES }, async (_, i) => {
  const b = blocks[i % BLOCKS]!
  const challenge = { cid: b.cid, index: Math.floor(Math.random() * leafCount(BLOCK)), leaf: AUDIT_LEAF_BYTES, nonce: new Uint8Array(randomBytes(32)), auditor: peer, deadline: Date.now() + 60_000 }
  const proof = merkleProof(b.bytes, challenge.index)
  const time = Date.now()
  const bytes = encodeAuditResponse({ v: 1, ok: true, peer, proof, time, sig: await key.sign(auditResponsePayload(peer, challenge, proof, time)) })
  return { b, challenge, bytes }
}))

function rate (fn: () => void, rounds = 3): number {
  fn() // warm-up
  let best = Infinity
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    fn()
    best = Math.min(best, (performance.now() - t) / 1000)
  }
  return best
}

async function rateAsync (fn: () => Promise<void>, rounds = 3): Promise<number> {
  await fn()
  let best = Infinity
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    await fn()
    best = Math.min(best, (performance.now() - t) / 1000)
  }
  return best
}

const sha = (bytes: Uint8Array): void => { createHash('sha256').update(bytes).digest() }

const verifyAll = await rateAsync(async () => {
  for (const a of answers) {
    const r = decodeAuditResponse(a.bytes)
    if (!r.ok) throw new Error('refusal')
    checkAuditProof(a.challenge, { root: a.b.root, size: BLOCK, leafBytes: AUDIT_LEAF_BYTES }, r.proof)
    if (!await publicKey.verify(auditResponsePayload(peer, a.challenge, r.proof, r.time), r.sig)) throw new Error('bad signature')
  }
})
const proofsOnly = rate(() => {
  for (const a of answers) {
    const r = decodeAuditResponse(a.bytes)
    if (r.ok) checkAuditProof(a.challenge, { root: a.b.root, size: BLOCK, leafBytes: AUDIT_LEAF_BYTES }, r.proof)
  }
})
const hashResponses = rate(() => { for (const a of answers) sha(a.bytes) })

const ANSWERED = 32
const answer = rate(() => { for (let i = 0; i < ANSWERED; i++) merkleProof(blocks[i % BLOCKS]!.bytes, i) }, 2)
const roots = rate(() => { for (let i = 0; i < ANSWERED; i++) merkleRoot(blocks[i % BLOCKS]!.bytes) }, 2)
const hashBlocks = rate(() => { for (let i = 0; i < ANSWERED; i++) sha(blocks[i % BLOCKS]!.bytes) }, 2)

printTable(`Audits (${CHALLENGES} challenges on ${BLOCKS} blocks of ${BLOCK} bytes; ${ANSWERED} blocks answered)`, [
  { name: 'auditor: verify a challenge (decode, proof, Ed25519 signature)', value: CHALLENGES / verifyAll, baselineName: 'SHA-256 of the response bytes', baseline: CHALLENGES / hashResponses, unit: 'ops/s', better: 'higher' },
  { name: 'auditor: verify the Merkle proof only', value: CHALLENGES / proofsOnly, baselineName: 'SHA-256 of the response bytes', baseline: CHALLENGES / hashResponses, unit: 'ops/s', better: 'higher' },
  { name: 'node: answer a challenge (whole-block Merkle proof)', value: mbps(ANSWERED * BLOCK, answer), baselineName: 'SHA-256 of the block', baseline: mbps(ANSWERED * BLOCK, hashBlocks), unit: 'MB/s', better: 'higher' },
  { name: 'uploader: audit root of a block', value: mbps(ANSWERED * BLOCK, roots), baselineName: 'SHA-256 of the block', baseline: mbps(ANSWERED * BLOCK, hashBlocks), unit: 'MB/s', better: 'higher' }
])

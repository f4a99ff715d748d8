/**
 * Answers audit challenges, whichever plane they arrive on (libp2p `/p2pdv/audit/1.0.0` or
 * `POST /api/v1/audit`): read the block through the verified blockstore (a rotten copy is
 * quarantined and refused, never proven), build the Merkle proof for the challenged leaf, and sign
 * (challenge, proof hash) with the node's identity key. Never throws: every failure is an encoded
 * refusal with a code. Work is bounded: a few audits at a time, the rest are told to come back.
 */
import { randomBytes } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { isP2pdvError } from '@p2pdv/core/errors'
import { leafCount, merkleProof, type MerkleProof } from '@p2pdv/core/audit'
import {
  AuditCode, auditResponsePayload, decodeAuditChallenge, encodeAuditResponse, MAX_AUDIT_WINDOW_MS, WireErrorCode, type AuditChallenge, type AuditResponse
} from '@p2pdv/core/wire'
import type { Logger } from 'pino'
import type { NodeMetrics } from '../metrics.ts'
import { BlockstoreErrorCode, type VerifiedBlockstore } from '../verified-blockstore.ts'
import { identitySigner, type Sign } from '../identity-signer.ts'

/** Audits answered at once; each reads one block (≤ 2 MiB) and hashes it. */
export const MAX_CONCURRENT_AUDITS = 4

export interface AuditResponderDeps {
  peerId: string
  privateKey: PrivateKey
  blockstore: VerifiedBlockstore
  metrics: NodeMetrics
  log: Logger
  /** Test fault: answer with a made-up proof (validly signed). */
  forgeProofs?: boolean
  maxConcurrent?: number
  now?: () => number
}

export class AuditResponder {
  private readonly deps: AuditResponderDeps
  private readonly sign: Sign
  private active = 0

  constructor (deps: AuditResponderDeps) {
    this.deps = deps
    this.sign = identitySigner(deps.privateKey)
  }

  /** Decodes a challenge and answers it; the result is an encoded AuditResponse. */
  async answer (bytes: Uint8Array): Promise<{ body: Uint8Array, response: AuditResponse }> {
    const response = await this.respond(bytes)
    this.deps.metrics.auditsAnswered.inc({ result: response.ok ? 'ok' : response.code })
    return { body: encodeAuditResponse(response), response }
  }

  private refuse (code: string, message: string): AuditResponse {
    return { v: 1, ok: false, code, message }
  }

  private async respond (bytes: Uint8Array): Promise<AuditResponse> {
    const { deps } = this
    let challenge: AuditChallenge
    try {
      challenge = decodeAuditChallenge(bytes)
    } catch (err) {
      return this.refuse(isP2pdvError(err) ? err.code : WireErrorCode.MALFORMED, (err as Error).message)
    }
    const now = (deps.now ?? Date.now)()
    if (challenge.deadline < now) return this.refuse(AuditCode.EXPIRED, 'the challenge deadline has passed')
    if (challenge.deadline > now + MAX_AUDIT_WINDOW_MS) return this.refuse(AuditCode.BAD_CHALLENGE, `deadlines are at most ${MAX_AUDIT_WINDOW_MS} ms ahead`)
    if (this.active >= (deps.maxConcurrent ?? MAX_CONCURRENT_AUDITS)) return this.refuse(AuditCode.BUSY, 'too many audits in progress; ask again later')
    this.active++
    try {
      let block: Uint8Array
      try {
        block = await deps.blockstore.getVerified(challenge.cid)
      } catch (err) {
        if (isP2pdvError(err, BlockstoreErrorCode.CORRUPT)) return this.refuse(AuditCode.CORRUPT, 'the stored copy is damaged and was quarantined')
        if (isP2pdvError(err, BlockstoreErrorCode.NOT_FOUND)) return this.refuse(AuditCode.NOT_FOUND, 'the block is not stored here')
        throw err
      }
      // Leaves of the size the auditor's recorded root uses (the challenge says which).
      const leaves = leafCount(block.byteLength, challenge.leaf)
      if (challenge.index >= leaves) return this.refuse(AuditCode.BAD_CHALLENGE, `the block has ${leaves} leaves of ${challenge.leaf} bytes`)
      const proof = deps.forgeProofs === true ? forgedProof(block, challenge.index, challenge.leaf) : merkleProof(block, challenge.index, challenge.leaf)
      const time = Date.now()
      const sig = await this.sign(auditResponsePayload(deps.peerId, challenge, proof, time))
      return { v: 1, ok: true, peer: deps.peerId, proof, time, sig }
    } catch (err) {
      deps.log.error({ err, cid: challenge.cid.toString() }, 'could not answer an audit')
      return this.refuse(AuditCode.INTERNAL, 'the node could not answer')
    } finally {
      this.active--
    }
  }
}

/** What a cheater that kept nothing useful would send: the right shape, made-up contents. */
function forgedProof (block: Uint8Array, index: number, leafBytes: number): MerkleProof {
  const honest = merkleProof(block, index, leafBytes)
  return {
    index,
    leaf: new Uint8Array(randomBytes(honest.leaf.byteLength)),
    path: honest.path.map(step => step === null ? null : new Uint8Array(randomBytes(32)))
  }
}

/**
 * Access read from several independent RPC endpoints: a keeper releases a share only when every
 * endpoint answers within the timeout and all answers agree. One lying or intercepted endpoint
 * can then no longer unlock videos (it can only make the keeper refuse), and a hung one costs a
 * viewer at most the timeout, never a release. A quorum of one is still bounded by the timeout.
 *
 * Trust: the keeper trusts that not all of its endpoints lie the same way at once; endpoints run
 * by the same provider, or reached through one unauthenticated proxy, count as one.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { OracleErrorCode, type AccessOracle, type Custody, type Hex, type KeeperDomain, type VideoId, type VideoRecord } from '@p2pdv/core/keys'

/** Each quorum read gives up after this long: the keeper then refuses (fails closed). */
export const DEFAULT_QUORUM_TIMEOUT_MS = 5_000
/** More endpoints than this add latency, not safety. */
export const MAX_QUORUM_ENDPOINTS = 7

export interface QuorumOracleOptions {
  /** Per read, all endpoints together (default DEFAULT_QUORUM_TIMEOUT_MS). */
  timeoutMs?: number
}

function unavailable (what: string, failed: number, of: number, cause?: unknown): P2pdvError {
  return new P2pdvError(OracleErrorCode.UNAVAILABLE, `${failed} of ${of} RPC endpoints did not answer ${what}`, {
    hint: 'Try again later; the keeper operator should check its --rpc endpoints.',
    details: { failed, of },
    ...(cause === undefined ? {} : { cause })
  })
}

function sameDomain (a: KeeperDomain, b: KeeperDomain): boolean {
  return a.chainId === b.chainId && a.verifyingContract.toLowerCase() === b.verifyingContract.toLowerCase()
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b))
}

function sameVideo (a: VideoRecord | undefined, b: VideoRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.owner.toLowerCase() === b.owner.toLowerCase() && sameBytes(a.keyFingerprint, b.keyFingerprint) && a.manifest === b.manifest
}

function sameCustody (a: Custody | undefined, b: Custody | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.epoch === b.epoch && a.threshold === b.threshold && a.keepers.length === b.keepers.length &&
    a.keepers.every((k, i) => k.toLowerCase() === b.keepers[i]!.toLowerCase())
}

export class QuorumOracle implements AccessOracle {
  readonly domain: KeeperDomain
  readonly size: number
  private readonly members: AccessOracle[]
  private readonly timeoutMs: number

  constructor (members: AccessOracle[], o: QuorumOracleOptions = {}) {
    if (members.length < 1 || members.length > MAX_QUORUM_ENDPOINTS) {
      throw new P2pdvError('ERR_CONFIG', `a keeper reads the chain from 1 to ${MAX_QUORUM_ENDPOINTS} RPC endpoints, not ${members.length}`, { hint: 'Pass --rpc URL once per independent endpoint.' })
    }
    const domain = members[0]!.domain
    if (!members.every(m => sameDomain(m.domain, domain))) {
      throw new P2pdvError('ERR_CONFIG', 'the RPC endpoints serve different chains or deployments', { hint: 'Every --rpc must serve the chain and contracts of --chain FILE.' })
    }
    this.domain = domain
    this.members = members
    this.size = members.length
    this.timeoutMs = o.timeoutMs ?? DEFAULT_QUORUM_TIMEOUT_MS
  }

  /** Asks every endpoint; resolves only with one answer all of them gave in time. */
  private async agree<T> (what: string, read: (m: AccessOracle) => Promise<T>, same: (a: T, b: T) => boolean): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(unavailable(`${what} within ${this.timeoutMs} ms`, this.size, this.size)) }, this.timeoutMs)
    })
    let settled: Array<PromiseSettledResult<T>>
    try {
      // A hung endpoint's read keeps running in the background until its own transport timeout.
      settled = await Promise.race([Promise.allSettled(this.members.map(async m => await read(m))), deadline])
    } finally {
      clearTimeout(timer)
    }
    const failed = settled.filter(s => s.status === 'rejected')
    if (failed.length > 0) throw unavailable(what, failed.length, this.size, failed[0]!.reason)
    const values = settled.map(s => (s as PromiseFulfilledResult<T>).value)
    if (!values.every(v => same(v, values[0]!))) {
      throw new P2pdvError(OracleErrorCode.DISAGREE, `the keeper's ${this.size} RPC endpoints disagree ${what}`, {
        hint: 'At least one endpoint lies or lags behind; nothing was released. Try again shortly; the keeper operator should check its --rpc endpoints.'
      })
    }
    return values[0]!
  }

  async hasAccess (video: VideoId, viewer: Hex): Promise<boolean> {
    return await this.agree('on access', async m => await m.hasAccess(video, viewer), (a, b) => a === b)
  }

  async video (video: VideoId): Promise<VideoRecord | undefined> {
    return await this.agree('on the video record', async m => await m.video(video), sameVideo)
  }

  async custody (video: VideoId): Promise<Custody | undefined> {
    return await this.agree('on custody', async m => await m.custody(video), sameCustody)
  }

  async roles (address: Hex): Promise<{ creator: boolean, nodeHost: boolean }> {
    return await this.agree('on roles', async m => await m.roles(address), (a, b) => a.creator === b.creator && a.nodeHost === b.nodeHost)
  }
}

// Licensing on a real anvil: license terms, and the claim → counter-notice → resolution state
// machine; an upheld claim blocks the video (access closes for all but the owner).
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseEventLogs, type Address, type Hex } from 'viem'
import { AccessManagerAbi, ClaimState, LicensingAbi, Policy, VideoRegistryAbi } from '../src/index.ts'
import { randomId, reverts, send, startChain, type TestChain } from './fixtures/chain.ts'

const EVIDENCE = 'bafkreievidence'
const COUNTER = 'bafkreicounter'

describe('Licensing', () => {
  let chain: TestChain
  let arbiter: Address, alice: Address, bob: Address, carol: Address
  let lic: Address

  before(async () => {
    chain = await startChain()
    ;[, arbiter, alice, bob, carol] = chain.accounts as [Address, Address, Address, Address, Address]
    lic = chain.c.licensing
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const video = async (): Promise<Hex> => {
    const id = randomId()
    await send(chain.client, alice, { address: chain.c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [id, 'bafy', '', `0x${'ab'.repeat(32)}`, Policy.public, 0] })
    return id
  }
  const file = async (id: Hex, from = bob): Promise<bigint> => {
    const r = await send(chain.client, from, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [id, EVIDENCE] })
    return parseEventLogs({ abi: LicensingAbi, logs: r.logs, eventName: 'ClaimFiled' })[0]!.args.claimId
  }
  const claim = async (claimId: bigint) => await chain.client.readContract({ address: lic, abi: LicensingAbi, functionName: 'getClaim', args: [claimId] })
  const access = async (id: Hex, viewer: Address): Promise<boolean> => await chain.client.readContract({ address: chain.c.accessManager, abi: AccessManagerAbi, functionName: 'hasAccess', args: [id, viewer] })

  it('sets license terms (manager only, bounded)', async () => {
    const id = await video()
    await send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'setTerms', args: [id, 1, 'bafkreiterms'] })
    assert.deepEqual(await chain.client.readContract({ address: lic, abi: LicensingAbi, functionName: 'termsOf', args: [id] }), { license: 1, termsCid: 'bafkreiterms' })
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'setTerms', args: [id, 1, ''] }), 'NotVideoManager', [id, bob])
    const unknown = randomId()
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'setTerms', args: [unknown, 1, ''] }), 'UnknownVideo', [unknown])
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'setTerms', args: [id, 9, ''] }), 'InvalidLicense', [9])
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'setTerms', args: [id, 1, 'x'.repeat(129)] }), 'InvalidCid')
  })

  it('claim → counter-notice → upheld: the video is blocked for everyone but its owner', async () => {
    const id = await video()
    const claimId = await file(id)
    let c = await claim(claimId)
    assert.equal(c.state, ClaimState.open)
    assert.equal(c.claimant, bob)
    assert.equal(c.evidenceCid, EVIDENCE)
    assert.equal(await access(id, carol), true, 'filing alone changes nothing')
    await send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [claimId, COUNTER] })
    c = await claim(claimId)
    assert.equal(c.state, ClaimState.countered)
    assert.equal(c.counterCid, COUNTER)
    const r = await send(chain.client, arbiter, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [claimId, true, 'bafkreidecision'] })
    assert.deepEqual(parseEventLogs({ abi: LicensingAbi, logs: r.logs, eventName: 'ClaimResolved' })[0]?.args, { claimId, upheld: true, arbiter, resolutionCid: 'bafkreidecision' })
    assert.equal((await claim(claimId)).state, ClaimState.upheld)
    assert.equal(await access(id, carol), false)
    assert.equal(await access(id, alice), true)
    // A blocked video takes no new claims.
    await reverts(send(chain.client, carol, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [id, EVIDENCE] }), 'VideoUnavailable', [id])
  })

  it('rejected and withdrawn claims leave the video alone', async () => {
    const id = await video()
    const a = await file(id)
    await send(chain.client, arbiter, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [a, false, ''] })
    assert.equal((await claim(a)).state, ClaimState.rejected)
    const b = await file(id, carol)
    await send(chain.client, carol, { address: lic, abi: LicensingAbi, functionName: 'withdrawClaim', args: [b] })
    assert.equal((await claim(b)).state, ClaimState.withdrawn)
    assert.equal(await access(id, bob), true)
    assert.equal(await chain.client.readContract({ address: lic, abi: LicensingAbi, functionName: 'claimCount' }), 2n)
  })

  it('refuses transitions the state machine does not have', async () => {
    const id = await video()
    const claimId = await file(id)
    await reverts(send(chain.client, carol, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [claimId, COUNTER] }), 'NotVideoManager', [id, carol])
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [claimId, ''] }), 'InvalidCid')
    await reverts(send(chain.client, carol, { address: lic, abi: LicensingAbi, functionName: 'withdrawClaim', args: [claimId] }), 'NotClaimant', [claimId, carol])
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [claimId, true, ''] }), 'AccessControlUnauthorizedAccount')
    await reverts(send(chain.client, arbiter, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [claimId, true, 'x'.repeat(129)] }), 'InvalidCid')
    await send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [claimId, COUNTER] })
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [claimId, COUNTER] }), 'InvalidClaimState', [claimId, ClaimState.countered])
    await send(chain.client, arbiter, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [claimId, false, ''] })
    await reverts(send(chain.client, arbiter, { address: lic, abi: LicensingAbi, functionName: 'resolve', args: [claimId, true, ''] }), 'InvalidClaimState', [claimId, ClaimState.rejected])
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'withdrawClaim', args: [claimId] }), 'InvalidClaimState', [claimId, ClaimState.rejected])
    await reverts(chain.client.readContract({ address: lic, abi: LicensingAbi, functionName: 'getClaim', args: [99n] }), 'UnknownClaim', [99n])
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'counterNotice', args: [99n, COUNTER] }), 'UnknownClaim', [99n])
  })

  it('refuses claims on unknown, retired or own videos, and without evidence', async () => {
    const id = await video()
    const unknown = randomId()
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [unknown, EVIDENCE] }), 'UnknownVideo', [unknown])
    await reverts(send(chain.client, alice, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [id, EVIDENCE] }), 'OwnerCannotClaim', [id])
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [id, ''] }), 'InvalidCid')
    await send(chain.client, alice, { address: chain.c.videoRegistry, abi: VideoRegistryAbi, functionName: 'retire', args: [id] })
    await reverts(send(chain.client, bob, { address: lic, abi: LicensingAbi, functionName: 'fileClaim', args: [id, EVIDENCE] }), 'VideoUnavailable', [id])
  })
})

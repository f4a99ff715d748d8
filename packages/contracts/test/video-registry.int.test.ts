// VideoRegistry on a real anvil: registration, updates, delegates, transfer, retirement, blocking,
// events, and every revert path with its custom error.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseEventLogs, zeroAddress, type Address, type Hex } from 'viem'
import { VideoRegistryAbi } from '../src/index.ts'
import { impersonate, randomId, reverts, send, startChain, type TestChain } from './fixtures/chain.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const LISTING = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
const FP = `0x${'ab'.repeat(32)}` as Hex

describe('VideoRegistry', () => {
  let chain: TestChain
  let alice: Address, bob: Address, carol: Address
  let registry: Address

  before(async () => {
    chain = await startChain()
    ;[, , alice, bob, carol] = chain.accounts as [Address, Address, Address, Address, Address]
    registry = chain.c.videoRegistry
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const register = async (from: Address, id: Hex, policy = 0, rating = 1, listing = LISTING): Promise<void> => {
    await send(chain.client, from, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, listing, FP, policy, rating] })
  }
  const get = async (id: Hex) => await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'getVideo', args: [id] })

  it('registers a video for the caller with every field, and logs it', async () => {
    const id = randomId()
    const receipt = await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, LISTING, FP, 1, 2] })
    const v = await get(id)
    assert.equal(v.owner, alice)
    assert.equal(v.manifestCid, CID)
    assert.equal(v.listingCid, LISTING)
    assert.equal(v.keyFingerprint, FP)
    assert.equal(v.policy, 1)
    assert.equal(v.rating, 2)
    assert.equal(v.retired, false)
    assert.ok(v.registeredAt > 0n)
    const [log] = parseEventLogs({ abi: VideoRegistryAbi, logs: receipt.logs, eventName: 'VideoRegistered' })
    assert.deepEqual(log?.args, { id, owner: alice, manifestCid: CID, listingCid: LISTING, keyFingerprint: FP, policy: 1, rating: 2 })
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'videoCount' }), 1n)
    assert.deepEqual(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'accessInfo', args: [id] }), [alice, 1, true])
  })

  it('accepts an empty listing CID (the listing document comes later)', async () => {
    const id = randomId()
    await register(alice, id, 0, 0, '')
    assert.equal((await get(id)).listingCid, '')
  })

  it('refuses a taken id, the zero id, and bad content fields', async () => {
    const id = randomId()
    await register(alice, id)
    const call = (args: readonly [Hex, string, string, Hex, number, number], from = bob) =>
      send(chain.client, from, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args })
    await reverts(call([id, CID, '', FP, 0, 0]), 'VideoAlreadyRegistered', [id])
    await reverts(call([`0x${'00'.repeat(32)}`, CID, '', FP, 0, 0]), 'InvalidVideoId')
    await reverts(call([randomId(), '', '', FP, 0, 0]), 'InvalidCid')
    await reverts(call([randomId(), 'b'.repeat(129), '', FP, 0, 0]), 'InvalidCid')
    await reverts(call([randomId(), CID, 'b'.repeat(129), FP, 0, 0]), 'InvalidCid')
    await reverts(call([randomId(), CID, '', `0x${'00'.repeat(32)}`, 0, 0]), 'InvalidFingerprint')
    await reverts(call([randomId(), CID, '', FP, 4, 0]), 'InvalidPolicy', [4])
    await reverts(call([randomId(), CID, '', FP, 0, 5]), 'InvalidRating', [5])
  })

  it('lets the owner and approved delegates update, and nobody else', async () => {
    const id = randomId()
    await register(alice, id)
    const newFp = `0x${'cd'.repeat(32)}` as Hex
    const update = (from: Address) => send(chain.client, from, { address: registry, abi: VideoRegistryAbi, functionName: 'update', args: [id, LISTING, CID, newFp] })
    await reverts(update(bob), 'NotVideoManager', [id, bob])
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, true] })
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'canManage', args: [id, bob] }), true)
    const receipt = await update(bob)
    const [log] = parseEventLogs({ abi: VideoRegistryAbi, logs: receipt.logs, eventName: 'VideoUpdated' })
    assert.deepEqual(log?.args, { id, manifestCid: LISTING, listingCid: CID, keyFingerprint: newFp })
    const v = await get(id)
    assert.equal(v.keyFingerprint, newFp)
    assert.equal(v.owner, alice, 'a delegate manages but does not own')
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, false] })
    await reverts(update(bob), 'NotVideoManager', [id, bob])
    await reverts(update(carol), 'NotVideoManager', [id, carol])
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'update', args: [id, '', '', newFp] }), 'InvalidCid')
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'update', args: [randomId(), CID, '', newFp] }), 'UnknownVideo')
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [zeroAddress, true] }), 'ZeroAddress')
  })

  it('changes policy and rating with events and bounds', async () => {
    const id = randomId()
    await register(alice, id)
    const r1 = await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, 3] })
    assert.deepEqual(parseEventLogs({ abi: VideoRegistryAbi, logs: r1.logs, eventName: 'PolicyChanged' })[0]?.args, { id, policy: 3 })
    const r2 = await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setRating', args: [id, 4] })
    assert.deepEqual(parseEventLogs({ abi: VideoRegistryAbi, logs: r2.logs, eventName: 'RatingChanged' })[0]?.args, { id, rating: 4 })
    const v = await get(id)
    assert.equal(v.policy, 3)
    assert.equal(v.rating, 4)
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, 9] }), 'InvalidPolicy', [9])
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setRating', args: [id, 5] }), 'InvalidRating', [5])
    await reverts(send(chain.client, bob, { address: registry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id, 0] }), 'NotVideoManager')
  })

  it('transfers only by the owner, never to zero, never a retired video', async () => {
    const id = randomId()
    await register(alice, id)
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, true] })
    const transfer = (from: Address, to: Address, vid = id) => send(chain.client, from, { address: registry, abi: VideoRegistryAbi, functionName: 'transferVideo', args: [vid, to] })
    await reverts(transfer(bob, bob), 'NotVideoOwner', [id, bob])
    await reverts(transfer(alice, zeroAddress), 'ZeroAddress')
    await reverts(transfer(alice, bob, randomId()), 'UnknownVideo')
    const receipt = await transfer(alice, carol)
    assert.deepEqual(parseEventLogs({ abi: VideoRegistryAbi, logs: receipt.logs, eventName: 'VideoTransferred' })[0]?.args, { id, from: alice, to: carol })
    assert.equal((await get(id)).owner, carol)
    // Alice's delegate no longer manages it; Carol's own video now.
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'canManage', args: [id, bob] }), false)
    await send(chain.client, carol, { address: registry, abi: VideoRegistryAbi, functionName: 'retire', args: [id] })
    await reverts(transfer(carol, alice), 'VideoIsRetired', [id])
  })

  it('retires for good: no more changes, the id stays taken, access info says unavailable', async () => {
    const id = randomId()
    await register(alice, id)
    const r = await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'retire', args: [id] })
    assert.deepEqual(parseEventLogs({ abi: VideoRegistryAbi, logs: r.logs, eventName: 'VideoRetired' })[0]?.args, { id })
    assert.equal((await get(id)).retired, true)
    assert.deepEqual(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'accessInfo', args: [id] }), [alice, 0, false])
    for (const [functionName, args] of [['retire', [id]], ['setPolicy', [id, 1]], ['setRating', [id, 1]], ['update', [id, CID, '', FP]]] as const) {
      await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName, args: args as never }), 'VideoIsRetired', [id])
    }
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, '', FP, 0, 0] }), 'VideoAlreadyRegistered')
  })

  it('blocks only through the moderator role (the Licensing contract)', async () => {
    const id = randomId()
    await register(alice, id)
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setBlocked', args: [id, true] }), 'AccessControlUnauthorizedAccount')
    await impersonate(chain.client, chain.c.licensing)
    await send(chain.client, chain.c.licensing, { address: registry, abi: VideoRegistryAbi, functionName: 'setBlocked', args: [id, true] })
    assert.equal((await get(id)).blocked, true)
    assert.deepEqual(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'accessInfo', args: [id] }), [alice, 0, false])
    await reverts(send(chain.client, chain.c.licensing, { address: registry, abi: VideoRegistryAbi, functionName: 'setBlocked', args: [randomId(), true] }), 'UnknownVideo')
  })

  it('keeps each account\'s channel profile pointer, set only by that account (not its delegates)', async () => {
    const profileOf = async (a: Address) => await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'profileOf', args: [a] })
    assert.equal(await profileOf(alice), '')
    const receipt = await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [LISTING] })
    const [log] = parseEventLogs({ abi: VideoRegistryAbi, logs: receipt.logs, eventName: 'ProfileUpdated' })
    assert.deepEqual(log?.args, { creator: alice, cid: LISTING })
    assert.equal(await profileOf(alice), LISTING)
    // A delegate of alice sets its own pointer, never hers.
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, true] })
    await send(chain.client, bob, { address: registry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [CID] })
    assert.equal(await profileOf(alice), LISTING)
    assert.equal(await profileOf(bob), CID)
    await reverts(send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setProfile', args: ['b'.repeat(129)] }), 'InvalidCid', [])
    await send(chain.client, alice, { address: registry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [''] })
    assert.equal(await profileOf(alice), '')
  })

  it('reports unknown videos', async () => {
    const id = randomId()
    await reverts(chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'getVideo', args: [id] }), 'UnknownVideo', [id])
    assert.deepEqual(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'accessInfo', args: [id] }), [zeroAddress, 0, true])
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'canManage', args: [id, alice] }), false)
  })

  it('hands admin to the timelock; the deployer keeps nothing', async () => {
    const admin = '0x0000000000000000000000000000000000000000000000000000000000000000'
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'hasRole', args: [admin, chain.c.timelock] }), true)
    assert.equal(await chain.client.readContract({ address: registry, abi: VideoRegistryAbi, functionName: 'hasRole', args: [admin, chain.deployment.deployer] }), false)
  })
})

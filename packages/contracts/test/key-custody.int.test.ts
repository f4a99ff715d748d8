// KeyCustody on a real anvil: who may set a video's keepers, epochs that only grow, keeper-set
// validation, log anchors that only grow, events.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseEventLogs, zeroAddress, type Address, type Hex } from 'viem'
import { KeyCustodyAbi, VideoRegistryAbi } from '../src/index.ts'
import { randomId, reverts, send, startChain, type TestChain } from './fixtures/chain.ts'

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const FP = `0x${'ab'.repeat(32)}` as Hex

describe('KeyCustody', () => {
  let chain: TestChain
  let alice: Address, bob: Address, k1: Address, k2: Address, k3: Address
  let custody: Address

  before(async () => {
    chain = await startChain()
    ;[, , alice, bob, k1, k2, k3] = chain.accounts as [Address, Address, Address, Address, Address, Address, Address]
    custody = chain.c.keyCustody
  })
  after(async () => { await chain?.stop() })
  beforeEach(async () => { await chain.reset() })

  const video = async (owner: Address): Promise<Hex> => {
    const id = randomId()
    await send(chain.client, owner, { address: chain.c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [id, CID, '', FP, 1, 0] })
    return id
  }
  const set = async (from: Address, id: Hex, epoch: number, threshold: number, keepers: Address[]) =>
    await send(chain.client, from, { address: custody, abi: KeyCustodyAbi, functionName: 'setCustody', args: [id, epoch, threshold, keepers] })
  const get = async (id: Hex) => await chain.client.readContract({ address: custody, abi: KeyCustodyAbi, functionName: 'custodyOf', args: [id] })

  it('the owner sets keepers, threshold and epoch; it is read back and logged', async () => {
    const id = await video(alice)
    assert.deepEqual(await get(id), [0, 0, []])
    const receipt = await set(alice, id, 0, 2, [k1, k2, k3])
    assert.deepEqual(await get(id), [0, 2, [k1, k2, k3]])
    const [log] = parseEventLogs({ abi: KeyCustodyAbi, logs: receipt.logs, eventName: 'CustodySet' })
    assert.deepEqual(log?.args, { video: id, epoch: 0, threshold: 2, keepers: [k1, k2, k3], by: alice })
  })

  it('a refresh needs a newer epoch; a delegate may set it, a stranger may not', async () => {
    const id = await video(alice)
    await set(alice, id, 0, 2, [k1, k2, k3])
    await reverts(set(alice, id, 0, 2, [k1, k2]), 'StaleEpoch', [id, 0, 0])
    await reverts(set(bob, id, 1, 2, [k1, k2]), 'NotVideoManager', [id, bob])
    await send(chain.client, alice, { address: chain.c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [bob, true] })
    await set(bob, id, 1, 2, [k2, k3])
    assert.deepEqual(await get(id), [1, 2, [k2, k3]])
    await reverts(set(alice, randomId(), 0, 2, [k1, k2]), 'NotVideoManager')
  })

  it('refuses keeper sets that are too small, too large, repeated or zero, and bad thresholds', async () => {
    const id = await video(alice)
    await reverts(set(alice, id, 0, 2, [k1]), 'InvalidKeeperSet')
    await reverts(set(alice, id, 0, 2, [k1, k1]), 'InvalidKeeperSet')
    await reverts(set(alice, id, 0, 2, [k1, zeroAddress]), 'InvalidKeeperSet')
    await reverts(set(alice, id, 0, 2, Array.from({ length: 33 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address)), 'InvalidKeeperSet')
    await reverts(set(alice, id, 0, 1, [k1, k2]), 'InvalidThreshold', [1, 2n])
    await reverts(set(alice, id, 0, 3, [k1, k2]), 'InvalidThreshold', [3, 2n])
  })

  it('a keeper anchors ever longer logs; the latest anchor is public', async () => {
    const head1 = `0x${'11'.repeat(32)}` as Hex
    const head2 = `0x${'22'.repeat(32)}` as Hex
    const r = await send(chain.client, k1, { address: custody, abi: KeyCustodyAbi, functionName: 'anchor', args: [5n, head1] })
    const [log] = parseEventLogs({ abi: KeyCustodyAbi, logs: r.logs, eventName: 'LogAnchored' })
    assert.deepEqual(log?.args, { keeper: k1, length: 5n, head: head1 })
    await reverts(send(chain.client, k1, { address: custody, abi: KeyCustodyAbi, functionName: 'anchor', args: [5n, head2] }), 'AnchorNotNewer', [5n, 5n])
    await send(chain.client, k1, { address: custody, abi: KeyCustodyAbi, functionName: 'anchor', args: [9n, head2] })
    const [length, , head] = await chain.client.readContract({ address: custody, abi: KeyCustodyAbi, functionName: 'anchors', args: [k1] })
    assert.deepEqual([length, head], [9n, head2])
    // Anchors are per keeper.
    await send(chain.client, k2, { address: custody, abi: KeyCustodyAbi, functionName: 'anchor', args: [1n, head1] })
  })
})

// The per-contract chain functions on a plain context (no ChainClient), against a real anvil:
// one context's writes go out one at a time (no two take the same nonce), reads work without a
// wallet, and the key oracle runs on a plain context as on a ChainClient.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createWalletClient, http, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import {
  connectChain, createChainContext, custodyOf, getVideo, grant, hasAccess, listVideos, minStake, parseChainConfig, registerVideo, setCustody, setPolicy,
  signerAddress, type ChainConfig, type ChainContext
} from '@p2pdv/chain'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'

const FP = `0x${'cd'.repeat(32)}` as Hex
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const id = (): Hex => toHex(randomBytes(32))
const viewer = (): Hex => toHex(randomBytes(20))

describe('chain functions on a context', () => {
  let anvil: Anvil
  let config: ChainConfig
  let creator: ChainContext, reader: ChainContext

  before(async () => {
    anvil = await startAnvil()
    const deployer = privateKeyToAccount(ANVIL_KEYS[0])
    const account = privateKeyToAccount(ANVIL_KEYS[1])
    const d = await deployAll(createWalletClient({ account: deployer, transport: http(anvil.rpc) }), {
      allocations: [{ to: account.address, amount: 1_000n * WEI_PER_TOKEN }],
      params: { minStake: 100n * WEI_PER_TOKEN }
    })
    config = parseChainConfig({ rpc: anvil.rpc, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }, 'test')
    creator = await connectChain(config, { account, pollingIntervalMs: 50 })
    reader = await connectChain(config)
  })
  after(async () => { await anvil?.stop() })

  it('sends concurrent writes of one context one at a time, each mined', async () => {
    const v = id()
    await registerVideo(creator, { id: v, manifestCid: CID, keyFingerprint: FP, policy: 'private' })
    const viewers = [viewer(), viewer(), viewer(), viewer()]
    const receipts = await Promise.all(viewers.map(async x => await grant(creator, v, x)))
    assert.ok(receipts.every(r => r.status === 'success'))
    assert.deepEqual(await Promise.all(viewers.map(async x => await hasAccess(reader, v, x))), [true, true, true, true])
  })

  it('reads without a wallet and refuses writes without one by code', async () => {
    const v = id()
    await registerVideo(creator, { id: v, manifestCid: CID, keyFingerprint: FP, policy: 'public' })
    await setPolicy(creator, v, 'subscribers')
    const info = await getVideo(reader, v)
    assert.equal(info.owner, signerAddress(creator))
    assert.equal(info.policy, 'subscribers')
    assert.ok((await listVideos(reader, { owner: signerAddress(creator) })).some(x => x.id === v))
    assert.equal(await minStake(reader), 100n * WEI_PER_TOKEN)
    assert.throws(() => signerAddress(reader), { code: 'ERR_CHAIN_NO_ACCOUNT' })
    await assert.rejects(grant(reader, v, viewer()), { code: 'ERR_CHAIN_NO_ACCOUNT' })
    await assert.rejects(getVideo(reader, id()), { code: 'ERR_CHAIN_UNKNOWN_VIDEO' })
  })

  it('checks the chain id on connect, not on create', async () => {
    const wrong = createChainContext({ ...config, chainId: 1 })
    assert.equal(wrong.config.chainId, 1)
    await assert.rejects(connectChain({ ...config, chainId: 1 }), { code: 'ERR_CHAIN_MISMATCH' })
  })

  it('serves the key oracle from a plain context', async () => {
    const v = id()
    await registerVideo(creator, { id: v, manifestCid: CID, keyFingerprint: FP, policy: 'private' })
    const owner = signerAddress(creator)
    assert.equal(await custodyOf(reader, v), undefined)
    // Only registered keeper nodes may hold shares: the contract's refusal comes back as its code.
    await assert.rejects(setCustody(creator, v, { epoch: 1, threshold: 1, keepers: [owner] }), { code: 'ERR_CHAIN_INVALID_KEEPER_SET' })
    const oracle = new ChainKeyOracle(reader)
    assert.equal(await oracle.custody(v), undefined)
    assert.equal((await oracle.video(v))?.owner, owner)
    assert.equal(await oracle.video(id()), undefined)
    assert.equal(await oracle.hasAccess(v, viewer()), false)
    assert.deepEqual(await oracle.roles(owner), { creator: true, nodeHost: false })
    assert.deepEqual(await oracle.keepers(), [])
  })
})

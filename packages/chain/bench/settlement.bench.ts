// Settlement of one epoch for 10,000 nodes (simulated audit records and served bytes) against the
// plain Merkle build of the same shares (buildRewardTree: no settler can do less than hash every
// leaf), the calldata a settler and a claimant send, and the serving-receipt tally against bare
// signature recovery of the same receipts (each receipt is one ecrecover; nothing can tally faster).
import { encodeFunctionData, getAddress, recoverMessageAddress, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { RewardsAbi } from '@p2pdv/contracts/abis'
import { buildRewardTree } from '@p2pdv/contracts/merkle'
import { encodeServingReceipt, servingReceiptDigest, signServingReceipt, tallyReceipts, decodeServingReceipt } from '@p2pdv/core/receipts'
import { settleEpoch, type NodeAuditRecord } from '../src/settlement.ts'
import { median, printTable } from '../../../scripts/bench-util.ts'

const NODES = Number(process.env.P2PDV_BENCH_NODES ?? 10_000)
const RECEIPTS = Number(process.env.P2PDV_BENCH_RECEIPTS ?? 1_000)
const REPEATS = 5
const EPOCH_SECONDS = 86_400n

function nodeAddress (i: number): Address {
  return getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`)
}

const records: NodeAuditRecord[] = Array.from({ length: NODES }, (_, i) => ({
  node: nodeAddress(i),
  storedBytes: BigInt(1 + (i * 7919) % 5_000) * 1024n ** 3n,
  seconds: EPOCH_SECONDS - BigInt(i % 3_600),
  audits: 200,
  passes: 200 - (i % 7),
  servedBytes: BigInt((i * 104_729) % 50_000) * 1024n ** 2n
}))
const input = { epoch: 7n, epochSeconds: EPOCH_SECONDS, pool: { eth: 10n ** 20n, token: 10n ** 24n }, records, weights: { storageShareBps: 8_000, minPassBps: 9_000 } }

function ms (fn: () => unknown): number {
  fn()
  const runs: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now()
    fn()
    runs.push(performance.now() - t)
  }
  return median(runs)
}

const settlement = settleEpoch(input)
if (settlement.tree === undefined) throw new Error('the simulated epoch paid nobody')
const settleMs = ms(() => settleEpoch(input))
const merkleMs = ms(() => buildRewardTree(input.epoch, settlement.shares))
const tree = settlement.tree
const share = settlement.shares[0]!
const postCalldata = encodeFunctionData({ abi: RewardsAbi, functionName: 'postEpoch', args: [tree.epoch, tree.root, tree.ethTotal, tree.tokenTotal] })
const claimCalldata = encodeFunctionData({ abi: RewardsAbi, functionName: 'claim', args: [tree.epoch, share.node, share.ethAmount, share.tokenAmount, tree.proof(share.node)] })
const bytes = (hex: Hex): number => (hex.length - 2) / 2

// Receipts: one viewer's session to one node, RECEIPTS of them, each signed (EIP-191).
const viewer = privateKeyToAccount(generatePrivateKey())
const node = '12D3KooWAcVn6ggTYSqc4nDGESU3NQTdNN7tnKFCevFW6MRWDgrb'
const session = crypto.getRandomValues(new Uint8Array(16))
const receipts: Uint8Array[] = []
for (let seq = 0; seq < RECEIPTS; seq++) {
  const body = { v: 1 as const, type: 'serve-receipt' as const, viewer: Uint8Array.from(Buffer.from(viewer.address.slice(2), 'hex')), node, epoch: 7, session, seq, bytes: 16 * 1024 * 1024, issuedAt: Date.now() }
  receipts.push(encodeServingReceipt(await signServingReceipt(body, async d => await viewer.signMessage({ message: { raw: d } }))))
}
let t = performance.now()
const tally = await tallyReceipts([{ peer: node, receipts }], { epoch: 7 })
const tallyMs = (performance.now() - t) / RECEIPTS
if (tally.refusals.length !== 0) throw new Error(`the tally refused ${tally.refusals.length} good receipts`)
t = performance.now()
for (const b of receipts) {
  const r = decodeServingReceipt(b)
  await recoverMessageAddress({ message: { raw: servingReceiptDigest(r) }, signature: `0x${Buffer.from(r.sig).toString('hex')}` })
}
const recoverMs = (performance.now() - t) / RECEIPTS

printTable(`settlement of one epoch, ${NODES.toLocaleString('en')} nodes (simulated records with served bytes), median of ${REPEATS}; receipts: ${RECEIPTS.toLocaleString('en')} of one viewer`, [
  { name: 'settle epoch', value: settleMs, baselineName: 'plain Merkle build, same shares', baseline: merkleMs, unit: 'ms', better: 'lower' },
  { name: 'postEpoch calldata', value: bytes(postCalldata), baselineName: 'a 32-byte root', baseline: 32, unit: 'B', better: 'lower' },
  { name: `claim calldata (${tree.proof(share.node).length}-hash proof)`, value: bytes(claimCalldata), baselineName: 'ERC-20 transfer calldata', baseline: 68, unit: 'B', better: 'lower' },
  { name: 'tally a receipt', value: tallyMs, baselineName: 'decode + ecrecover alone', baseline: recoverMs, unit: 'ms', better: 'lower' }
])

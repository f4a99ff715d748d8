// Gas per public function, measured on a real anvil in one deterministic scenario, each figure
// beside a plain OpenZeppelin ERC-20 transfer measured in the same run. Writes the committed
// report `packages/contracts/gas-report.md` (gas is deterministic, so a changed report means the
// contracts changed) and prints the table.
import { writeFileSync } from 'node:fs'
import { encodeFunctionData, keccak256, toHex, type Address, type Hex, type TransactionReceipt } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { printTable, type Row } from '../../../scripts/bench-util.ts'
import { ANVIL_KEYS } from '../src/anvil.ts'
import {
  AccessManagerAbi, buildRewardTree, ETH, LicensingAbi, NodeRegistryAbi, P2PVGovernorAbi, P2PVTokenAbi, Policy, ProtocolParamsAbi, RewardsAbi, VideoRegistryAbi
} from '../src/index.ts'
import {
  MintableERC1155Abi, MintableERC1155Bytecode, MintableERC20Abi, MintableERC20Bytecode, MintableERC721Abi, MintableERC721Bytecode, PlainERC20Abi, PlainERC20Bytecode
} from '../src/generated/test-contracts.ts'
import { ETHER, latestTimestamp, P2PV, send, startChain, TEST_GOVERNANCE, TEST_PARAMS, travel } from '../test/fixtures/chain.ts'

const REPORT = new URL('../gas-report.md', import.meta.url)
const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
const FP = keccak256(toHex('fingerprint'))
const id = (label: string): Hex => keccak256(toHex(label))

const chain = await startChain()
const rows: Array<{ contract: string, fn: string, note: string, gas: bigint }> = []
const measure = (contract: string, fn: string, note: string, receipt: TransactionReceipt): void => {
  rows.push({ contract, fn, note, gas: receipt.gasUsed })
}

try {
  const [deployer, ops, alice, bob, carol, dave, n1, n2] = chain.accounts as [Address, Address, Address, Address, Address, Address, Address, Address]
  const { client, c } = chain
  const tx = send.bind(null, client)

  // Baseline: a plain ERC-20 transfer to an address that already holds tokens.
  const plainHash = await client.deployContract({ abi: PlainERC20Abi, bytecode: PlainERC20Bytecode, args: [alice, 10n ** 24n], account: deployer, chain: client.chain })
  const plain = (await client.waitForTransactionReceipt({ hash: plainHash })).contractAddress!
  await tx(alice, { address: plain, abi: PlainERC20Abi, functionName: 'transfer', args: [bob, 1n] })
  const baseline = (await tx(alice, { address: plain, abi: PlainERC20Abi, functionName: 'transfer', args: [bob, 1n] })).gasUsed

  // P2PV token.
  await tx(alice, { address: c.token, abi: P2PVTokenAbi, functionName: 'transfer', args: [bob, 1n] })
  measure('P2PVToken', 'transfer', 'to an existing holder, no delegates', await tx(alice, { address: c.token, abi: P2PVTokenAbi, functionName: 'transfer', args: [bob, 1n] }))
  measure('P2PVToken', 'delegate', 'to self', await tx(alice, { address: c.token, abi: P2PVTokenAbi, functionName: 'delegate', args: [alice] }))
  await tx(bob, { address: c.token, abi: P2PVTokenAbi, functionName: 'delegate', args: [bob] })
  measure('P2PVToken', 'transfer', 'both sides delegated (vote checkpoints)', await tx(alice, { address: c.token, abi: P2PVTokenAbi, functionName: 'transfer', args: [bob, 1n] }))
  measure('P2PVToken', 'approve', '', await tx(alice, { address: c.token, abi: P2PVTokenAbi, functionName: 'approve', args: [c.accessManager, 10n ** 24n] }))
  {
    const owner = privateKeyToAccount(ANVIL_KEYS[4])
    const deadline = await latestTimestamp(client) + 3600n
    const sig = await owner.signTypedData({
      domain: { name: 'P2PDEVIDEO', version: '1', chainId: chain.deployment.chainId, verifyingContract: c.token },
      types: { Permit: [{ name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' }] },
      primaryType: 'Permit',
      message: { owner: carol, spender: c.accessManager, value: 10n ** 24n, nonce: 0n, deadline }
    })
    measure('P2PVToken', 'permit', 'EIP-2612', await tx(dave, { address: c.token, abi: P2PVTokenAbi, functionName: 'permit', args: [carol, c.accessManager, 10n ** 24n, deadline, Number(`0x${sig.slice(130, 132)}`), `0x${sig.slice(2, 66)}`, `0x${sig.slice(66, 130)}`] }))
  }

  // VideoRegistry.
  const v1 = id('video-1')
  measure('VideoRegistry', 'register', 'manifest CID 59 chars, no listing', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [v1, CID, '', FP, Policy.paid, 1] }))
  measure('VideoRegistry', 'register', 'with a listing CID', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [id('video-2'), CID, CID, FP, Policy.private, 1] }))
  measure('VideoRegistry', 'update', 're-key: new manifest, listing, fingerprint', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'update', args: [id('video-2'), CID.replace('a', 'b'), CID.replace('a', 'c'), id('fp2')] }))
  measure('VideoRegistry', 'setPolicy', '', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setPolicy', args: [id('video-2'), Policy.subscribers] }))
  measure('VideoRegistry', 'setRating', '', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setRating', args: [id('video-2'), 3] }))
  measure('VideoRegistry', 'setProfile', 'first channel profile CID (59 chars)', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [CID] }))
  measure('VideoRegistry', 'setProfile', 'replacing it', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setProfile', args: [CID.replace('a', 'b')] }))
  measure('VideoRegistry', 'setDelegate', '', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'setDelegate', args: [dave, true] }))
  measure('VideoRegistry', 'transferVideo', '', await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'transferVideo', args: [id('video-2'), carol] }))
  measure('VideoRegistry', 'retire', '', await tx(carol, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'retire', args: [id('video-2')] }))

  // AccessManager.
  measure('AccessManager', 'setPrice', 'ETH, permanent', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setPrice', args: [v1, ETH, ETHER / 100n, 0n] }))
  measure('AccessManager', 'grant', '', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'grant', args: [v1, carol] }))
  measure('AccessManager', 'revoke', '', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'revoke', args: [v1, carol] }))
  measure('AccessManager', 'buy', 'ETH, first sale (fresh balances)', await tx(bob, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [v1, bob, ETHER / 100n, 0n], value: ETHER / 100n }))
  measure('AccessManager', 'buy', 'ETH, later sale with refund of overpayment', await tx(carol, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [v1, carol, ETHER / 100n, 0n], value: ETHER / 50n }))
  const v3 = id('video-3')
  await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [v3, CID, '', FP, Policy.paid, 1] })
  measure('AccessManager', 'setPrice', 'P2PV, 48 h', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setPrice', args: [v3, c.token, 10n * P2PV, 172_800n] }))
  await tx(bob, { address: c.token, abi: P2PVTokenAbi, functionName: 'approve', args: [c.accessManager, 10n ** 24n] })
  measure('AccessManager', 'buy', 'P2PV (transferFrom), first sale', await tx(bob, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [v3, bob, 10n * P2PV, 172_800n] }))
  measure('AccessManager', 'setPlan', '', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setPlan', args: [alice, ETH, ETHER / 1000n, 2_592_000n] }))
  measure('AccessManager', 'subscribe', 'ETH, 1 period', await tx(dave, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, dave, 1, ETHER / 1000n, 2_592_000n], value: ETHER / 1000n }))
  measure('AccessManager', 'subscribe', 'renewal, 3 periods', await tx(dave, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'subscribe', args: [alice, dave, 3, ETHER / 1000n, 2_592_000n], value: 3n * ETHER / 1000n }))
  measure('AccessManager', 'withdraw', 'ETH', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'withdraw', args: [ETH] }))
  measure('AccessManager', 'withdraw', 'P2PV', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'withdraw', args: [c.token] }))
  {
    // Refunds: a 1-hour window; a held sale, its refund, another held sale released after the window.
    const v4 = id('video-refundable')
    await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [v4, CID, '', FP, Policy.paid, 1] })
    await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setPrice', args: [v4, ETH, ETHER / 100n, 0n] })
    measure('AccessManager', 'setRefundWindow', '1 h', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setRefundWindow', args: [v4, 3600] }))
    measure('AccessManager', 'buy', 'ETH, refundable: held in escrow', await tx(bob, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [v4, bob, ETHER / 100n, 0n], value: ETHER / 100n }))
    measure('AccessManager', 'refund', 'within the window', await tx(bob, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'refund', args: [v4, bob] }))
    await tx(carol, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'buy', args: [v4, carol, ETHER / 100n, 0n], value: ETHER / 100n })
    await travel(client, 3600)
    measure('AccessManager', 'release', 'one held sale, after its window', await tx(dave, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'release', args: [[v4], [carol]] }))
  }
  const hasAccessGas = await client.estimateGas({ account: bob, to: c.accessManager, data: encodeFunctionData({ abi: AccessManagerAbi, functionName: 'hasAccess', args: [v1, bob] }) })
  rows.push({ contract: 'AccessManager', fn: 'hasAccess', note: 'view, as a transaction would pay (keepers call it for free)', gas: hasAccessGas })
  {
    // Conditions: a private video open to holders of an ERC-20 (≥ 100), an ERC-721 and an
    // ERC-1155 id (≥ 1), AND-ed; carol holds all three, so all three clauses are evaluated.
    const deployed = async (abi: typeof MintableERC20Abi | typeof MintableERC721Abi | typeof MintableERC1155Abi, bytecode: Hex): Promise<Address> =>
      (await client.waitForTransactionReceipt({ hash: await client.deployContract({ abi, bytecode, account: deployer, chain: client.chain } as never) })).contractAddress!
    const [g20, g721, g1155] = [await deployed(MintableERC20Abi, MintableERC20Bytecode), await deployed(MintableERC721Abi, MintableERC721Bytecode), await deployed(MintableERC1155Abi, MintableERC1155Bytecode)]
    await tx(carol, { address: g20, abi: MintableERC20Abi, functionName: 'mint', args: [carol, 1000n] })
    await tx(carol, { address: g721, abi: MintableERC721Abi, functionName: 'mint', args: [carol, 1n] })
    await tx(carol, { address: g1155, abi: MintableERC1155Abi, functionName: 'mint', args: [carol, 1n, 1n] })
    const gated = id('video-gated')
    await tx(alice, { address: c.videoRegistry, abi: VideoRegistryAbi, functionName: 'register', args: [gated, CID, '', FP, Policy.private, 1] })
    const z = { notBefore: 0n, id: 0n, notAfter: 0n }
    const clauses = [{ ...z, kind: 1, token: g20, min: 100n }, { ...z, kind: 2, token: g721, min: 1n }, { ...z, kind: 3, token: g1155, id: 1n, min: 1n }]
    measure('AccessManager', 'setCondition', '3 clauses (ERC-20, ERC-721, ERC-1155), AND', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'setCondition', args: [gated, false, clauses] }))
    const gatedGas = await client.estimateGas({ account: bob, to: c.accessManager, data: encodeFunctionData({ abi: AccessManagerAbi, functionName: 'hasAccess', args: [gated, carol] }) })
    rows.push({ contract: 'AccessManager', fn: 'hasAccess', note: 'view, 3-clause condition met (three token calls), beside the line above', gas: gatedGas })
    const refusedGas = await client.estimateGas({ account: bob, to: c.accessManager, data: encodeFunctionData({ abi: AccessManagerAbi, functionName: 'hasAccess', args: [v1, dave] }) })
    rows.push({ contract: 'AccessManager', fn: 'hasAccess', note: 'view, refused, no condition (every rule checked)', gas: refusedGas })
    measure('AccessManager', 'clearCondition', '', await tx(alice, { address: c.accessManager, abi: AccessManagerAbi, functionName: 'clearCondition', args: [gated] }))
  }

  // NodeRegistry.
  const profile = (peerId: string) => ({ peerId, endpoints: ['http://127.0.0.1:4001', '/ip4/127.0.0.1/tcp/4002'], encryptionKey: id('x25519'), capacity: 10n ** 12n, keeper: true })
  await tx(n1, { address: c.token, abi: P2PVTokenAbi, functionName: 'approve', args: [c.nodeRegistry, 10n ** 24n] })
  measure('NodeRegistry', 'register', '52-char peer id, 2 endpoints', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'register', args: [profile('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'), 2n * TEST_PARAMS.minStake] }))
  measure('NodeRegistry', 'updateProfile', 'new endpoints', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'updateProfile', args: [{ ...profile('12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'), endpoints: ['http://127.0.0.1:4101', '/ip4/127.0.0.1/tcp/4102'] }] }))
  measure('NodeRegistry', 'addStake', '', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'addStake', args: [100n * P2PV] }))
  measure('NodeRegistry', 'requestUnbond', '', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [100n * P2PV] }))
  measure('NodeRegistry', 'setReputation', 'auditor', await tx(ops, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'setReputation', args: [n1, 7500] }))
  measure('NodeRegistry', 'slash', 'auditor, governance fraction', await tx(ops, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'slash', args: [n1, id('evidence')] }))
  await travel(client, TEST_PARAMS.unbondingPeriod)
  measure('NodeRegistry', 'withdrawUnbonded', '', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'withdrawUnbonded' }))
  const left = (await client.readContract({ address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'getNode', args: [n1] })).stake
  await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'requestUnbond', args: [left] })
  measure('NodeRegistry', 'deregister', '', await tx(n1, { address: c.nodeRegistry, abi: NodeRegistryAbi, functionName: 'deregister' }))

  // Rewards: a 100-node epoch (7-hash proofs).
  measure('Rewards', 'collect', 'from the AccessManager, ETH and P2PV', await tx(n2, { address: c.rewards, abi: RewardsAbi, functionName: 'collect', args: [c.accessManager] }))
  await client.waitForTransactionReceipt({ hash: await client.sendTransaction({ account: bob, to: c.rewards, value: ETHER, chain: client.chain }) })
  const shares = Array.from({ length: 100 }, (_, i) => ({ node: (i === 0 ? n2 : `0x${(i + 1).toString(16).padStart(40, '0')}`) as Address, ethAmount: 1000n + BigInt(i), tokenAmount: 0n }))
  const tree = buildRewardTree(0n, shares)
  measure('Rewards', 'postEpoch', '', await tx(ops, { address: c.rewards, abi: RewardsAbi, functionName: 'postEpoch', args: [0n, tree.root, tree.ethTotal, 0n] }))
  measure('Rewards', 'claim', '100-node tree, ETH only', await tx(bob, { address: c.rewards, abi: RewardsAbi, functionName: 'claim', args: [0n, n2, 1000n, 0n, tree.proof(n2)] }))

  // Licensing.
  measure('Licensing', 'setTerms', '', await tx(alice, { address: c.licensing, abi: LicensingAbi, functionName: 'setTerms', args: [v1, 1, CID] }))
  measure('Licensing', 'fileClaim', '', await tx(bob, { address: c.licensing, abi: LicensingAbi, functionName: 'fileClaim', args: [v1, CID] }))
  measure('Licensing', 'counterNotice', '', await tx(alice, { address: c.licensing, abi: LicensingAbi, functionName: 'counterNotice', args: [1n, CID] }))
  measure('Licensing', 'resolve', 'upheld: blocks the video', await tx(ops, { address: c.licensing, abi: LicensingAbi, functionName: 'resolve', args: [1n, true, CID] }))
  await tx(bob, { address: c.licensing, abi: LicensingAbi, functionName: 'fileClaim', args: [v3, CID] })
  measure('Licensing', 'withdrawClaim', '', await tx(bob, { address: c.licensing, abi: LicensingAbi, functionName: 'withdrawClaim', args: [2n] }))

  // Governance: a one-action proposal changing the revenue split.
  await tx(ops, { address: c.token, abi: P2PVTokenAbi, functionName: 'delegate', args: [ops] })
  await travel(client, 1)
  const targets = [c.params]
  const calldatas = [encodeFunctionData({ abi: ProtocolParamsAbi, functionName: 'setRevenueSplit', args: [8000, 1500] })]
  const descriptionHash = keccak256(toHex('gas'))
  measure('P2PVGovernor', 'propose', 'one action', await tx(ops, { address: c.governor, abi: P2PVGovernorAbi, functionName: 'propose', args: [targets, [0n], calldatas, 'gas'] }))
  await travel(client, TEST_GOVERNANCE.votingDelay + 1)
  const proposalId = await client.readContract({ address: c.governor, abi: P2PVGovernorAbi, functionName: 'hashProposal', args: [targets, [0n], calldatas, descriptionHash] })
  measure('P2PVGovernor', 'castVote', '', await tx(ops, { address: c.governor, abi: P2PVGovernorAbi, functionName: 'castVote', args: [proposalId, 1] }))
  await travel(client, TEST_GOVERNANCE.votingPeriod + 1)
  measure('P2PVGovernor', 'queue', 'into the timelock', await tx(ops, { address: c.governor, abi: P2PVGovernorAbi, functionName: 'queue', args: [targets, [0n], calldatas, descriptionHash] }))
  await travel(client, TEST_GOVERNANCE.timelockDelay + 1n)
  measure('P2PVGovernor', 'execute', 'runs ProtocolParams.setRevenueSplit', await tx(ops, { address: c.governor, abi: P2PVGovernorAbi, functionName: 'execute', args: [targets, [0n], calldatas, descriptionHash] }))

  const table: Row[] = rows.map(r => ({
    name: `${r.contract}.${r.fn}${r.note === '' ? '' : ` (${r.note})`}`,
    value: Number(r.gas),
    baselineName: 'ERC-20 transfer',
    baseline: Number(baseline),
    unit: 'gas',
    better: 'lower'
  }))
  printTable('Gas per call (anvil, solc 0.8.37, optimizer 200 runs, EVM cancun)', table)
  writeFileSync(REPORT, [
    '# Gas report',
    '',
    'Generated by `npm run bench -- contracts` (`packages/contracts/bench/gas.bench.ts`): gas used by each',
    'public function in one deterministic scenario on anvil, beside a plain OpenZeppelin ERC-20',
    'transfer (to an existing holder) measured in the same run. Gas does not depend on the machine;',
    'a change here means a contract changed. First writes to a fresh storage slot cost 20 000 gas more',
    'than later ones, which is why a first sale costs more than the next.',
    '',
    `Baseline: plain ERC-20 \`transfer\` = **${baseline}** gas.`,
    '',
    '| contract | function | case | gas | × ERC-20 transfer |',
    '|---|---|---|---:|---:|',
    ...rows.map(r => `| ${r.contract} | \`${r.fn}\` | ${r.note} | ${r.gas} | ${(Number(r.gas) / Number(baseline)).toFixed(2)} |`),
    ''
  ].join('\n'))
  process.stdout.write(`wrote ${REPORT.pathname}\n`)
} finally {
  await chain.stop()
}

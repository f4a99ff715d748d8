// Slashing and reputation on chain, with real processes: anvil with the protocol deployed, a node
// that forges audit proofs (the test fault switch) and an auditor node whose wallet holds the
// NodeRegistry's audit role. Repeated bad proofs get the forger slashed by the governance
// fraction (to the treasury), with the hash of the signed audit records as the evidence, and its
// reputation published on chain below the placement threshold.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import { createPublicClient, createWalletClient, http, keccak256, parseEventLogs, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, NodeRegistryAbi, P2PVTokenAbi, ProtocolParamsAbi, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { PLACEMENT_MIN_SCORE } from '@p2pdv/core/reputation'
import { AuditCode, auditRecordPayload, decodeSignedAuditRecord } from '@p2pdv/core/wire'
import { IdentityStore } from '@p2pdv/chain/identity'
import { auditorArgs, randomBlock, publishRecord, storeOn, waitFor } from './fixtures/audit.ts'
import { spawnNode, TEST_PASSPHRASE, type SpawnedNode } from './fixtures/spawn-node.ts'

const P2PV = WEI_PER_TOKEN
const MIN_STAKE = 1_000n * P2PV
const LIGHT_SCRYPT = { N: 2 ** 14, r: 8, p: 1 }

interface SlashReport { peer: string, evidenceHash: Hex, status: string, operator: Address | null, tx: Hex | null, amount: string | null }

describe('auditor slashes a forging node on chain and publishes its reputation', () => {
  let anvil: Anvil
  let dir: string
  let forger: SpawnedNode | undefined
  let auditor: SpawnedNode | undefined
  let contracts: Record<string, Address>
  const forgerAccount = privateKeyToAccount(ANVIL_KEYS[1])
  const auditorAccount = privateKeyToAccount(ANVIL_KEYS[2])
  const read = async <T>(address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []): Promise<T> =>
    await createPublicClient({ transport: http(anvil.rpc) }).readContract({ address, abi: abi as never, functionName: functionName as never, args: args as never }) as T

  before(async () => {
    anvil = await startAnvil()
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-chain-slash-'))
    const keys = join(dir, 'keys')
    const store = new IdentityStore(keys)
    await store.create('forger', TEST_PASSPHRASE, { ethPrivateKey: ANVIL_KEYS[1], scrypt: LIGHT_SCRYPT })
    await store.create('auditor', TEST_PASSPHRASE, { ethPrivateKey: ANVIL_KEYS[2], scrypt: LIGHT_SCRYPT })
    const d = await deployAll(createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(anvil.rpc) }), {
      allocations: [{ to: forgerAccount.address, amount: 10n * MIN_STAKE }, { to: auditorAccount.address, amount: 10n * MIN_STAKE }],
      params: { minStake: MIN_STAKE, slashBps: 1_000 },
      roles: { auditors: [auditorAccount.address] }
    })
    contracts = { ...d.contracts }
    const chainFile = join(dir, 'chain.json')
    await writeFile(chainFile, JSON.stringify({ rpc: anvil.rpc, chainId: d.chainId, contracts, startBlock: d.startBlock.toString() }))
    const chainArgs = (wallet: string): string[] => ['--wallet', wallet, '--chain', chainFile, '--keys', keys]
    forger = await spawnNode({ args: chainArgs('forger'), env: { P2PDV_TEST_FAULTS: 'forge-proofs' } })
    auditor = await spawnNode({ bootstrap: [forger.info.multiaddrs[0]!], args: [...auditorArgs(), '--audit-chain-interval', '500', ...chainArgs('auditor')] })
  })
  after(async () => {
    await Promise.all([forger?.stop(), auditor?.stop()])
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    for (const n of [forger, auditor]) if (n !== undefined) await rm(n.info.dataDir, { recursive: true, force: true })
  })

  it('slashes the governance fraction of the forger\'s stake to the treasury, naming the signed records as evidence', async () => {
    const treasury = await read<Address>(contracts.params!, ProtocolParamsAbi, 'treasury')
    const treasuryBefore = await read<bigint>(contracts.token!, P2PVTokenAbi, 'balanceOf', [treasury])
    const stakeBefore = (await read<{ stake: bigint }>(contracts.nodeRegistry!, NodeRegistryAbi, 'getNode', [forgerAccount.address])).stake
    assert.equal(stakeBefore, MIN_STAKE, 'the forger registered with the minimum stake when it started')

    const block = await storeOn([forger!], await randomBlock(100_000))
    await publishRecord([block])

    const report = await waitFor('a slashing report that reached the chain', async () => {
      const body = await (await fetch(`${auditor!.info.http}/api/v1/reputation`)).json() as { slashReports: SlashReport[], chain?: { operator: string, auditorRole: boolean } }
      assert.deepEqual(body.chain?.operator, auditorAccount.address)
      assert.equal(body.chain?.auditorRole, true)
      const r = body.slashReports.find(x => x.peer === forger!.info.peerId)
      assert.notEqual(r?.status, 'failed', `the slash failed on chain:\n${auditor!.stderr().slice(-3000)}`)
      return r?.status === 'slashed' ? r : undefined
    }, 120_000)

    // The governance fraction (10 %) left the stake and reached the treasury.
    const slashed = MIN_STAKE * 1_000n / 10_000n
    assert.equal(report.operator, forgerAccount.address)
    assert.equal(report.amount, slashed.toString())
    const after = await read<{ stake: bigint }>(contracts.nodeRegistry!, NodeRegistryAbi, 'getNode', [forgerAccount.address])
    assert.equal(after.stake, stakeBefore - slashed)
    assert.equal(await read<bigint>(contracts.token!, P2PVTokenAbi, 'balanceOf', [treasury]), treasuryBefore + slashed)
    assert.equal(await read<boolean>(contracts.nodeRegistry!, NodeRegistryAbi, 'isActive', [forgerAccount.address]), false, 'below the minimum stake, the forger is no longer active')

    // The Slashed event names the auditor and the evidence hash.
    const receipt = await createPublicClient({ transport: http(anvil.rpc) }).getTransactionReceipt({ hash: report.tx! })
    const [event] = parseEventLogs({ abi: NodeRegistryAbi, logs: receipt.logs, eventName: 'Slashed' })
    assert.equal(event?.args.operator, forgerAccount.address)
    assert.equal(event?.args.by, auditorAccount.address)
    assert.equal(event?.args.evidence, report.evidenceHash)

    // Anyone can fetch the evidence by that hash and check it: signed bad-proof verdicts on the forger.
    const res = await fetch(`${auditor!.info.http}/api/v1/audit/evidence/${report.evidenceHash}`)
    assert.equal(res.status, 200)
    const bytes = new Uint8Array(await res.arrayBuffer())
    assert.equal(keccak256(bytes), report.evidenceHash)
    const records = (dagCbor.decode(bytes) as Uint8Array[]).map(decodeSignedAuditRecord)
    assert.ok(records.length >= 3)
    const auditorKey = peerIdFromString(auditor!.info.peerId).publicKey!
    for (const r of records) {
      assert.equal(r.record.peer, forger!.info.peerId)
      assert.equal(r.record.code, AuditCode.BAD_PROOF)
      assert.equal(r.record.counted, true)
      assert.ok(await auditorKey.verify(auditRecordPayload(r.record), r.sig))
    }
    assert.equal((await fetch(`${auditor!.info.http}/api/v1/audit/evidence/0x${'00'.repeat(32)}`)).status, 404)
    assert.equal((await fetch(`${auditor!.info.http}/api/v1/audit/evidence/not-a-hash`)).status, 400)
  })

  it('publishes the forger\'s reputation on chain below the placement threshold, and never its own', async () => {
    const reputation = await waitFor('the forger\'s reputation on chain', async () => {
      const n = await read<{ reputation: number }>(contracts.nodeRegistry!, NodeRegistryAbi, 'getNode', [forgerAccount.address])
      return n.reputation < PLACEMENT_MIN_SCORE * 10_000 ? n.reputation : undefined
    }, 120_000)
    assert.ok(reputation >= 0)
    const logs = await createPublicClient({ transport: http(anvil.rpc) }).getContractEvents({ address: contracts.nodeRegistry!, abi: NodeRegistryAbi, eventName: 'ReputationSet', fromBlock: 0n })
    assert.ok(logs.length > 0)
    for (const l of logs) {
      assert.equal(l.args.by, auditorAccount.address)
      assert.notEqual(l.args.operator, auditorAccount.address, 'an auditor never sets its own reputation')
    }
  })
})

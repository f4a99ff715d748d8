// A node that uses the chain is ready only while the chain's RPC answers: with its RPC gone (a
// proxy in front of anvil that stops accepting), /readyz turns 503 naming the chain check, while
// the process stays alive; once the RPC is back, the node is ready again by itself.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { deployAll, WEI_PER_TOKEN } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { IdentityStore } from '@p2pdv/chain/identity'
import { waitFor } from './fixtures/audit.ts'
import { spawnNode, TEST_PASSPHRASE, type SpawnedNode } from './fixtures/spawn-node.ts'

/** A TCP proxy to anvil that can be taken down (connections refused and cut) and brought back on the same port. */
class RpcProxy {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private readonly target: number
  port = 0
  constructor (target: number) { this.target = target }

  async up (): Promise<void> {
    const server = createServer(client => {
      const upstream = connect(this.target, '127.0.0.1')
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => {}) }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>(resolve => server.listen(this.port, '127.0.0.1', resolve))
    this.port = (server.address() as { port: number }).port
    this.server = server
  }

  async down (): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const s of this.sockets) s.destroy()
    await new Promise<void>(resolve => { if (server === undefined) resolve(); else server.close(() => resolve()) })
  }
}

const readyz = async (node: SpawnedNode): Promise<{ status: number, body: { ok: boolean, checks: Record<string, boolean> } }> => {
  const res = await fetch(`${node.info.http}/readyz`)
  return { status: res.status, body: await res.json() as { ok: boolean, checks: Record<string, boolean> } }
}

describe('readiness follows the chain', () => {
  let anvil: Anvil
  let proxy: RpcProxy
  let dir: string
  let node: SpawnedNode | undefined

  before(async () => {
    anvil = await startAnvil()
    proxy = new RpcProxy(Number(new URL(anvil.rpc).port))
    await proxy.up()
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-chain-readiness-'))
    const keys = join(dir, 'keys')
    await new IdentityStore(keys).create('op', TEST_PASSPHRASE, { ethPrivateKey: ANVIL_KEYS[1], scrypt: { N: 2 ** 14, r: 8, p: 1 } })
    const minStake = 1_000n * WEI_PER_TOKEN
    const d = await deployAll(createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(anvil.rpc) }), {
      allocations: [{ to: privateKeyToAccount(ANVIL_KEYS[1]).address, amount: 10n * minStake }],
      params: { minStake }
    })
    const chainFile = join(dir, 'chain.json')
    await writeFile(chainFile, JSON.stringify({ rpc: `http://127.0.0.1:${proxy.port}`, chainId: d.chainId, contracts: d.contracts, startBlock: d.startBlock.toString() }))
    node = await spawnNode({ args: ['--wallet', 'op', '--chain', chainFile, '--keys', keys, '--no-repair'] })
  })
  after(async () => {
    await node?.stop()
    await proxy?.down()
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    if (node !== undefined) await rm(node.info.dataDir, { recursive: true, force: true })
  })

  it('is not ready while the RPC is gone, says which check failed, and is ready again once it answers', { timeout: 120_000 }, async () => {
    assert.deepEqual(await readyz(node!), { status: 200, body: { ok: true, checks: { started: true, store: true, chain: true } } })
    await proxy.down()
    const down = await waitFor('readyz to report the chain down', async () => {
      const r = await readyz(node!)
      return r.status === 503 ? r : undefined
    })
    assert.deepEqual(down.body, { ok: false, checks: { started: true, store: true, chain: false } })
    assert.equal((await fetch(`${node!.info.http}/healthz`)).status, 200, 'alive: only the chain is missing')
    assert.match(await (await fetch(`${node!.info.http}/metrics`)).text(), /^p2pdv_chain_reachable 0$/m)
    await proxy.up()
    await waitFor('readyz to recover', async () => (await readyz(node!)).status === 200 ? true : undefined)
    assert.match(await (await fetch(`${node!.info.http}/metrics`)).text(), /^p2pdv_chain_reachable 1$/m)
  })
})

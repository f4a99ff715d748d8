// `p2pdv chain deploy` as a remote operator runs it: a separately started anvil with a non-dev
// chain id (5), reached only through --rpc, and deployer wallets of the operator's own. One anvil
// for the whole file.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createPublicClient, createWalletClient, http, parseEther, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { CREATE2_FACTORY } from '@p2pdv/contracts'
import { ANVIL_KEYS, startAnvil, type Anvil } from '@p2pdv/contracts/anvil'
import { CONTRACT_NAMES } from '@p2pdv/contracts/constants'
import { IdentityStore } from '@p2pdv/chain/identity'
import { runCli } from './fixtures/cli.ts'

const PASSPHRASE = 'deploy-test correct horse battery staple'
const LIGHT_SCRYPT = { N: 2 ** 14, r: 8, p: 1 }

/** An RPC that lies: it forwards everything to anvil but says there is no code at any contract address. */
async function lyingRpc (upstream: string): Promise<{ url: string, server: Server }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += String(d) })
    req.on('end', () => {
      const answer = async (): Promise<string> => {
        const msg = JSON.parse(body) as { id: number, method: string, params: unknown[] }
        if (msg.method === 'eth_getCode' && String(msg.params[0]).toLowerCase() !== CREATE2_FACTORY) {
          return JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: '0x' })
        }
        return await (await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()
      }
      answer().then(text => res.end(text), () => { res.statusCode = 500; res.end() })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, server }
}

describe('p2pdv chain deploy: own wallet, any chain, idempotent, verified', () => {
  let anvil: Anvil
  let dir: string
  let env: NodeJS.ProcessEnv
  let liar: { url: string, server: Server }
  const wallets: Record<string, Address> = {}
  const chain = () => createPublicClient({ transport: http(anvil.rpc) })
  const deploy = async (args: string[]) => await runCli(['chain', 'deploy', '--json', ...args], env, 180_000)

  before(async () => {
    anvil = await startAnvil({ chainId: 5 })
    liar = await lyingRpc(anvil.rpc)
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-deploy-'))
    env = { P2PDV_HOME: join(dir, 'home'), P2PDV_PASSPHRASE: PASSPHRASE }
    const store = new IdentityStore(join(dir, 'home', 'keys'))
    const funder = createWalletClient({ account: privateKeyToAccount(ANVIL_KEYS[0]), transport: http(anvil.rpc) })
    for (const [name, key, eth] of [['op', generatePrivateKey(), '10'], ['op2', generatePrivateKey(), '10'], ['poor', generatePrivateKey(), '0.0001'], ['dev', ANVIL_KEYS[1], '0']] as const) {
      const id = await store.create(name, PASSPHRASE, { ethPrivateKey: key as Hex, scrypt: LIGHT_SCRYPT })
      wallets[name] = id.address
      if (eth !== '0') await chain().waitForTransactionReceipt({ hash: await funder.sendTransaction({ to: id.address, value: parseEther(eth), chain: null }) })
    }
  })
  after(async () => {
    await new Promise(resolve => liar?.server.close(resolve))
    await anvil?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('deploys with a fresh funded wallet, checks every address and writes the file clients use', async () => {
    const file = join(dir, 'goerli.json')
    const r = await deploy(['--rpc', anvil.rpc, '--as', 'op', '--out', file, '--chain-id', '5'])
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(r.json.chainId, 5)
    assert.equal(r.json.deployed.length, 10)
    assert.deepEqual(r.json.existing, [])
    const written = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(written.chainId, 5)
    assert.equal(written.rpc, anvil.rpc)
    assert.equal(written.deployer, wallets.op)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    for (const name of CONTRACT_NAMES) {
      const code = await chain().getCode({ address: written.contracts[name] })
      assert.ok(code !== undefined && code.length > 2, `${name} has code`)
    }
    // A client reads the protocol through the file alone.
    const params = await runCli(['gov', 'params', '--chain', file, '--json'], env)
    assert.equal(params.code, 0, params.stderr)
    assert.equal(typeof params.json, 'object')

    // Again: everything is found and checked, nothing is sent, the same file comes out.
    const nonce = await chain().getTransactionCount({ address: wallets.op! })
    const again = await deploy(['--rpc', anvil.rpc, '--as', 'op', '--out', file])
    assert.equal(again.code, 0, again.stderr + again.stdout)
    assert.deepEqual(again.json.deployed, [])
    assert.equal(again.json.existing.length, 10)
    assert.equal(await chain().getTransactionCount({ address: wallets.op! }), nonce)
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), written)
  })

  it('refuses anvil\'s published keys on a chain id that is not a dev chain, before sending anything', async () => {
    const r = await deploy(['--rpc', anvil.rpc, '--as', 'dev', '--out', join(dir, 'dev.json')])
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_DEV_KEY_ON_REAL_CHAIN')
    assert.equal(await chain().getTransactionCount({ address: wallets.dev! }), 0)
    await assert.rejects(stat(join(dir, 'dev.json')))
  })

  it('refuses bad input before sending: another chain id, too little ETH, a bad allocation, an unwritable --out', async () => {
    const wrong = await deploy(['--rpc', anvil.rpc, '--as', 'op2', '--chain-id', '1'])
    assert.equal(wrong.json.error.code, 'ERR_CHAIN_MISMATCH')
    const poor = await deploy(['--rpc', anvil.rpc, '--as', 'poor'])
    assert.equal(poor.json.error.code, 'ERR_CHAIN_INSUFFICIENT_FUNDS')
    assert.equal(await chain().getTransactionCount({ address: wallets.poor! }), 0)
    const bad = await deploy(['--rpc', anvil.rpc, '--as', 'op2', '--allocate', `${wallets.op2}=-5`])
    assert.equal(bad.json.error.code, 'ERR_USAGE')
    const nowhere = await deploy(['--rpc', anvil.rpc, '--as', 'op2', '--out', join(dir, 'missing', 'chain.json')])
    assert.equal(nowhere.json.error.code, 'ERR_FILE_NOT_FOUND')
    assert.equal(await chain().getTransactionCount({ address: wallets.op2! }), 0)
  })

  it('refuses an RPC that reports no code where it deployed, writes nothing, and a run through an honest RPC resumes', async () => {
    const file = join(dir, 'op2.json')
    const lied = await deploy(['--rpc', liar.url, '--as', 'op2', '--out', file])
    assert.equal(lied.code, 1)
    assert.equal(lied.json.error.code, 'ERR_DEPLOY_UNVERIFIED')
    await assert.rejects(stat(file))
    // The first contract went out before the lie was caught; the honest run keeps it.
    const resumed = await deploy(['--rpc', anvil.rpc, '--as', 'op2', '--out', file])
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout)
    assert.deepEqual(resumed.json.existing, ['P2PVTimelock'])
    assert.equal(resumed.json.deployed.length, 9)
    const written = JSON.parse(await readFile(file, 'utf8'))
    // The start block is found from the chain, not taken from the resumed run.
    assert.ok(BigInt(written.startBlock) > 0n)
    assert.ok(BigInt(written.startBlock) <= await chain().getBlockNumber())
  })
})

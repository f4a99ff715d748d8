// Chain commands fail fast with clear codes when there is no chain, or the input is malformed.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startAnvil } from '@p2pdv/contracts/anvil'
import { runCli } from './fixtures/cli.ts'

describe('chain commands without a chain, or with bad input', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-chain-cli-'))
    env = { P2PDV_DEVNET_DIR: join(dir, 'no-devnet-here'), P2PDV_HOME: join(dir, 'home'), P2PDV_PASSPHRASE: '' }
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('ls with no devnet and no --rpc says how to get a chain', async () => {
    const r = await runCli(['ls', '--json'], env)
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_NO_CHAIN')
    assert.match(r.json.error.hint, /npm start/)
  })

  it('--rpc without contract addresses asks for --chain FILE', async () => {
    const r = await runCli(['ls', '--rpc', 'http://127.0.0.1:9', '--json'], env)
    assert.equal(r.json.error.code, 'ERR_NO_CHAIN')
    assert.match(r.json.error.hint, /--chain FILE/)
  })

  it('a malformed chain description is refused', async () => {
    await writeFile(join(dir, 'chain.json'), JSON.stringify({ rpc: 'http://127.0.0.1:9', chainId: 1, contracts: {} }))
    const r = await runCli(['ls', '--chain', join(dir, 'chain.json'), '--json'], env)
    assert.equal(r.json.error.code, 'ERR_CHAIN_CONFIG')
  })

  it('a video id must be 32 bytes of hex', async () => {
    const r = await runCli(['buy', '0x1234', '--json'], env)
    assert.equal(r.json.error.code, 'ERR_BAD_VIDEO_ID')
  })

  it('devnet refuses --rpc together with --no-chain', async () => {
    const r = await runCli(['devnet', '--rpc', 'http://127.0.0.1:9', '--no-chain', '--json'], env)
    assert.equal(r.code, 2)
    assert.equal(r.json.error.code, 'ERR_USAGE')
  })

  it('keys new without any passphrase source refuses to write a wallet', async () => {
    const r = await runCli(['keys', 'new', 'alice', '--json'], env)
    assert.equal(r.json.error.code, 'ERR_NO_PASSPHRASE')
    const ls = await runCli(['keys', 'ls', '--json'], env)
    assert.deepEqual(ls.json.identities, [])
  })

  it('upload refuses --duration without --price, before reading the video', async () => {
    const r = await runCli(['upload', join(dir, 'missing.mp4'), '--duration', '48h', '--node', 'http://127.0.0.1:9', '--json'], env)
    assert.equal(r.code, 2)
    assert.equal(r.json.error.code, 'ERR_USAGE')
  })

  it('devnet --rpc refuses a chain whose id is not a dev chain (it would deploy with anvil\'s published keys)', async () => {
    const anvil = await startAnvil({ chainId: 1 })
    try {
      const r = await runCli(['devnet', '--rpc', anvil.rpc, '--nodes', '1', '--json'], { ...env, P2PDV_DEVNET_DIR: join(dir, 'devnet-mainnet-id') }, 60_000)
      assert.equal(r.code, 1, r.stderr)
      assert.equal(r.json.error.code, 'ERR_NOT_DEV_CHAIN')
    } finally {
      await anvil.stop()
    }
  })
})

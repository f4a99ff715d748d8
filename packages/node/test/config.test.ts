// Node options for registering on chain: parsed once, with refusals for half-given settings.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseNodeArgs } from '@p2pdv/node'

const env = { P2PDV_PASSPHRASE: 'pw', P2PDV_HOME: '/home/op/.p2pdv' }

describe('node chain options', () => {
  it('--settle needs --audit and a wallet; --settle-epoch is bounded and needs --settle', () => {
    const chain = ['--data', 'd', '--wallet', 'node-0', '--chain', 'chain.json']
    assert.deepEqual(parseNodeArgs([...chain, '--audit', '--settle', '--settle-epoch', '5000'], env).settle, { epochMs: 5000 })
    assert.deepEqual(parseNodeArgs([...chain, '--audit', '--settle'], env).settle, { epochMs: 86_400_000 })
    assert.equal(parseNodeArgs([...chain, '--audit'], env).settle, undefined)
    assert.throws(() => parseNodeArgs([...chain, '--settle'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--audit', '--settle'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs([...chain, '--audit', '--settle-epoch', '5000'], env), { code: 'ERR_CONFIG' })
    for (const bad of ['0', '-1', '1.5', 'soon', String(31 * 86_400_000)]) assert.throws(() => parseNodeArgs([...chain, '--audit', '--settle', '--settle-epoch', bad], env), { code: 'ERR_CONFIG' }, bad)
  })

  it('has no chain settings unless --wallet and --chain are given', () => {
    assert.equal(parseNodeArgs(['--data', 'd'], env).chain, undefined)
  })

  it('parses wallet, chain file, rpc, keys, stake and keeper, with $P2PDV_HOME/keys by default', () => {
    const c = parseNodeArgs(['--data', 'd', '--wallet', 'node-0', '--chain', 'chain.json', '--stake', '1500', '--keeper', '--rpc', 'http://127.0.0.1:8545'], env).chain
    assert.deepEqual(c, { chainFile: 'chain.json', wallet: 'node-0', keysDir: join('/home/op/.p2pdv', 'keys'), keeper: true, rpc: 'http://127.0.0.1:8545', rpcs: ['http://127.0.0.1:8545'], stake: '1500' })
  })

  it('takes --rpc once per endpoint of the keeper\'s quorum (the first also carries writes); refuses bad and repeated ones', () => {
    const base = ['--data', 'd', '--wallet', 'node-0', '--chain', 'chain.json', '--keeper']
    const c = parseNodeArgs([...base, '--rpc', 'http://127.0.0.1:8545', '--rpc', 'https://rpc.example.org'], env).chain
    assert.equal(c?.rpc, 'http://127.0.0.1:8545')
    assert.deepEqual(c?.rpcs, ['http://127.0.0.1:8545', 'https://rpc.example.org'])
    assert.throws(() => parseNodeArgs([...base, '--rpc', 'ftp://x'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs([...base, '--rpc', 'http://a', '--rpc', 'http://a'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs([...base, ...Array.from({ length: 8 }, (_, i) => ['--rpc', `http://h${i}`]).flat()], env), { code: 'ERR_CONFIG' })
  })

  it('refuses half-given chain settings and a malformed stake', () => {
    assert.throws(() => parseNodeArgs(['--data', 'd', '--wallet', 'w'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--chain', 'c.json'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--keeper'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--wallet', 'w', '--chain', 'c', '--stake', '-5'], env), { code: 'ERR_CONFIG' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--wallet', 'w', '--chain', 'c', '--stake', '1e3'], env), { code: 'ERR_CONFIG' })
  })
})

describe('node announce options', () => {
  it('announces roots after a 15 min grace by default; --announce all and --announce-grace change that', () => {
    const d = parseNodeArgs(['--data', 'd'], env)
    assert.deepEqual([d.announce, d.announceGraceMs], ['roots', 900_000])
    const c = parseNodeArgs(['--data', 'd', '--announce', 'all', '--announce-grace', '0.5'], env)
    assert.deepEqual([c.announce, c.announceGraceMs], ['all', 500])
  })

  it('takes --upload-grace in seconds (1 to 300), default unset (5 s in upload-deadlines)', () => {
    assert.equal(parseNodeArgs(['--data', 'd'], env).uploadGraceMs, undefined)
    assert.equal(parseNodeArgs(['--data', 'd', '--upload-grace', '12.5'], env).uploadGraceMs, 12_500)
    for (const bad of ['0', '301', 'soon']) assert.throws(() => parseNodeArgs(['--data', 'd', '--upload-grace', bad], env), { code: 'ERR_CONFIG', message: /--upload-grace/ })
  })

  it('refuses an unknown strategy and a grace out of range, naming the option', () => {
    // Anything but roots|all is an address to announce (public-addresses.test.ts).
    assert.throws(() => parseNodeArgs(['--data', 'd', '--announce', 'some'], env), { code: 'ERR_BAD_ANNOUNCE' })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--announce-grace', '-1'], env), { code: 'ERR_CONFIG', message: /--announce-grace/ })
    assert.throws(() => parseNodeArgs(['--data', 'd', '--announce-grace', 'soon'], env), { code: 'ERR_CONFIG', message: /--announce-grace/ })
  })
})

describe('node viewer relay options', () => {
  it('serves viewers by default on an ephemeral WebSockets port; --no-viewer-relay and --viewer-port change that', () => {
    const d = parseNodeArgs(['--data', 'd'], env)
    assert.deepEqual({ relay: d.viewerRelay, port: d.viewerPort }, { relay: true, port: 0 })
    assert.equal(parseNodeArgs(['--data', 'd', '--no-viewer-relay'], env).viewerRelay, false)
    assert.equal(parseNodeArgs(['--data', 'd', '--viewer-port', '4003'], env).viewerPort, 4003)
    assert.throws(() => parseNodeArgs(['--data', 'd', '--viewer-port', '70000'], env), { code: 'ERR_CONFIG' })
    // The pages' P2P default for viewers who have not chosen: on unless the operator says off.
    assert.equal(d.p2pDefault, 'on')
    assert.equal(parseNodeArgs(['--data', 'd', '--p2p-default', 'off'], env).p2pDefault, 'off')
    assert.throws(() => parseNodeArgs(['--data', 'd', '--p2p-default', 'maybe'], env), { code: 'ERR_CONFIG', message: /--p2p-default must be on or off/ })
  })
})

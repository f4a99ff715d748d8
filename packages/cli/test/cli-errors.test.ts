import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from './fixtures/cli.ts'

describe('p2pdv errors say what went wrong and what to do', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-cli-'))
    env = { P2PDV_DEVNET_DIR: join(dir, 'no-devnet-here') }
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('an unknown command exits 2 with ERR_USAGE', async () => {
    const r = await runCli(['frobnicate', '--json'], env)
    assert.equal(r.code, 2)
    assert.equal(r.json.error.code, 'ERR_USAGE')
  })

  it('channel set refuses a link that is not https and a non-image avatar before opening a wallet (other cases: sdk/core unit tests)', async () => {
    const r = await runCli(['channel', 'set', '--name', 'Mine', '--link', 'javascript:alert(1)', '--json'], env)
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_PROFILE_INPUT')
    const svg = join(dir, 'avatar.svg')
    await writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    const notImage = await runCli(['channel', 'set', '--name', 'Mine', '--avatar', svg, '--json'], env)
    assert.equal(notImage.json.error.code, 'ERR_PROFILE_AVATAR')
    // --no-links removes every link: with --link too it is a usage error.
    const both = await runCli(['channel', 'set', '--no-links', '--link', 'https://example.com/', '--json'], env)
    assert.equal(both.json.error.code, 'ERR_USAGE')
  })

  it('an unknown flag exits 2 and shows the usage as hint', async () => {
    const r = await runCli(['put', 'x', '--bogus'], env)
    assert.equal(r.code, 2)
    assert.match(r.stderr, /\[ERR_USAGE\]/)
    assert.match(r.stderr, /hint: usage: p2pdv put FILE/)
  })

  it('a --node URL that is not a p2pdv node gets ERR_BAD_NODE_INFO naming the URL; one that is down, ERR_NODE_UNREACHABLE', async () => {
    const answers = ['<html>not json</html>', JSON.stringify({ peerId: 42, multiaddrs: [] }), JSON.stringify({ peerId: 'x'.repeat(20), multiaddrs: Array.from({ length: 1000 }, () => '/ip4/127.0.0.1/tcp/1') })]
    for (const answer of answers) {
      const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(answer) })
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
      try {
        const r = await runCli(['get', 'p2pdv://bafkreib#AAAA', '-o', join(dir, 'o'), '--node', url, '--json'], env)
        assert.equal(r.code, 1)
        assert.equal(r.json.error.code, 'ERR_BAD_NODE_INFO', answer.slice(0, 40))
        assert.ok(r.json.error.message.includes(url))
      } finally {
        server.close()
      }
    }
    const down = await runCli(['get', 'p2pdv://bafkreib#AAAA', '-o', join(dir, 'o'), '--node', 'http://127.0.0.1:9', '--json'], env)
    assert.equal(down.json.error.code, 'ERR_NODE_UNREACHABLE')
  })

  it('put of a missing file names the file', async () => {
    const r = await runCli(['put', join(dir, 'missing.bin'), '--json'], env)
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_FILE_NOT_FOUND')
  })

  it('get without a running devnet says how to start one', async () => {
    const r = await runCli(['get', 'p2pdv://bafkreib#AAAA', '-o', join(dir, 'o'), '--json'], env)
    assert.equal(r.code, 1)
    assert.equal(r.json.error.code, 'ERR_NO_DEVNET')
    assert.match(r.json.error.hint, /npm start/)
  })

  it('help lists every command', async () => {
    const r = await runCli(['help'], env)
    assert.equal(r.code, 0)
    for (const cmd of ['devnet', 'node start', 'put', 'get']) assert.match(r.stdout, new RegExp(`p2pdv ${cmd}`))
  })

  it('a weak passphrase for a new wallet is refused with ERR_WEAK_PASSPHRASE; a strong one creates it', async () => {
    const keys = join(dir, 'weak-keys')
    for (const weak of ['pw', 'password1234', 'aaaaaaaaaaaaaaaa']) {
      const r = await runCli(['keys', 'new', 'eve', '--keys', keys, '--json'], { ...env, P2PDV_PASSPHRASE: weak })
      assert.equal(r.code, 1)
      assert.equal(r.json.error.code, 'ERR_WEAK_PASSPHRASE', weak)
    }
    const ok = await runCli(['keys', 'new', 'eve', '--keys', keys, '--json'], { ...env, P2PDV_PASSPHRASE: 'correct horse battery staple' })
    assert.equal(ok.code, 0, ok.stderr)
  })
})

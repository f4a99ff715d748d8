// `--announce ADDR,…` and `--bootstrap-file`: what an operator types, and what a typo or a hostile
// config must not turn into (a node that runs but no one can reach, or a leaked credential).
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { httpUrlFromMultiaddr } from '@p2pdv/core'
import { parseNodeArgs } from '@p2pdv/node'
import { httpMultiaddr, MAX_BOOTSTRAP_FILE_BYTES } from '../src/public-addresses.ts'

const env = { P2PDV_PASSPHRASE: 'pw' }
const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

describe('--announce', () => {
  it('takes multiaddrs and one data plane URL, comma-separated or repeated, beside the DHT strategy', () => {
    const c = parseNodeArgs(['--data', 'd', '--announce', '/ip4/203.0.113.7/tcp/4001,/dns4/node1.example.org/tcp/443/wss', '--announce', 'https://node1.example.org', '--announce', 'all'], env)
    assert.deepEqual(c.publicAddresses, { multiaddrs: ['/ip4/203.0.113.7/tcp/4001', '/dns4/node1.example.org/tcp/443/wss'], http: 'https://node1.example.org' })
    assert.equal(c.announce, 'all')
    assert.equal(parseNodeArgs(['--data', 'd'], env).publicAddresses, undefined)
    assert.deepEqual(parseNodeArgs(['--data', 'd', '--announce', 'http://[2001:db8::1]:8080'], env).publicAddresses, { multiaddrs: [], http: 'http://[2001:db8::1]:8080' })
  })

  it('refuses, at parse time with ERR_BAD_ANNOUNCE, what no peer could dial or what would leak', () => {
    const bad = [
      '/ip4/0.0.0.0/tcp/4001', // unspecified
      '/ip6/::/tcp/4001',
      '/ip4/203.0.113.7/tcp/0', // no port
      '/ip4/203.0.113.7/tcp/70000',
      '/ip4/300.1.1.1/tcp/4001',
      '/ip4/203.0.113.7/udp/4001/quic-v1', // not a transport this node has
      `/ip4/203.0.113.7/tcp/4001/p2p/${PEER}`, // the node appends its own id
      '/dns4/-bad-.example/tcp/4001',
      '/ip4/203.0.113.7/tcp/4001,', // empty entry
      'ftp://node1.example.org',
      'https://user:secret@node1.example.org', // would publish the credential
      'https://node1.example.org/api?x=1',
      'http://0.0.0.0:8080',
      'https://a.example.org,https://b.example.org', // two data planes
      'some',
      `/dns4/${'a'.repeat(300)}.org/tcp/1`,
      Array.from({ length: 9 }, (_, i) => `/ip4/203.0.113.${i + 1}/tcp/4001`).join(',')
    ]
    for (const value of bad) assert.throws(() => parseNodeArgs(['--data', 'd', '--announce', value], env), { code: 'ERR_BAD_ANNOUNCE' }, value)
    assert.throws(() => parseNodeArgs(['--data', 'd', '--announce', 'roots', '--announce', 'all'], env), { code: 'ERR_CONFIG' })
  })

  it('turns the data plane URL into the /http multiaddr peers read it back from', () => {
    for (const url of ['https://node1.example.org', 'http://203.0.113.7:8080', 'https://[2001:db8::1]:8443']) {
      const expected = url === 'https://node1.example.org' ? 'https://node1.example.org:443' : url
      assert.equal(httpUrlFromMultiaddr(httpMultiaddr(url)), expected)
    }
  })
})

describe('--bootstrap-file', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-bootstrap-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('adds one peer a line to --bootstrap, skipping comments and blank lines', async () => {
    const file = join(dir, 'ok.txt')
    await writeFile(file, `# our fleet\n/ip4/203.0.113.7/tcp/4001/p2p/${PEER}\n\n/dns4/node2.example.org/tcp/4001/p2p/${PEER}  # eu\n`)
    const c = parseNodeArgs(['--data', 'd', '--bootstrap', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--bootstrap-file', file], env)
    assert.deepEqual(c.bootstrap, [`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, `/ip4/203.0.113.7/tcp/4001/p2p/${PEER}`, `/dns4/node2.example.org/tcp/4001/p2p/${PEER}`])
  })

  it('refuses a missing file, a line without a peer id, junk and an oversized file with ERR_CONFIG', async () => {
    const cases: Record<string, string> = {
      'no-id.txt': '/ip4/203.0.113.7/tcp/4001\n',
      'junk.txt': '\u0000\u0001binary\n',
      'big.txt': `/ip4/203.0.113.7/tcp/4001/p2p/${PEER}\n`.repeat(Math.ceil(MAX_BOOTSTRAP_FILE_BYTES / 40) + 1),
      'many.txt': Array.from({ length: 65 }, (_, i) => `/ip4/203.0.113.${i + 1}/tcp/4001/p2p/${PEER}`).join('\n')
    }
    for (const [name, text] of Object.entries(cases)) {
      await writeFile(join(dir, name), text)
      assert.throws(() => parseNodeArgs(['--data', 'd', '--bootstrap-file', join(dir, name)], env), { code: 'ERR_CONFIG' }, name)
    }
    assert.throws(() => parseNodeArgs(['--data', 'd', '--bootstrap-file', join(dir, 'absent.txt')], env), { code: 'ERR_CONFIG' })
  })
})

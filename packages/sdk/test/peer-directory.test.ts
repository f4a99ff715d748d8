// PeerDirectory against fake nodes on 127.0.0.1: what it believes, what it refuses, what it keeps.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PeerDirectory } from '../src/peer-directory.ts'
import { peerList } from '../src/node-status.ts'
import { PeerSet } from '../src/peers.ts'

/** A peer id shaped like a real one (base58 letters, 20 to 100 of them), named for reading. */
const id = (name: string): string => `12D3KooW${name.replace(/[^A-Za-z]/g, 'x')}${'Z'.repeat(20)}`

/** A fake node: answers /api/v1/node as `id` and /api/v1/peers with whatever `peers()` says. */
interface FakeNode { id: string, url: string, server: Server, peers: () => unknown }

async function fakeNode (id: string, peers: (self: string) => unknown = self => ({ peers: [{ peerId: id, http: self }] })): Promise<FakeNode> {
  const node = { id } as FakeNode
  node.server = createServer((req, res) => {
    const body = req.url === '/api/v1/node' ? { peerId: node.id, multiaddrs: [`/ip4/127.0.0.1/tcp/1/p2p/${node.id}`] } : req.url === '/api/v1/peers' ? node.peers() : undefined
    if (body === undefined) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body))
  })
  await new Promise<void>(resolve => node.server.listen(0, '127.0.0.1', resolve))
  node.url = `http://127.0.0.1:${(node.server.address() as { port: number }).port}`
  node.peers = () => peers(node.url)
  return node
}

describe('PeerDirectory', () => {
  let dir: string
  const fakes: FakeNode[] = []
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-peerdir-')) })
  after(async () => {
    for (const f of fakes) f.server.close()
    await rm(dir, { recursive: true, force: true })
  })
  const fake = async (id: string, peers?: (self: string) => unknown): Promise<FakeNode> => {
    const f = await fakeNode(id, peers)
    fakes.push(f)
    return f
  }

  it('learns a moved peer from another node\'s list, checks it answers as that peer, and keeps it in the cache file', async () => {
    const a = await fake(id('a'))
    const bNow = await fake(id('b'))
    a.peers = () => ({ peers: [{ peerId: id('a'), http: a.url }, { peerId: id('b'), http: bNow.url }, { peerId: id('c'), http: 'http://127.0.0.1:1' }] })
    const file = join(dir, 'moved.json')
    const d = await PeerDirectory.open({ file, seeds: [{ peerId: id('a'), http: a.url, multiaddrs: [] }, { peerId: id('b'), http: 'http://127.0.0.1:9', multiaddrs: [] }] })
    await d.refresh()
    assert.equal(d.get(id('b'))?.http, bNow.url)
    assert.deepEqual(d.lastRefresh?.moved, [id('b')])
    // Listed but not answering: not used.
    assert.equal(d.get(id('c')), undefined)
    assert.deepEqual(d.lastRefresh?.rejected.map(r => [r.peerId, r.code]), [[id('c'), 'ERR_NODE_UNREACHABLE']])
    const again = await PeerDirectory.open({ file })
    assert.equal(again.get(id('b'))?.http, bNow.url)
    // An older seed (devnet.json written before) does not undo what was verified since.
    const seeded = await PeerDirectory.open({ file, seeds: [{ peerId: id('b'), http: 'http://127.0.0.1:9', multiaddrs: [], seen: 1 }] })
    assert.equal(seeded.get(id('b'))?.http, bNow.url)
  })

  it('refuses a lying peer list: a URL that answers as another peer id is ERR_PEER_ID_MISMATCH and is not used', async () => {
    // The client looks for a peer that moved (its address is dead); a hostile list offers a URL
    // that another node answers at.
    const other = await fake(id('o'))
    const liar = await fake(id('l'), self => ({ peers: [{ peerId: id('l'), http: self }, { peerId: id('h'), http: other.url }] }))
    const d = await PeerDirectory.open({ seeds: [{ peerId: id('l'), http: liar.url, multiaddrs: [] }, { peerId: id('h'), http: 'http://127.0.0.1:9', multiaddrs: [] }] })
    await d.refresh()
    assert.equal(d.get(id('h'))?.http, 'http://127.0.0.1:9')
    assert.deepEqual(d.lastRefresh?.rejected.map(r => [r.peerId, r.code]), [[id('h'), 'ERR_PEER_ID_MISMATCH']])
    await assert.rejects(d.verify(id('h'), other.url), { code: 'ERR_PEER_ID_MISMATCH' })
  })

  it('keeps a known peer where it answers, even if a list names another address for it', async () => {
    const proxy = await fake(id('k'))
    const direct = await fake(id('k'))
    const src = await fake(id('s'), self => ({ peers: [{ peerId: id('s'), http: self }, { peerId: id('k'), http: direct.url }] }))
    const d = await PeerDirectory.open({ seeds: [{ peerId: id('s'), http: src.url, multiaddrs: [] }, { peerId: id('k'), http: proxy.url, multiaddrs: [] }] })
    await d.refresh()
    assert.equal(d.get(id('k'))?.http, proxy.url)
    proxy.server.close()
    proxy.server.closeAllConnections()
    const later = await PeerDirectory.open({ seeds: [{ peerId: id('s'), http: src.url, multiaddrs: [] }, { peerId: id('k'), http: proxy.url, multiaddrs: [] }] })
    await later.refresh()
    assert.equal(later.get(id('k'))?.http, direct.url)
  })

  it('drops a cached address that another node answers at now', async () => {
    const squatter = await fake(id('new'))
    const d = await PeerDirectory.open({ seeds: [{ peerId: id('old'), http: squatter.url, multiaddrs: [] }] })
    await d.refresh()
    assert.equal(d.get(id('old')), undefined)
    assert.equal(d.get(id('new'))?.http, squatter.url)
  })

  it('reads hostile peer lists and cache files without trusting them', async () => {
    const tooMany = await fake(id('x'), self => ({ peers: Array.from({ length: 65 }, (_, i) => ({ peerId: id(`p${'q'.repeat(i)}`), http: self })) }))
    await assert.rejects(peerList(tooMany.url), { code: 'ERR_BAD_PEER_LIST' })
    const huge = await fake(id('y'), () => JSON.stringify({ peers: [{ peerId: 'z'.repeat(100_000), http: 'http://127.0.0.1:1' }] }))
    await assert.rejects(peerList(huge.url), { code: 'ERR_BAD_PEER_LIST' })
    const notJson = await fake(id('w'), () => '<html>')
    await assert.rejects(peerList(notJson.url), { code: 'ERR_BAD_PEER_LIST' })
    // Bad entries are dropped: URLs with credentials, paths or other schemes, long ids.
    const mixed = await fake(id('v'), self => ({ peers: [{ peerId: id('ok'), http: self }, { peerId: id('cred'), http: 'http://u:p@127.0.0.1:1' }, { peerId: id('path'), http: `${self}/x` }, { peerId: id('file'), http: 'file:///etc/passwd' }, { peerId: 'i'.repeat(200), http: self }, { peerId: 'not/an id', http: self }, null, 7] }))
    assert.deepEqual((await peerList(mixed.url)).map(p => p.peerId), [id('ok')])
    const file = join(dir, 'hostile.json')
    await writeFile(file, JSON.stringify({ version: 1, peers: [{ peerId: 'ok', http: 'http://127.0.0.1:2', multiaddrs: ['/ip4/1.2.3.4/tcp/1', 5], seen: Date.now() }, { peerId: 'bad', http: 'javascript:alert(1)' }, 'junk'] }))
    const d = await PeerDirectory.open({ file })
    assert.deepEqual(d.peers(), [{ peerId: 'ok', http: 'http://127.0.0.1:2', multiaddrs: ['/ip4/1.2.3.4/tcp/1'] }])
    await writeFile(file, 'not json')
    assert.deepEqual((await PeerDirectory.open({ file })).peers(), [])
  })

  it('shares one refresh between concurrent callers', async () => {
    let lists = 0
    const n = await fake(id('n'), self => { lists++; return { peers: [{ peerId: id('n'), http: self }] } })
    const d = await PeerDirectory.open({ seeds: [{ peerId: id('n'), http: n.url, multiaddrs: [] }] })
    await Promise.all([d.refresh(), d.refresh(), d.refresh()])
    assert.equal(lists, 1)
  })

  it('PeerSet.upsert moves a known peer to its new address and clears its back-off', () => {
    const set = new PeerSet([{ peerId: 'a', http: 'http://old', multiaddrs: [] }])
    set.recordFailure('a')
    assert.ok(set.isBackingOff('a'))
    assert.equal(set.upsert({ peerId: 'a', http: 'http://new', multiaddrs: [] }), true)
    assert.equal(set.get('a')?.http, 'http://new')
    assert.equal(set.isBackingOff('a'), false)
    assert.equal(set.upsert({ peerId: 'a', http: 'http://new', multiaddrs: [] }), false)
  })
})

// The Node swarm bundle (issue 16): built once, reused while its inputs are unchanged, rebuilt
// when one changes, so a stale bundle never runs; and the real swarm module loads from it.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { importBundled, importSwarm } from '../src/swarm-loader.ts'

describe('importBundled', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-bundle-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('builds once, reuses while the inputs are unchanged, and rebuilds when one changes', async () => {
    const src = join(dir, 'src')
    const cache = join(dir, 'cache')
    await writeFile(join(dir, 'package.json'), '{"type":"module"}')
    await mkdir(src)
    await writeFile(join(src, 'part.ts'), 'export const answer: number = 1\n')
    await writeFile(join(src, 'entry.ts'), "export { answer } from './part.ts'\n")
    const entry = join(src, 'entry.ts')

    const first = await importBundled(entry, cache, 'thing') as { answer: number }
    assert.equal(first.answer, 1)
    const index = join(cache, 'thing.json')
    const built = (await stat(index)).mtimeMs
    const listed = JSON.parse(await readFile(index, 'utf8')) as { inputs: Array<[string]> }
    assert.deepEqual(listed.inputs.map(i => i[0]).sort(), [entry, join(src, 'part.ts')].sort(), 'the index names every bundled file')

    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal((await importBundled(entry, cache, 'thing') as { answer: number }).answer, 1)
    assert.equal((await stat(index)).mtimeMs, built, 'an unchanged bundle is not built again')

    // A changed input (a dependency, not the entry): the next import is a new build of the new code.
    await writeFile(join(src, 'part.ts'), 'export const answer: number = 2\n')
    await utimes(join(src, 'part.ts'), new Date(), new Date(Date.now() + 5_000))
    assert.equal((await importBundled(entry, cache, 'thing') as { answer: number }).answer, 2)
    assert.notEqual((await stat(index)).mtimeMs, built)
    assert.equal((await readdir(cache)).filter(f => f.endsWith('.mjs')).length, 2, 'the old bundle stays for a minute, for processes about to load it')
  })

  it('throws on an entry that does not build (the caller imports the modules instead)', async () => {
    const bad = join(dir, 'bad.ts')
    await writeFile(bad, "import { nothing } from './missing.ts'\nexport const x = nothing\n")
    await assert.rejects(importBundled(bad, join(dir, 'cache2'), 'bad'))
  })
})

describe('importSwarm', () => {
  it('loads the swarm module from the bundle, sharing @p2pdv/core with the process (one P2pdvError)', async () => {
    const swarm = await importSwarm()
    const esbuild = createRequire(import.meta.url).resolve('esbuild')
    const index = JSON.parse(await readFile(join(esbuild.slice(0, esbuild.lastIndexOf('/node_modules/')), 'node_modules/.cache/p2pdv/swarm-node.json'), 'utf8')) as { entry: string, bundle: string }
    assert.match(index.entry, /sdk\/src\/swarm\/index\.ts$/)
    assert.match(index.bundle, /^swarm-node-[0-9a-f]{16}\.mjs$/)
    assert.equal(typeof swarm.joinVideoSwarm, 'function')
    assert.equal(typeof swarm.ViewerSwarm.join, 'function')
    const { P2pdvError } = await import('@p2pdv/core/errors')
    // An impostor-free list with no reachable node: the join fails with this process's error class.
    const { CID } = await import('multiformats/cid')
    const manifest = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
    const err = await swarm.joinVideoSwarm({ nodes: [{ peerId: '12D3KooWnone', http: 'http://127.0.0.1:9' }], manifest, source: new swarm.MemoryBlockSource() }).catch((e: unknown) => e)
    assert.ok(err instanceof P2pdvError, `the bundle's errors are this process's P2pdvError: ${String(err)}`)
  })
})

/**
 * A live stream registered on chain, end to end on a devnet (anvil + three keeper nodes):
 * `p2pdv live start --private --input` (a lavfi file paced with -re, --epoch 4s) hands each epoch
 * key to the keepers; two viewers granted on chain get every epoch's key through the sdk
 * (LiveEpochKeys) and open segments; carol's grant is revoked mid-stream and from the next epoch
 * on the keepers refuse her (ERR_ACCESS_DENIED) while bob keeps getting keys. Hostile: a key
 * hand-over signed by someone else than the owner, a stale hand-over, a replayed key request, a
 * flood of junk requests: each refused with its code, and the keeper keeps serving bob.
 * `p2pdv watch p2pdv://live/<stream> --as bob` serves the stream through its local gateway; the
 * same as carol after her revocation is refused (ERR_ACCESS_DENIED) before any URL is printed.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { generateContentKey, openManifest, parseCid, streamOpeningKey, videoStreams } from '@p2pdv/core'
import { announcementFromJson, openSegment, verifyAnnouncement, type LiveAnnouncement } from '@p2pdv/core/live'
import { signKeyRequest, type VideoId } from '@p2pdv/core/keys'
import { ChainClient, parseChainConfig } from '@p2pdv/chain'
import { IdentityStore, type Identity } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { NodeClient } from '@p2pdv/node-client'
import { depositShares, KeeperClient, KeyResolver } from '@p2pdv/sdk/keys'
import { LiveEpochKeys } from '@p2pdv/sdk/live'
import { CLI, CLI_NODE_FLAGS, runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

interface Viewer { name: string, keys: LiveEpochKeys, got: Map<number, true>, refused: Map<number, string> }

/**
 * `p2pdv watch p2pdv://live/<stream> --as NAME`: once its gateway is ready, reads the master
 * playlist, the first media playlist and its first media segment through it, then stops it.
 * Or the command's exit code and error when it refuses before that.
 */
async function watchLiveAs (env: NodeJS.ProcessEnv, stream: string, as: string): Promise<{ segmentBytes?: number, code?: number | null, error?: string }> {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'watch', `p2pdv://live/${stream}`, '--as', as, '--json', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-8000) })
  const exit = new Promise<number | null>(resolve => proc.once('exit', c => { resolve(c) }))
  let error: string | undefined
  const ready = await new Promise<{ url: string } | undefined>(resolve => {
    createInterface({ input: proc.stdout }).on('line', line => {
      try { const e = JSON.parse(line); if (e.event === 'ready') resolve(e); if (typeof e.error?.code === 'string') error = e.error.code } catch {}
    })
    void exit.then(() => { resolve(undefined) })
  })
  if (ready === undefined) {
    const code = await exit
    return { code, ...(error === undefined ? { error: `no code: ${stderr.slice(-500)}` } : { error }) }
  }
  try {
    const uriIn = async (url: URL): Promise<URL> => {
      const res = await fetch(url)
      assert.equal(res.status, 200, `${url.pathname}: HTTP ${res.status}`)
      const uri = (await res.text()).split('\n').find(l => l !== '' && !l.startsWith('#'))
      assert.ok(uri !== undefined, `${url.pathname} lists nothing`)
      return new URL(uri, url)
    }
    const segment = await uriIn(await uriIn(new URL(ready.url)))
    const res = await fetch(segment)
    assert.equal(res.status, 200, `${segment.pathname}: HTTP ${res.status}`)
    return { segmentBytes: (await res.arrayBuffer()).byteLength }
  } finally {
    proc.kill('SIGTERM')
    await exit
  }
}

describe('p2pdv live start on chain: keeper-gated epoch keys, revocation mid-stream', () => {
  let devnet: RunningDevnet
  let oracle: ChainKeyOracle
  const ids = new Map<string, Identity>()
  const cli = async (args: string[]) => await runCli([...args, '--json'], devnet.env, 120_000)

  before(async () => {
    devnet = await startDevnet(3)
    const store = new IdentityStore(join(devnet.env.P2PDV_DEVNET_DIR!, 'keys'))
    const passphrase = (await readFile(join(devnet.env.P2PDV_DEVNET_DIR!, 'passphrase'), 'utf8')).trim()
    for (const name of ['alice', 'bob', 'carol']) ids.set(name, await store.open(name, passphrase))
    oracle = new ChainKeyOracle(await ChainClient.connect(parseChainConfig(devnet.state.chain, 'devnet')))
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('registers the stream, gates each epoch key, and stops a revoked viewer at the next epoch', { timeout: 600_000 }, async (t) => {
    const clip = join(devnet.dir, 'live.ts')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '40', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', '-y', clip])
    const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'live', 'start', '--json', '--title', 'keeper stream', '--private', '--input', clip, '--ladder', '360p', '--epoch', '4s'], { env: { ...process.env, ...devnet.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-8000) })
    const events: any[] = []
    const exit = new Promise<number | null>(resolve => proc.once('exit', c => { resolve(c) }))
    const started = await new Promise<any>((resolve, reject) => {
      createInterface({ input: proc.stdout }).on('line', line => {
        try { const e = JSON.parse(line); events.push(e); if (e.event === 'started') resolve(e) } catch {}
      })
      void exit.then(() => { reject(new Error(`live start exited:\n${stderr}`)) })
    })
    const video = started.video as VideoId
    const stream = started.stream as string
    assert.match(video, /^0x[0-9a-f]{64}$/)
    assert.equal(started.link, undefined, 'a registered stream prints no key-carrying link')
    assert.equal(started.policy, 'private')
    assert.equal(started.keepers.keepers.length, 3)
    for (const name of ['bob', 'carol']) {
      const g = await cli(['grant', video, name, '--as', 'alice'])
      assert.equal(g.code, 0, g.stderr)
    }

    const node = new NodeClient(devnet.state.nodes[0]!.http)
    const viewers: Viewer[] = ['bob', 'carol'].map(name => {
      const id = ids.get(name)!
      const resolver = new KeyResolver({ oracle, directory: oracle, viewer: { account: id.account, x25519PublicKey: id.x25519PublicKey, x25519PrivateKey: id.x25519PrivateKey } })
      return { name, keys: new LiveEpochKeys({ stream, video, resolver }), got: new Map(), refused: new Map() }
    })
    const [bob, carol] = viewers as [Viewer, Viewer]
    const seen = new Map<number, LiveAnnouncement>()
    let revokedAt: number | undefined
    // `p2pdv watch` of the registered stream, as bob while he may watch and as carol once revoked.
    let bobWatch: ReturnType<typeof watchLiveAs> | undefined
    let carolWatch: ReturnType<typeof watchLiveAs> | undefined
    const fetchMs: number[] = []
    const stopped = () => proc.exitCode !== null
    while (!stopped()) {
      await new Promise(resolve => setTimeout(resolve, 500))
      const window = await node.liveWindow(stream).catch(() => [])
      for (const raw of window) {
        const a = announcementFromJson(raw)
        assert.equal(a.key.kind, 'keeper')
        if (seen.has(a.seq)) continue
        assert.equal(await verifyAnnouncement(a), true)
        seen.set(a.seq, a)
        for (const v of viewers) v.keys.observe(a)
      }
      const epochs = [...new Set([...seen.values()].map(a => a.epoch))].sort((x, y) => x - y)
      for (const epoch of epochs) {
        for (const v of viewers) {
          if (v.got.has(epoch) || v.refused.has(epoch)) continue
          try {
            const t0 = performance.now()
            const key = await v.keys.keyFor(epoch)
            fetchMs.push(performance.now() - t0)
            const a = [...seen.values()].find(s => s.epoch === epoch)!
            await openSegment(key, stream, a.rendition, { kind: 'media', seq: a.seq }, await node.getBlock(a.cid))
            v.got.set(epoch, true)
          } catch (err) {
            const code = (err as { code?: string }).code ?? 'ERR_UNKNOWN'
            // Not handed over yet, or the link back not announced yet: the next round retries.
            if (code === 'ERR_LIVE_EPOCH_NOT_YET' || code === 'ERR_LIVE_EPOCH_GONE') continue
            v.refused.set(epoch, code)
          }
        }
      }
      if (bobWatch === undefined && bob.got.size >= 1) bobWatch = watchLiveAs(devnet.env, stream, 'bob')
      // Revoke carol once both have opened an epoch after the first.
      if (revokedAt === undefined && bob.got.size >= 2 && carol.got.size >= 2) {
        revokedAt = Math.max(...carol.got.keys())
        const r = await cli(['revoke', video, 'carol', '--as', 'alice'])
        assert.equal(r.code, 0, r.stderr)
        carolWatch = watchLiveAs(devnet.env, stream, 'carol')
      }
    }
    assert.equal(await exit, 0, stderr)
    assert.ok(revokedAt !== undefined, `never revoked: bob ${[...bob.got.keys()].join(',')}, carol ${[...carol.got.keys()].join(',')}, refused ${JSON.stringify([...carol.refused])}\n${stderr}`)
    const last = Math.max(...[...seen.values()].map(a => a.epoch))
    const diag = `bob ${[...bob.got.keys()].join(',')} refused ${JSON.stringify([...bob.refused])}; carol ${[...carol.got.keys()].join(',')} refused ${JSON.stringify([...carol.refused])}`
    assert.ok(last >= revokedAt + 2, `the stream ran past the revocation: last epoch ${last}, revoked at ${revokedAt}; ${diag}`)
    // Bob got every epoch; carol none later than the one after revocation (it may have been handed
    // over, and prefetched, before the revocation landed), and the keepers said why.
    for (let e = 0; e <= last; e++) if ([...seen.values()].some(a => a.epoch === e)) assert.ok(bob.got.has(e), `bob missed epoch ${e}: ${bob.refused.get(e) ?? ''}`)
    for (const e of carol.got.keys()) assert.ok(e <= revokedAt + 1, `carol got epoch ${e} after revocation at ${revokedAt}`)
    assert.equal(carol.refused.get(last), 'ERR_ACCESS_DENIED')
    // The CLI gateway: bob's keys open a segment; carol, revoked, is refused before any URL.
    assert.ok(bobWatch !== undefined && carolWatch !== undefined)
    const [bw, cw] = await Promise.all([bobWatch, carolWatch])
    assert.ok((bw.segmentBytes ?? 0) > 0, `bob's watch served no segment: ${JSON.stringify(bw)}`)
    assert.equal(cw.segmentBytes, undefined)
    assert.notEqual(cw.code, 0)
    assert.equal(cw.error, 'ERR_ACCESS_DENIED')
    const stoppedEvent = events.find(e => e.event === 'stopped')
    assert.ok(stoppedEvent !== undefined, stderr)
    assert.ok(typeof stoppedEvent.lastHandOverMs === 'number')
    const handOvers = events.filter(e => e.event === 'status' && typeof e.lastHandOverMs === 'number').map(e => e.lastHandOverMs as number)
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
    t.diagnostic(`epoch key hand-over to 3 keepers: ${handOvers.join(', ')} ms; key from memory or keepers (keyFor): median ${med(fetchMs)?.toFixed(1)} ms, max ${Math.max(...fetchMs).toFixed(1)} ms over ${fetchMs.length}`)

    // ---- hostile keepers' clients ----
    const keeperInfos = await Promise.all(started.keepers.keepers.map(async (a: `0x${string}`) => (await oracle.keeper(a))!))
    const client = new KeeperClient()
    // A hand-over signed by someone other than the owner: every keeper refuses it.
    await assert.rejects(depositShares({ key: generateContentKey(), video, epoch: last + 1, threshold: 2, keepers: keeperInfos, owner: ids.get('bob')!.account, domain: oracle.domain, client }),
      (err: any) => err.code === 'ERR_DEPOSIT_INCOMPLETE' && err.details.results.every((r: { code: string }) => r.code === 'ERR_NOT_OWNER'))
    // The owner replaying an older epoch: stale.
    await assert.rejects(depositShares({ key: generateContentKey(), video, epoch: 0, threshold: 2, keepers: keeperInfos, owner: ids.get('alice')!.account, domain: oracle.domain, client }),
      (err: any) => err.code === 'ERR_DEPOSIT_INCOMPLETE' && err.details.results.every((r: { code: string }) => r.code === 'ERR_DEPOSIT_STALE'))
    // A replayed request: answered once.
    const bobId = ids.get('bob')!
    const req = await signKeyRequest(bobId.account, { domain: oracle.domain, video, viewerKey: bobId.x25519PublicKey })
    assert.equal((await client.release(keeperInfos[0]!, req)).ok, true)
    const again = await client.release(keeperInfos[0]!, req)
    assert.equal(again.ok === false && again.code, 'ERR_KEY_REQUEST_REPLAYED')
    // A flood of forged requests: each refused with a code; the keeper keeps serving bob.
    const codes = new Set<string>()
    await Promise.all(Array.from({ length: 300 }, async () => {
      const r = await client.release(keeperInfos[1]!, { ...req, nonce: `0x${'ab'.repeat(32)}` } as typeof req).catch((err: { code: string }) => ({ ok: false as const, code: err.code }))
      codes.add(r.ok ? 'released' : r.code)
    }))
    // Forged: refused at the signature (or earlier, past the sender's budget); nothing released.
    assert.ok([...codes].every(c => ['ERR_BAD_SIGNATURE', 'ERR_RATE_LIMITED', 'ERR_KEEPER_BUSY'].includes(c)), [...codes].join(','))
    await new Promise(resolve => setTimeout(resolve, 3000))
    const fresh = new LiveEpochKeys({ stream, video, resolver: new KeyResolver({ oracle, directory: oracle, viewer: { account: bobId.account, x25519PublicKey: bobId.x25519PublicKey, x25519PrivateKey: bobId.x25519PrivateKey } }) })
    for (const a of seen.values()) fresh.observe(a)
    const t0 = performance.now()
    const key = await fresh.keyFor(0) // the newest key, walked back to the first epoch
    t.diagnostic(`a fresh viewer's key of epoch 0 (keepers' newest key, then ${last} links back): ${(performance.now() - t0).toFixed(1)} ms`)
    const first = [...seen.values()].find(a => a.epoch === 0)!
    const firstPlain = await openSegment(key, stream, first.rendition, { kind: 'media', seq: first.seq }, await node.getBlock(first.cid))

    // ---- the archive: the same video id now names a VOD of the stream's own segments ----
    const archived = events.at(-1)
    assert.equal(archived.event, 'archived', stderr)
    assert.equal(archived.video, video)
    assert.equal((await oracle.video(video))!.manifest, archived.manifestCid, 'the registry names the archive')
    // Bob, still granted, gets the archive key through the keepers as for any video (checked against the registry's fingerprint).
    const resolverOf = (name: string) => { const id = ids.get(name)!; return new KeyResolver({ oracle, directory: oracle, viewer: { account: id.account, x25519PublicKey: id.x25519PublicKey, x25519PrivateKey: id.x25519PrivateKey } }) }
    const vod = await resolverOf('bob').resolve(video)
    const manifestCid = parseCid(archived.manifestCid)
    const manifest = await openManifest(vod.key, manifestCid, await node.getBlock(manifestCid))
    assert.ok(manifest.type === 'video' && manifest.live !== undefined)
    const s0 = videoStreams(manifest).find(s => s.path.endsWith('/0.m4s'))!
    const { openChunk } = await import('@p2pdv/core')
    const vodPlain = await openChunk({ key: streamOpeningKey(manifest, vod.key, s0.epoch), objectId: manifest.objectId, stream: s0.stream.n, index: 0, last: true, context: s0.context }, await node.getBlock(s0.stream.chunks[0]!.cid))
    assert.deepEqual(vodPlain, firstPlain, 'the VOD segment is the live one, bit-exact')
    // Carol, revoked, gets no archive key either.
    await assert.rejects(resolverOf('carol').resolve(video), (err: any) => err.code === 'ERR_ACCESS_DENIED')
  })
})

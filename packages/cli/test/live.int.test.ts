/**
 * `p2pdv live start` end to end with real processes on 127.0.0.1: ffmpeg feeds a lavfi source
 * (as a file paced with -re, pushed over SRT, and pushed over RTMP as FLV), the CLI seals and stores ~1 s segments on two
 * nodes and announces them; a viewer holding only the link reads the window from a node, checks
 * every signature, fetches every block by CID, unwraps each epoch's key and opens every segment,
 * across epoch rotations (--epoch 2s). When the stream ends it becomes a VOD of the same blocks:
 * served by the `p2pdv watch` gateway, every segment is bit-exact to what was announced live and
 * ffmpeg decodes the whole archive; an archive manifest naming the wrong block is detected; a
 * stream stopped before any segment says ERR_LIVE_EMPTY and archives nothing.
 */
import assert from 'node:assert/strict'
import { spawn, execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { announcementFromJson, openSegment, parseLiveLink, unwrapEpochKey, verifyAnnouncement } from '@p2pdv/core/live'
import { formatCapability, openManifest, parseCapability, sealManifest, type VideoManifest } from '@p2pdv/core'
import { NodeClient } from '@p2pdv/node-client'
import { Client, startVideoGateway } from '@p2pdv/sdk'
import { ephemeralUploader, GrantBook } from '@p2pdv/sdk/upload-grants'
import { spawnNode, type SpawnedNode } from '../../node/test/fixtures/spawn-node.ts'
import { CLI, CLI_NODE_FLAGS } from './fixtures/cli.ts'

const execFileP = promisify(execFile)
const LAVFI = ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']

interface LiveRun { events: any[], started: Promise<any>, exit: Promise<number | null>, stderr: () => string, kill: (sig: NodeJS.Signals) => void }

function liveStart (args: string[]): LiveRun {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'live', 'start', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-8000) })
  const events: any[] = []
  let onStart: (e: any) => void = () => {}
  const started = new Promise<any>(resolve => { onStart = resolve })
  createInterface({ input: proc.stdout }).on('line', line => {
    try { const e = JSON.parse(line); events.push(e); if (e.event === 'started') onStart(e) } catch {}
  })
  const exit = new Promise<number | null>(resolve => proc.once('exit', c => { onStart(undefined); resolve(c) }))
  return { events, started, exit, stderr: () => stderr, kill: sig => { proc.kill(sig) } }
}

/** Everything a viewer with the link can do without a browser: verify, fetch, unwrap, open. */
async function watchAsViewer (link: string, node: SpawnedNode): Promise<{ epochs: Set<number>, perRendition: Map<number, number[]>, plain: Map<string, Uint8Array>, ends: Map<number, number[]> }> {
  const l = parseLiveLink(link)
  const client = new NodeClient(node.info.http)
  const window = (await client.liveWindow(l.stream)).map(announcementFromJson)
  const epochs = new Set<number>()
  const perRendition = new Map<number, number[]>()
  const plain = new Map<string, Uint8Array>()
  const ends = new Map<number, number[]>()
  for (const a of window) {
    if (a.last === true) ends.set(a.rendition, [...(ends.get(a.rendition) ?? []), a.seq])
    assert.equal(await verifyAnnouncement(a), true)
    const key = await unwrapEpochKey(l, a.epoch, a.key)
    const seg = await openSegment(key, l.stream, a.rendition, { kind: 'media', seq: a.seq }, await client.getBlock(a.cid))
    const init = await openSegment(key, l.stream, a.rendition, { kind: 'init', epoch: a.epoch }, await client.getBlock(a.init))
    assert.equal(Buffer.from(init.subarray(4, 8)).toString(), 'ftyp')
    assert.ok(['styp', 'moof'].includes(Buffer.from(seg.subarray(4, 8)).toString()))
    plain.set(`${a.rendition}/${a.seq}`, seg)
    plain.set(`${a.rendition}/init`, init)
    epochs.add(a.epoch)
    perRendition.set(a.rendition, [...(perRendition.get(a.rendition) ?? []), a.seq])
  }
  return { epochs, perRendition, plain, ends }
}

async function freeTcpPort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

async function freeUdpPort (): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

describe('p2pdv live start', () => {
  let nodes: SpawnedNode[]
  let dir: string
  before(async () => {
    nodes = await Promise.all([spawnNode(), spawnNode()])
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-live-test-'))
  })
  after(async () => {
    await Promise.all((nodes ?? []).map(async n => { await n.stop() }))
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('streams a file paced as live to two nodes; a link holder opens every segment across epoch rotations', { timeout: 180_000 }, async () => {
    const input = join(dir, 'source.ts')
    await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...LAVFI, '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', '-y', input])
    const run = liveStart(['--title', 'test stream', '--input', input, '--ladder', '720p,360p', '--epoch', '2s', ...nodes.flatMap(n => ['--node', n.info.http])])
    const started = await run.started
    assert.ok(started !== undefined, run.stderr())
    assert.match(started.link, /^p2pdv:\/\/live\/[0-9a-f]{64}#[A-Za-z0-9_-]{43}$/)
    assert.equal(await run.exit, 0, run.stderr())
    const stopped = run.events.find(e => e.event === 'stopped')
    assert.ok(stopped.segments >= 10, `segments: ${String(stopped.segments)}`)
    let live: Awaited<ReturnType<typeof watchAsViewer>> | undefined
    for (const node of nodes) {
      live = await watchAsViewer(started.link, node)
      const { epochs, perRendition } = live
      assert.ok(epochs.size >= 2, `epochs seen: ${[...epochs].join(',')}`)
      assert.deepEqual([...perRendition.keys()].sort(), [0, 1])
      for (const seqs of perRendition.values()) assert.deepEqual(seqs, seqs.map((_s, i) => i), 'every segment, in order')
      // The input ended: each rendition's final segment, and only it, carries the signed end.
      for (const [r, seqs] of perRendition) assert.deepEqual(live.ends.get(r), [seqs.at(-1)], `rendition ${r}: end announced on its last segment`)
    }

    // ---- the archive: a VOD of the same blocks ----
    const archived = run.events.at(-1)
    assert.equal(archived.event, 'archived', run.stderr())
    assert.equal(archived.segments, stopped.segments)
    assert.deepEqual(archived.renditions, ['720p', '360p'])
    assert.ok(archived.epochs >= 2)
    const client = await Client.create({ peers: nodes.map(n => ({ peerId: n.info.peerId, multiaddrs: n.info.multiaddrs, http: n.info.http })) })
    const gateway = await startVideoGateway(client, archived.link)
    try {
      const base = gateway.url.replace(/master\.m3u8$/, '')
      const get = async (path: string) => new Uint8Array(await (await fetch(base + path)).arrayBuffer())
      for (const [r, id] of ['720p', '360p'].entries()) {
        const seqs = live!.perRendition.get(r)!
        assert.deepEqual(await get(`${id}/init.mp4`), live!.plain.get(`${r}/init`))
        for (const seq of seqs) assert.deepEqual(await get(`${id}/${seq}.m4s`), live!.plain.get(`${r}/${seq}`), `${id} segment ${seq} bit-exact`)
        const playlist = new TextDecoder().decode(await get(`${id}/index.m3u8`))
        assert.equal(playlist.match(/\.m4s/g)?.length, seqs.length)
      }
      // It plays: ffmpeg decodes every frame of the archive through the gateway.
      await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', gateway.url, '-map', '0:v:0', '-f', 'null', '-'])

      // Hostile: an archive manifest (sealed under the right key) naming segment 1's block as segment 0.
      const cap = parseCapability(archived.link)
      const manifest = await openManifest(cap.key, cap.manifest, await new NodeClient(nodes[0]!.info.http).getBlock(cap.manifest)) as VideoManifest
      const [s0, s1] = manifest.renditions[1]!.segments
      const forged: VideoManifest = { ...manifest, renditions: [manifest.renditions[0]!, { ...manifest.renditions[1]!, segments: [{ ...s0!, stream: { ...s0!.stream, chunks: s1!.stream.chunks, size: s1!.stream.size } }, ...manifest.renditions[1]!.segments.slice(1)] }] }
      const sealed = await sealManifest(cap.key, forged)
      const grants = new GrantBook(async () => await ephemeralUploader())
      const grant = await grants.forNode(nodes[0]!.info.peerId, sealed.block.byteLength)
      await new NodeClient(nodes[0]!.info.http, { peerId: nodes[0]!.info.peerId }).putBlock(sealed.cid, sealed.block, { authorization: grant.authorization })
      const forgedLink = formatCapability({ manifest: sealed.cid, key: cap.key })
      await assert.rejects(client.readVideoFile(forgedLink, '360p/0.m4s'), (err: any) => err.code === 'ERR_CHUNK_AUTH')
      // The untouched segment still opens from the forged manifest; only the swapped one is refused.
      assert.deepEqual(await client.readVideoFile(forgedLink, '360p/1.m4s'), live!.plain.get('1/1'))
    } finally {
      await gateway.close()
      await client.close()
    }
  })

  it('takes an RTMP push (ffmpeg -f flv); the announced segments open, and the archive follows', { timeout: 180_000 }, async () => {
    const port = await freeTcpPort()
    const run = liveStart(['--title', 'rtmp stream', '--rtmp', `127.0.0.1:${port}`, '--ladder', '360p', '--node', nodes[0]!.info.http])
    const started = await run.started
    assert.equal(started?.ingest, `rtmp://127.0.0.1:${port}/live/stream`, run.stderr())
    const stream = parseLiveLink(started.link).stream
    const client = new NodeClient(nodes[0]!.info.http)
    let pusher: ReturnType<typeof spawn> | undefined
    let segments = 0
    // The pusher retries until the listener is up; it is stopped (SIGTERM) while still live.
    for (let i = 0; i < 240 && segments < 3; i++) {
      if (pusher === undefined || pusher.exitCode !== null) {
        pusher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', ...LAVFI, '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-c:a', 'aac', '-f', 'flv', started.ingest], { stdio: 'ignore' })
      }
      await new Promise(resolve => setTimeout(resolve, 250))
      segments = await client.liveWindow(stream).then(w => w.length, () => 0)
    }
    run.kill('SIGTERM')
    assert.equal(await run.exit, 0, run.stderr())
    pusher?.kill('SIGKILL')
    const { perRendition, ends } = await watchAsViewer(started.link, nodes[0]!)
    assert.ok((perRendition.get(0) ?? []).length >= 3)
    // Stopped by the creator while live: the final segment announces the end (viewers stop at once).
    assert.deepEqual(ends.get(0), [perRendition.get(0)!.at(-1)])
    assert.equal(run.events.at(-1).event, 'archived', run.stderr())
  })

  it('a stream stopped before any segment says ERR_LIVE_EMPTY and archives nothing', { timeout: 60_000 }, async () => {
    const port = await freeUdpPort()
    const run = liveStart(['--title', 'empty stream', '--srt', `127.0.0.1:${port}`, '--ladder', '360p', '--node', nodes[0]!.info.http])
    const started = await run.started
    assert.ok(started !== undefined, run.stderr())
    run.kill('SIGTERM')
    const code = await run.exit
    const seen = `exit ${String(code)}, events ${JSON.stringify(run.events)}\n${run.stderr()}`
    assert.equal(code, 1, seen)
    assert.equal(run.events.at(-1)?.error?.code, 'ERR_LIVE_EMPTY', seen)
    assert.equal(run.events.some(e => e.event === 'archived'), false)
  })

  it('takes an SRT push and stops cleanly on SIGTERM', { timeout: 180_000 }, async () => {
    const port = await freeUdpPort()
    const run = liveStart(['--title', 'srt stream', '--srt', `127.0.0.1:${port}`, '--ladder', '360p', ...nodes.flatMap(n => ['--node', n.info.http])])
    const started = await run.started
    assert.equal(started?.ingest, `srt://127.0.0.1:${port}`, run.stderr())
    // The listener may take a moment to bind: the pusher retries until it connects. It pushes
    // longer than the test needs: the stream is stopped with SIGTERM while it is still live.
    const stream = parseLiveLink(started.link).stream
    const client = new NodeClient(nodes[0]!.info.http)
    let pusher: ReturnType<typeof spawn> | undefined
    let segments = 0
    for (let i = 0; i < 240 && segments < 3; i++) {
      if (pusher === undefined || pusher.exitCode !== null) {
        pusher = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', ...LAVFI, '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-c:a', 'aac', '-f', 'mpegts', `srt://127.0.0.1:${port}?mode=caller`], { stdio: 'ignore' })
      }
      await new Promise(resolve => setTimeout(resolve, 250))
      segments = await client.liveWindow(stream).then(w => w.length, () => 0)
    }
    run.kill('SIGTERM')
    assert.equal(await run.exit, 0, run.stderr())
    pusher?.kill('SIGKILL')
    const stopped = run.events.find(e => e.event === 'stopped')
    assert.ok(stopped !== undefined, run.stderr())
    assert.equal(run.events.at(-1).event, 'archived', run.stderr())
    assert.ok(stopped.segments >= 3, `segments: ${String(stopped.segments)}`)
    const { perRendition } = await watchAsViewer(started.link, nodes[0]!)
    assert.ok((perRendition.get(0) ?? []).length >= 3)
  })
})

/**
 * `p2pdv watch p2pdv://live/…` end to end with real processes on 127.0.0.1: `p2pdv live start`
 * streams a lavfi source paced with -re to two nodes, one of which serves every block with a byte
 * flipped (P2PDV_TEST_FAULTS=serve-garbage). `p2pdv watch` serves the stream as live HLS on
 * 127.0.0.1: ffprobe opens it as a player would, the playlist's live edge advances, each segment
 * served decodes, and the playlist gets EXT-X-ENDLIST once the stream stops (the command then
 * exits by itself). A viewer whose only node serves tampered blocks is refused, never served.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { spawnNode, type SpawnedNode } from '../../node/test/fixtures/spawn-node.ts'
import { CLI, CLI_NODE_FLAGS, runCli } from './fixtures/cli.ts'

const execFileP = promisify(execFile)

interface Run { events: any[], next: (event: string) => Promise<any>, exit: Promise<number | null>, stderr: () => string, kill: (sig: NodeJS.Signals) => void }

/** The CLI with --json, its events as they come. */
function cli (args: string[]): Run {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-8000) })
  const events: any[] = []
  const waiting: Array<{ event: string, resolve: (e: any) => void }> = []
  createInterface({ input: proc.stdout }).on('line', line => {
    let e: any
    try { e = JSON.parse(line) } catch { return }
    events.push(e)
    for (const w of waiting.filter(w => w.event === e.event || e.error !== undefined)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(e) }
  })
  const exit = new Promise<number | null>(resolve => proc.once('exit', c => { for (const w of waiting.splice(0)) w.resolve(undefined); resolve(c) }))
  return {
    events,
    next: async event => events.find(e => e.event === event || e.error !== undefined) ?? await new Promise(resolve => { waiting.push({ event, resolve }) }),
    exit,
    stderr: () => stderr,
    kill: sig => { proc.kill(sig) }
  }
}

/** Between two polls of a playlist (new segments come about once a second). */
async function pause (): Promise<void> { await new Promise(resolve => setTimeout(resolve, 250)) }

async function text (url: string): Promise<string> {
  const res = await fetch(url)
  assert.equal(res.status, 200, url)
  return await res.text()
}

/** The media playlist's sequence numbers, media sequence, init URI and end tag. */
function parsePlaylist (body: string): { mediaSequence: number, seqs: number[], map: string, ended: boolean } {
  return {
    mediaSequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body)?.[1]),
    seqs: body.split('\n').filter(l => /^\d+\.m4s$/.test(l)).map(l => Number(l.slice(0, -4))),
    map: [...body.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].at(-1)?.[1] ?? '',
    ended: body.includes('#EXT-X-ENDLIST')
  }
}

describe('p2pdv watch LIVE_LINK', () => {
  let good: SpawnedNode
  let garbage: SpawnedNode
  let dir: string
  before(async () => {
    [good, garbage] = await Promise.all([spawnNode(), spawnNode({ env: { P2PDV_TEST_FAULTS: 'serve-garbage' } })])
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-live-watch-'))
  })
  after(async () => {
    await Promise.all([good, garbage].filter(n => n !== undefined).map(async n => { await n.stop() }))
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('serves a live stream as HLS that ffprobe opens, follows the edge, refuses tampered blocks and ends with EXT-X-ENDLIST', { timeout: 120_000 }, async t => {
    const input = join(dir, 'source.ts')
    await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', '-y', input])
    const nodeFlags = [good, garbage].flatMap(n => ['--node', n.info.http])
    const live = cli(['live', 'start', '--title', 'watch me', '--input', input, '--ladder', '360p', '--epoch', '3s', ...nodeFlags])
    const started = await live.next('started')
    assert.ok(started?.link !== undefined, live.stderr())

    // The tampered node first: its copies are refused and the good node's are served.
    const watch = cli(['watch', started.link, '--node', garbage.info.http, '--node', good.info.http])
    t.after(() => { live.kill('SIGKILL'); watch.kill('SIGKILL') })
    const ready = await watch.next('ready')
    assert.ok(ready?.url !== undefined, watch.stderr())
    assert.deepEqual(ready.renditions, ['360p'])

    const probe = JSON.parse((await execFileP('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', ready.url])).stdout)
    assert.deepEqual(probe.streams.map((s: any) => s.codec_name).sort(), ['aac', 'h264'])

    const master = await text(ready.url)
    const variant = new URL(master.split('\n').find(l => l.endsWith('index.m3u8'))!, ready.url).href
    const first = parsePlaylist(await text(variant))
    // A player polling the playlist until the stream ends (the command waits for its player to go idle).
    const follow = (async () => {
      let p = first
      while (!p.ended) { await pause(); p = parsePlaylist(await text(variant)) }
      return p
    })()
    follow.catch(() => {}) // awaited below; a failure before that must not surface as unhandled
    assert.equal(first.mediaSequence, first.seqs[0])
    let later = first
    while (later.seqs.at(-1)! <= first.seqs.at(-1)!) { await pause(); later = parsePlaylist(await text(variant)) }
    assert.ok(later.mediaSequence >= first.mediaSequence)

    // One segment, opened here under its epoch key, decodes with the init of its epoch.
    const init = Buffer.from(await (await fetch(new URL(later.map, variant))).arrayBuffer())
    const seg = Buffer.from(await (await fetch(new URL(`${later.seqs.at(-1)!}.m4s`, variant))).arrayBuffer())
    const file = join(dir, 'one.mp4')
    await writeFile(file, Buffer.concat([init, seg]))
    const frames = (await execFileP('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file])).stdout.trim()
    assert.ok(Number(frames) >= 15, `frames decoded: ${frames}`)

    // A viewer reaching only the tampered node gets a coded refusal, never its bytes; a link with
    // another key fails before any URL is handed out.
    const otherKey = `${started.link.split('#')[0]!}#${'A'.repeat(43)}`
    const [refused, wrongKey] = await Promise.all([
      runCli(['watch', started.link, '--node', garbage.info.http, '--json']),
      runCli(['watch', otherKey, '--node', good.info.http, '--json'])
    ])
    assert.notEqual(refused.code, 0)
    assert.equal(refused.json?.error?.code, 'ERR_BLOCK_UNAVAILABLE', refused.stderr)
    assert.equal(wrongKey.json?.error?.code, 'ERR_LIVE_KEY', wrongKey.stderr)

    // Hostile requests to the gateway: another token, a path it does not serve, an oversized path.
    const base = new URL(ready.url)
    assert.equal((await fetch(new URL('/0123456789abcdef0123456789abcdef/master.m3u8', base))).status, 403)
    const junk = await fetch(new URL('r0/../../etc/passwd', ready.url))
    assert.ok(junk.status >= 400)
    const bad = await fetch(new URL('r7/index.m3u8', ready.url))
    assert.equal((await bad.json()).code, 'ERR_VIDEO_PATH')
    assert.equal((await fetch(new URL(`${'a'.repeat(400)}.m4s`, ready.url))).status, 414)

    assert.equal(await live.exit, 0, live.stderr())
    const last = await follow
    assert.ok(last.seqs.length >= 8, `segments listed: ${last.seqs.length}`)
    assert.equal(await watch.exit, 0, watch.stderr())
    const closed = watch.events.at(-1)
    assert.equal(closed.event, 'closed')
    assert.equal(closed.endedBy, 'creator', 'the signed end, not 12 s of silence')
    assert.ok(closed.rejectedBlocks >= 1, 'the tampered copies were fetched and refused')
    assert.equal(closed.failedSegments, 0)
  })

  it('refuses a malformed live link with ERR_BAD_LIVE_LINK', async () => {
    const r = await runCli(['watch', 'p2pdv://live/1234#short', '--node', 'http://127.0.0.1:9', '--json'])
    assert.equal(r.json?.error?.code, 'ERR_BAD_LIVE_LINK', r.stderr)
  })
})

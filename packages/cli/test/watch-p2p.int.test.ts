// `p2pdv watch` in the viewer swarm (issue 16): two watch processes of one video on a real devnet,
// WebRTC over loopback (node-datachannel); the second fetches blocks ahead from the first. A
// viewer serving wrong bytes is banned and playback goes on from the nodes. Every watch process
// must exit cleanly on SIGTERM (node-datachannel's threads would otherwise keep it alive).
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { parseCapability } from '@p2pdv/core'
import { joinVideoSwarm, type BlockSource, type ViewerSwarm } from '@p2pdv/sdk/swarm'
import { CLI, CLI_NODE_FLAGS, runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)
const SECONDS = 32

interface Status { event: string, bytesFromPeers: number, bytesFromNodes: number, bytesToPeers: number, peers: number, bannedPeers: number, joined: boolean }

interface Watcher {
  url: string
  base: string
  ready: { p2p: boolean }
  /** Resolves with the first status event `test` accepts. */
  until: (test: (s: Status) => boolean, what: string) => Promise<Status>
  /** SIGTERM; resolves with the exit code and the final ('stopped') status. */
  stop: () => Promise<{ code: number | null, last: Status | undefined }>
}

async function startWatch (capability: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Watcher> {
  const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'watch', capability, '--json', ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', d => { stderr = (stderr + String(d)).slice(-5000) })
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  const events: any[] = []
  const listeners = new Set<() => void>()
  createInterface({ input: proc.stdout }).on('line', line => {
    try { events.push(JSON.parse(line)) } catch { return }
    for (const l of listeners) l()
  })
  const waitFor = async <T>(pick: () => T | undefined, what: string): Promise<T> => await new Promise<T>((resolve, reject) => {
    const check = (): void => { const v = pick(); if (v !== undefined) { listeners.delete(check); clearTimeout(timer); resolve(v) } }
    const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`watch: no ${what} in time\n${stderr}`)) }, 90_000)
    listeners.add(check)
    void exited.then(() => { listeners.delete(check); clearTimeout(timer); reject(new Error(`watch exited before ${what}\n${stderr}`)) })
    check()
  })
  const ready = await waitFor(() => events.find(e => e.event === 'ready'), 'ready')
  return {
    url: ready.url,
    base: ready.url.replace(/master\.m3u8$/, ''),
    ready,
    until: async (test, what) => await waitFor(() => events.find(e => e.event === 'status' && test(e)), what),
    stop: async () => {
      proc.kill('SIGTERM')
      const code = await exited
      return { code, last: events.findLast(e => e.event === 'stopped') }
    }
  }
}

/** What a player does first: the master playlist, then the first segment of a video rendition. */
async function startPlaying (w: Watcher): Promise<void> {
  const master = await (await fetch(w.url)).text()
  const lines = master.split('\n')
  const variant = lines[lines.findIndex(l => l.startsWith('#EXT-X-STREAM-INF')) + 1]!
  const rendition = variant.split('/')[0]!
  const first = await fetch(`${w.base}${rendition}/0.m4s`)
  assert.equal(first.status, 200)
  await first.arrayBuffer()
}

/** ffmpeg decodes the whole video through the gateway: zero errors. */
async function decodesWhole (w: Watcher): Promise<void> {
  const decoded = await run('ffmpeg', ['-v', 'error', '-i', w.url, '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
  assert.equal(decoded.stderr.trim(), '')
}

describe('p2pdv watch in the viewer swarm', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv
  let capability: string
  let liar: ViewerSwarm | undefined

  before(async () => {
    devnet = await startDevnet(2)
    env = { ...devnet.env, P2PDV_PASSPHRASE: 'test passphrase', P2PDV_CACHE_DIR: join(devnet.dir, 'cache') }
    const video = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SECONDS), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', video])
    const up = await runCli(['upload', video, '--replicas', '2', '--json'], env, 600_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    capability = up.json.capability
  })
  after(async () => {
    if (liar !== undefined) await Promise.race([liar.stop().catch(() => {}), new Promise(resolve => setTimeout(resolve, 10_000).unref())])
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
    const { cleanup } = await import('node-datachannel')
    cleanup()
  })

  it('a second watch fetches a share of its blocks from the first, plays the whole video, and both exit cleanly', async () => {
    const a = await startWatch(capability, env)
    let b: Watcher | undefined
    try {
      assert.equal(a.ready.p2p, true)
      await startPlaying(a)
      await a.until(s => s.joined && s.bytesFromNodes > 0, 'swarm joined by A')
      b = await startWatch(capability, env)
      await startPlaying(b)
      await b.until(s => s.bytesFromPeers > 0, 'bytes from peers at B')
      await decodesWhole(b)
    } finally {
      const sb: Awaited<ReturnType<Watcher['stop']>> | undefined = b === undefined ? undefined : await b.stop()
      const sa = await a.stop()
      if (sb !== undefined) {
        assert.equal(sb.code, 0)
        const last = sb.last!
        assert.ok(last.bytesFromPeers > 0)
        process.stdout.write(`# B: ${last.bytesFromPeers} bytes from peers, ${last.bytesFromNodes} from nodes (${(100 * last.bytesFromPeers / (last.bytesFromPeers + last.bytesFromNodes)).toFixed(1)} % from peers)\n`)
        assert.ok(sa.last!.bytesToPeers > 0, 'A served B')
      }
      assert.equal(sa.code, 0)
    }
  })

  it('a viewer serving wrong bytes is banned and playback goes on from the nodes', async () => {
    // A hostile viewer in the same swarm: answers every request with random bytes.
    const lying: BlockSource = { get: () => new Uint8Array(randomBytes(1000)), cids: () => [] }
    liar = await joinVideoSwarm({ nodes: devnet.state.nodes, manifest: parseCapability(capability).manifest, source: lying })
    const c = await startWatch(capability, env)
    try {
      await startPlaying(c)
      await c.until(s => s.bannedPeers >= 1, 'ban of the lying viewer')
      await decodesWhole(c)
    } finally {
      const sc = await c.stop()
      assert.equal(sc.code, 0)
      assert.ok(sc.last!.bannedPeers >= 1)
      assert.equal(sc.last!.bytesFromPeers, 0)
    }
  })

  it('--no-p2p joins no swarm and plays from the nodes', async () => {
    const d = await startWatch(capability, env, ['--no-p2p'])
    try {
      assert.equal(d.ready.p2p, false)
      await startPlaying(d)
      await decodesWhole(d)
    } finally {
      const sd = await d.stop()
      assert.equal(sd.code, 0)
      assert.equal(sd.last, undefined)
    }
  })
})

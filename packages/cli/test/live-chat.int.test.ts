/**
 * `p2pdv live start --chat` on one node (no chain): the creator's console prints a viewer's
 * message, sends its own, and `/mute` makes the viewer's messages disappear from the viewer's
 * client too (the signed moderation list every client applies).
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { announcementFromJson, parseLiveLink, unwrapEpochKey } from '@p2pdv/core/live'
import { NodeClient } from '@p2pdv/node-client'
import { chatIdentity, LiveChat, type ChatEntry } from '@p2pdv/sdk/live'
import { spawnNode, type SpawnedNode } from '../../node/test/fixtures/spawn-node.ts'
import { CLI, CLI_NODE_FLAGS } from './fixtures/cli.ts'

const run = promisify(execFile)

describe('live start --chat', { timeout: 90_000 }, () => {
  let node: SpawnedNode
  let dir: string
  const stop = new AbortController()
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pdv-live-chat-'))
    node = await spawnNode()
  })
  after(async () => { stop.abort(); await node?.stop(); await rm(dir, { recursive: true, force: true }) })

  it('prints viewers\' messages, sends the creator\'s, and mutes a sender on every client', async () => {
    const clip = join(dir, 'clip.ts')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24', '-t', '40', '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', '-y', clip])
    const proc = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, 'live', 'start', '--title', 'chat', '--chat', '--input', clip, '--ladder', '360p', '--epoch', '1h', '--node', node.info.http], { stdio: ['pipe', 'pipe', 'pipe'] })
    const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
    let out = ''
    const waiters: Array<() => void> = []
    const onData = (d: unknown): void => { out += String(d); for (const w of waiters.splice(0)) w() }
    proc.stdout.on('data', onData)
    proc.stderr.on('data', onData)
    const until = async (re: RegExp): Promise<RegExpExecArray> => {
      let m: RegExpExecArray | null
      while ((m = re.exec(out)) === null) {
        if (proc.exitCode !== null) throw new Error(`live start exited:\n${out}`)
        await new Promise<void>(resolve => waiters.push(resolve))
      }
      return m
    }
    try {
      const link = parseLiveLink((await until(/link:\s+(p2pdv:\/\/live\/\S+)/))[1]!)
      // The viewer: the epoch key from the link and the stream's first announcement.
      const client = new NodeClient(node.info.http)
      let window: unknown[] = []
      while (window.length === 0) window = await client.liveWindow(link.stream).catch(async () => { await new Promise(r => setTimeout(r, 200)); return [] })
      const key = await unwrapEpochKey(link, 0, announcementFromJson(window[0]).key)
      const changes: Array<() => void> = []
      let shown: ChatEntry[] = []
      const viewer = new LiveChat({
        stream: link.stream, nodes: () => [node.info.http], epochKey: async () => key, currentEpoch: () => 0, identity: await chatIdentity(), signal: stop.signal,
        onChange: e => { shown = e; for (const c of changes.splice(0)) c() }
      })
      void viewer.run()
      const shows = async (test: (e: ChatEntry[]) => boolean): Promise<void> => { while (!test(shown)) await new Promise<void>(resolve => changes.push(resolve)) }

      await viewer.send('hello creator')
      await until(new RegExp(`chat ${viewer.self.slice(0, 8)} [0-9a-f]{8}: hello creator`))
      proc.stdin.write('welcome!\n')
      await shows(e => e.some(m => m.creator && m.text === 'welcome!'))
      proc.stdin.write(`/mute ${viewer.self.slice(0, 8)}\n`)
      await until(/moderation v\d+: 0 hidden, 1 muted/)
      await shows(e => e.every(m => m.creator))
      await assert.rejects(viewer.send('am I muted?'), (err: { code?: string }) => err.code === 'ERR_LIVE_CHAT_MUTED')
      proc.stdin.write('/mute zz\n')
      await until(/chat: ERR_USAGE/)
    } finally {
      proc.kill('SIGINT')
      await exited
    }
  })
})

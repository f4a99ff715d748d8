// Video on demand end to end, as a user runs it: upload on a real devnet, then watch through the
// local HLS gateway with ffmpeg as the player.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { CLI, runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

async function startWatch (capability: string, env: NodeJS.ProcessEnv): Promise<{ url: string, stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [CLI, 'watch', capability, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('watch not ready')), 60_000)
    createInterface({ input: proc.stdout }).on('line', line => {
      try { const m = JSON.parse(line); if (m.event === 'ready') { clearTimeout(timer); resolve(m.url) } } catch {}
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error('watch exited')) })
  })
  return { url, stop: async () => { proc.kill('SIGTERM'); await exited } }
}

describe('p2pdv upload / watch', () => {
  let devnet: RunningDevnet
  let video: string
  let capability: string

  before(async () => {
    devnet = await startDevnet(3)
    video = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', video])
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('upload transcodes, seals and stores the ladder and prints a capability', async () => {
    const r = await runCli(['upload', video, '--title', 'Test card', '--json'], devnet.env, 300_000)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(r.json.renditions, ['480p', '360p', 'audio'])
    assert.equal(r.json.receipts, (r.json.blocks + 1) * 3)
    capability = r.json.capability
    assert.match(capability, /^p2pdv:\/\/b[a-z2-7]+#[A-Za-z0-9_-]{43}$/)
  })

  it('watch serves plain HLS that ffmpeg decodes whole, with zero errors and the same duration', async () => {
    const w = await startWatch(capability, devnet.env)
    try {
      const decoded = await run('ffmpeg', ['-v', 'error', '-i', w.url, '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
      assert.equal(decoded.stderr.trim(), '')
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', w.url])
      assert.ok(Math.abs(Number(stdout.trim()) - 8) < 0.1, `duration ${stdout}`)
      // The stream is guarded by the random token in its URL.
      const forged = w.url.replace(/\/[0-9a-f]{32}\//, '/00000000000000000000000000000000/')
      assert.equal((await fetch(forged)).status, 403)
    } finally {
      await w.stop()
    }
  })

  it('download keeps the blocks, and watch plays from them with every node stopped', async () => {
    const env = { ...devnet.env, P2PDV_CACHE_DIR: join(devnet.dir, 'cache') }
    const d = await runCli(['download', capability, '--json'], env)
    assert.equal(d.code, 0, d.stdout + d.stderr)
    assert.ok(d.json.blocks > 5)
    await devnet.stop()
    try {
      const w = await startWatch(capability, env)
      try {
        const decoded = await run('ffmpeg', ['-v', 'error', '-i', w.url, '-map', '0:v:0', '-map', '0:a:0', '-f', 'null', '-'])
        assert.equal(decoded.stderr.trim(), '')
      } finally {
        await w.stop()
      }
    } finally {
      devnet = await startDevnet(3, devnet.dir)
    }
  })

  it('refuses to mix up files and videos, with hints', async () => {
    const r = await runCli(['get', capability, '-o', join(devnet.dir, 'x.bin'), '--json'], devnet.env)
    assert.equal(r.json.error.code, 'ERR_NOT_A_FILE')
    assert.match(r.json.error.hint, /p2pdv watch/)
    const notes = join(devnet.dir, 'notes.txt')
    await writeFile(notes, 'hello')
    const put = await runCli(['put', notes, '--json'], devnet.env)
    const w = await runCli(['watch', put.json.capability, '--json'], devnet.env)
    assert.equal(w.json.error.code, 'ERR_NOT_A_VIDEO')
    const bad = await runCli(['upload', notes, '--json'], devnet.env)
    assert.equal(bad.json.error.code, 'ERR_MEDIA_UNREADABLE')
  })
})

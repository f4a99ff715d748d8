// Keys end to end on a real devnet (anvil + three keeper nodes): an upload splits its key among
// keepers and records them on chain; a link without a key opens for a viewer once the chain says
// so (a purchase), through the keepers, with the release on every keeper's audit log (verified,
// and anchored on chain); refresh, direct grants with envelopes, re-key, anonymous viewing of a
// free video, and keepers going down. Real processes throughout.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { createPublicClient, http, type Hex } from 'viem'
import { VideoRegistryAbi } from '@p2pdv/contracts'
import { CLI, runCli, startDevnet, type RunningDevnet } from './fixtures/cli.ts'

const run = promisify(execFile)

async function startWatch (link: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string, base: string, stop: () => Promise<Array<Record<string, unknown>>> }> {
  const proc = spawn(process.execPath, [CLI, 'watch', link, ...args, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', d => { stderr += String(d) })
  const exited = new Promise<void>(resolve => proc.once('exit', () => resolve()))
  const events: Array<Record<string, unknown>> = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch not ready:\n${stderr}`)), 120_000)
    createInterface({ input: proc.stdout }).on('line', line => {
      try {
        const m = JSON.parse(line)
        events.push(m)
        if (m.event === 'ready') { clearTimeout(timer); resolve(m.url) }
        if (m.error !== undefined) { clearTimeout(timer); reject(Object.assign(new Error(m.error.message), { code: m.error.code })) }
      } catch {}
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error(`watch exited:\n${stderr}`)) })
  })
  return { url, base: url.replace(/master\.m3u8$/, ''), stop: async () => { proc.kill('SIGTERM'); await exited; return events } }
}

/** Plays the start of the video through the gateway: the master playlist, a media playlist, its init and first segment. */
/** Resolves with the watch's JSON events (`receipts` last when the wallet signed serving receipts). */
async function playable (link: string, args: string[], env: NodeJS.ProcessEnv): Promise<Array<Record<string, unknown>>> {
  const w = await startWatch(link, args, env)
  try {
    const master = await (await fetch(w.url)).text()
    assert.match(master, /#EXTM3U/)
    const media = master.split('\n').find(l => l.endsWith('.m3u8'))!
    const playlist = await (await fetch(new URL(media, w.url))).text()
    const first = playlist.split('\n').find(l => l.endsWith('.m4s'))!
    const seg = await fetch(new URL(first, new URL(media, w.url)))
    assert.equal(seg.status, 200)
    assert.ok((await seg.arrayBuffer()).byteLength > 100)
  } catch (err) {
    await w.stop()
    throw err
  }
  return await w.stop()
}

describe('p2pdv keys: keepers, video links, audit, refresh, envelopes, re-key', () => {
  let devnet: RunningDevnet
  let clip: string
  let video: Hex
  let videoLink: string
  const cli = async (args: string[]) => await runCli([...args, '--json'], devnet.env, 300_000)
  const onChain = () => createPublicClient({ transport: http(devnet.state.chain!.rpc) })

  before(async () => {
    devnet = await startDevnet(3)
    clip = join(devnet.dir, 'clip.mp4')
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip])
  })
  after(async () => {
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('upload splits the key 2-of-3 among the registered keepers and records them on chain; the link carries no key', async () => {
    const r = await cli(['upload', clip, '--replicas', '2', '--title', 'Keeper clip', '--price', '0.01', '--unlisted'])
    assert.equal(r.code, 0, r.stderr)
    video = r.json.chain.videoId
    videoLink = r.json.videoLink
    assert.equal(videoLink, `p2pdv://video/${video}`)
    assert.equal(r.json.keepers.threshold, 2)
    assert.equal(r.json.keepers.keepers.length, 3)
    const nodes = Object.entries(devnet.state.chain!.accounts).filter(([n]) => n.startsWith('node-')).map(([, a]) => a.toLowerCase())
    assert.deepEqual([...r.json.keepers.keepers].map((a: string) => a.toLowerCase()).sort(), nodes.sort())
  })

  it('a viewer without access is refused by every keeper; after buying on chain the same viewer watches', async () => {
    const refused = await cli(['watch', videoLink, '--as', 'bob'])
    assert.equal(refused.code, 1)
    assert.equal(refused.json.error.code, 'ERR_ACCESS_DENIED')
    assert.equal(refused.json.error.details.refusals.ERR_ACCESS_DENIED, 3)
    assert.equal(refused.json.error.details.released, 0)
    const anon = await cli(['watch', videoLink, '--anonymous'])
    assert.equal(anon.json.error.code, 'ERR_ACCESS_DENIED')
    const bought = await cli(['buy', video, '--as', 'bob'])
    assert.equal(bought.code, 0, bought.stderr)
    const events = await playable(videoLink, ['--as', 'bob'], devnet.env)
    // Bob's wallet (the one that asked the keepers) signed a receipt for each node that served him, and each kept it.
    const receipts = events.find(e => e.event === 'receipts')?.receipts as Array<{ receipts: number, bytes: number, refused: string[] }> | undefined
    assert.ok(receipts !== undefined && receipts.length > 0, JSON.stringify(events.slice(-3)))
    assert.ok(receipts.every(r => r.receipts > 0 && r.bytes > 0 && r.refused.length === 0), JSON.stringify(receipts))
  })

  it('keys audit verifies every keeper\'s log and shows the owner the releases and refusals; anchors reach the chain', async () => {
    let audit = await cli(['keys', 'audit', video, '--as', 'alice'])
    assert.equal(audit.code, 0, audit.stderr)
    assert.equal(audit.json.keepers.length, 3)
    const bob = devnet.state.chain!.accounts.bob!
    for (const k of audit.json.keepers) {
      assert.equal(k.ok, true, JSON.stringify(k.error))
      const entries = k.audit.entries as Array<{ body: { kind: string, subject: string, decision: string } }>
      assert.ok(entries.some(e => e.body.kind === 'refusal' && e.body.subject === bob && e.body.decision === 'ERR_ACCESS_DENIED'))
      assert.ok(entries.some(e => e.body.kind === 'deposit'))
    }
    assert.ok(audit.json.keepers.filter((k: { audit: { entries: Array<{ body: { kind: string, subject: string } }> } }) => k.audit.entries.some(e => e.body.kind === 'release' && e.body.subject === bob)).length >= 2)
    // Devnet keepers anchor every 10 s when their log moved.
    const deadline = Date.now() + 90_000
    while (audit.json.keepers.some((k: { audit: { anchor?: unknown } }) => k.audit.anchor === undefined) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 3000))
      audit = await cli(['keys', 'audit', video, '--as', 'alice'])
    }
    for (const k of audit.json.keepers) assert.ok(k.audit.anchor.length >= 1, 'every keeper anchored its log head')
    // Signed in as someone else, bob sees only his own entries.
    const bobView = await cli(['keys', 'audit', video, '--as', 'bob'])
    for (const k of bobView.json.keepers) assert.ok(k.audit.entries.every((e: { body: { subject: string } }) => e.body.subject === bob))
  })

  it('keys refresh deals a new epoch; the buyer still gets the key', async () => {
    const r = await cli(['keys', 'refresh', video, '--as', 'alice'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.epoch, 1)
    const notOwner = await cli(['keys', 'refresh', video, '--as', 'bob'])
    assert.notEqual(notOwner.code, 0)
    await playable(videoLink, ['--as', 'bob'], devnet.env)
  })

  it('grant --envelope: carol watches through her envelope; after rekey her old envelope fails the new fingerprint and the new one works', async () => {
    const g = await cli(['grant', video, 'carol', '--envelope', '--as', 'alice'])
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.json.link, /^p2pdv:\/\/video\/0x[0-9a-f]{64}\?m=bafk[a-z0-9]+&e=bafk[a-z0-9]+$/)
    await playable(g.json.link, ['--as', 'carol'], devnet.env)
    // Someone else cannot open carol's envelope.
    const stolen = await cli(['watch', g.json.link, '--as', 'bob'])
    assert.equal(stolen.json.error.code, 'ERR_ENVELOPE_WRONG_RECIPIENT')

    const before = await onChain().readContract({ address: devnet.state.chain!.contracts.videoRegistry!, abi: VideoRegistryAbi, functionName: 'getVideo', args: [video] })
    const rk = await cli(['rekey', video, '--as', 'alice', '--replicas', '2'])
    assert.equal(rk.code, 0, rk.stderr)
    const afterRekey = await onChain().readContract({ address: devnet.state.chain!.contracts.videoRegistry!, abi: VideoRegistryAbi, functionName: 'getVideo', args: [video] })
    assert.notEqual(afterRekey.keyFingerprint, before.keyFingerprint)
    assert.equal(afterRekey.manifestCid, rk.json.manifestCid)
    assert.notEqual(rk.json.manifestCid, before.manifestCid)
    assert.equal(rk.json.keepers.epoch, 2)
    const carol = devnet.state.chain!.accounts.carol!
    const fresh = rk.json.envelopes.find((e: { viewer: string }) => e.viewer === carol)
    assert.ok(fresh !== undefined, 'carol still has access: a new envelope')
    const old = await cli(['watch', g.json.link, '--as', 'carol'])
    assert.equal(old.json.error.code, 'ERR_KEY_FINGERPRINT_MISMATCH')
    await playable(fresh.link, ['--as', 'carol'], devnet.env)
    // The buyer keeps access through the keepers, now with the new key.
    await playable(videoLink, ['--as', 'bob'], devnet.env)
  })

  it('captions edit on a video on chain: the registry names the re-sealed manifest; the buyer reads the new track; carol gets a new envelope', async () => {
    const vtt = join(devnet.dir, 'creator.en.vtt')
    await writeFile(vtt, 'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nhello from the creator\n')
    const before = await onChain().readContract({ address: devnet.state.chain!.contracts.videoRegistry!, abi: VideoRegistryAbi, functionName: 'getVideo', args: [video] })
    // Only the owner may, and bob is refused before he is sent any key or seals anything.
    assert.equal((await cli(['captions', 'edit', video, 'en', '--file', vtt, '--as', 'bob', '--replicas', '2'])).json.error.code, 'ERR_NOT_OWNER')
    const e = await cli(['captions', 'edit', video, 'en', '--file', vtt, '--as', 'alice', '--replicas', '2'])
    assert.equal(e.code, 0, e.stderr)
    const after = await onChain().readContract({ address: devnet.state.chain!.contracts.videoRegistry!, abi: VideoRegistryAbi, functionName: 'getVideo', args: [video] })
    assert.equal(after.manifestCid, e.json.manifestCid)
    assert.notEqual(after.keyFingerprint, before.keyFingerprint)
    const got = await cli(['captions', 'get', video, 'en', '--as', 'bob'])
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.json.vtt, /hello from the creator/)
    assert.ok(e.json.envelopes.some((x: { viewer: string }) => x.viewer === devnet.state.chain!.accounts.carol!), 'carol still has access: a new envelope')
    await playable(videoLink, ['--as', 'bob'], devnet.env)
  })

  it('anonymous mode opens a free video with a throw-away identity', async () => {
    const r = await cli(['upload', clip, '--replicas', '2', '--title', 'Free clip', '--unlisted', '--force'])
    assert.equal(r.code, 0, r.stderr)
    await playable(r.json.videoLink, ['--anonymous'], devnet.env)
  })

  it('with 1 of 3 keepers down the key still comes; with 2 down the error says 1 of 3 answered and 2 are needed', async () => {
    const [n0, n1] = devnet.state.nodes
    process.kill(n0!.pid, 'SIGKILL')
    await playable(videoLink, ['--as', 'bob'], devnet.env)
    process.kill(n1!.pid, 'SIGKILL')
    const r = await cli(['watch', videoLink, '--as', 'bob', '--node', devnet.state.nodes[2]!.http])
    assert.equal(r.json.error.code, 'ERR_KEEPERS_UNAVAILABLE')
    assert.equal(r.json.error.details.answered, 1)
    assert.equal(r.json.error.details.needed, 2)
    assert.equal(r.json.error.details.asked, 3)
  })
})

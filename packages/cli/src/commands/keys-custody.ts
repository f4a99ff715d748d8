/**
 * Commands about a video's key once it is held by keepers:
 *
 *   keys audit VIDEO     read every keeper's audit log, verify its hash chain against the signed
 *                        head and the on-chain anchor, and print the releases of VIDEO
 *   keys refresh VIDEO   deal new shares of the same key under a newer epoch (old ones become useless)
 *   rekey VIDEO          a new key: re-seal the video, update the registry, new shares, new envelopes
 *   keys public NAME     a wallet's published identity (address + X25519 key + binding), to share
 */
import { writeFile } from 'node:fs/promises'
import { base64url } from 'multiformats/bases/base64'
import { formatCapability, formatVideoLink, keyFingerprint, P2pdvError, parseCid } from '@p2pdv/core'
import { toHex, type Hex, type KeeperInfo, type LogEntry, type VideoId } from '@p2pdv/core/keys'
import { Client } from '@p2pdv/sdk'
import { didPkh, IdentityStore } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { auditKeeperLog, chooseKeepers, DEFAULT_KEEPERS, DEFAULT_THRESHOLD, depositShares, grantEnvelope, KeeperClient, signInToNode, type KeeperAudit } from '@p2pdv/sdk/keys'
import { parseDuration } from '@p2pdv/chain'
import { intOpt, requirePositional, stringOpt, type Command } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, displayName, parseVideoId, type ChainContext } from '../chain/context.ts'
import { publicOf, readGrants, recordFor, writeGrants, type GrantRecord } from '../chain/grant-records.ts'
import { recoverVideoKey, VIDEO_KEY_OPTIONS } from '../chain/video-key.ts'
import { KEYS_OPTION, keysDir } from '../home.ts'
import { NODE_OPTION, peersFromArgs } from '../peers-from-args.ts'
import { AUDITOR_OPTION, auditorFromArgs, redundancyFromArgs } from '../redundancy.ts'
import type { Output } from '../output.ts'

function describeEntry (e: LogEntry, ctx: ChainContext): string {
  const b = e.body!
  return `  ${new Date(e.time).toISOString()}  #${e.seq}  ${b.kind.padEnd(8)} ${displayName(b.subject, ctx).padEnd(12)} ${b.decision}${b.epoch > 0 ? ` (epoch ${b.epoch})` : ''}`
}

export const keysAudit: Command = {
  name: 'keys audit',
  summary: 'verify every keeper\'s audit log of a video (hash chain, signed head, on-chain anchor) and print its key releases',
  usage: 'keys audit VIDEO [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { ...CHAIN_OPTIONS },
  async run (args, out) {
    const video = parseVideoId(requirePositional(args, 0, 'VIDEO', keysAudit))
    const ctx = await chainContext(args, 'optional')
    const oracle = new ChainKeyOracle(ctx.client)
    const custody = await oracle.custody(video)
    if (custody === undefined) throw new P2pdvError('ERR_NO_KEEPERS', `no keepers hold the key of ${video}`, { hint: 'Only videos uploaded with keepers have audit logs.' })
    const reports: Array<{ keeper: Hex, ok: boolean, audit?: KeeperAudit, error?: { code: string, message: string } }> = []
    for (const address of custody.keepers) {
      try {
        const info = await oracle.keeper(address)
        if (info?.http === undefined) throw new P2pdvError('ERR_KEEPER_NOT_REGISTERED', `keeper ${address} is not an active keeper with an HTTP endpoint`)
        // Signed in, the owner sees every entry about the video, a viewer their own; signed out, only hashes.
        const token = ctx.identity === undefined ? undefined : (await signInToNode(info.http, ctx.identity.account, ctx.client.config.chainId)).token
        const anchor = await oracle.latest(address)
        const audit = await auditKeeperLog({ keeper: info, domain: oracle.domain, video, ...(token === undefined ? {} : { token }), ...(anchor === undefined ? {} : { anchor }), anchorAt: async length => await oracle.anchoredAt(address, length) })
        reports.push({ keeper: address, ok: true, audit })
      } catch (err) {
        const e = err instanceof P2pdvError ? err : new P2pdvError('ERR_UNEXPECTED', (err as Error).message)
        reports.push({ keeper: address, ok: false, error: { code: e.code, message: e.message } })
      }
    }
    ctx.identity?.forget()
    const broken = reports.filter(r => r.error?.code === 'ERR_AUDIT_LOG_BROKEN')
    out.result({ video, epoch: custody.epoch, threshold: custody.threshold, keepers: reports }, () => reports.map(r => {
      if (!r.ok) return `keeper ${r.keeper}: ${r.error!.message} [${r.error!.code}]`
      const a = r.audit!
      return [
        `keeper ${r.keeper}: ${a.length} entries, hash chain verified against its signed head${a.anchor === undefined ? ' (no anchor on chain yet)' : ` and its anchor on chain (${a.anchor.length} entries)`}`,
        ...(a.entries.length === 0 ? ['  (no entries about this video that you may see; sign in as its owner with --as NAME)'] : a.entries.map(e => describeEntry(e, ctx)))
      ].join('\n')
    }).join('\n\n'))
    if (broken.length > 0) {
      throw new P2pdvError('ERR_AUDIT_LOG_BROKEN', `${broken.length} keeper log(s) failed verification: ${broken.map(b => b.keeper).join(', ')}`, {
        hint: 'Those keepers edited, truncated or reordered their logs; keep this output as evidence and refresh the video\'s keepers.'
      })
    }
  }
}

async function dealShares (out: Output, o: { ctx: ChainContext, oracle: ChainKeyOracle, video: VideoId, key: Uint8Array, epoch: number, keepers: KeeperInfo[], threshold: number }): Promise<void> {
  const client = new KeeperClient()
  try {
    await depositShares({ key: o.key, video: o.video, epoch: o.epoch, threshold: o.threshold, keepers: o.keepers, owner: o.ctx.identity!.account, domain: o.oracle.domain, client })
  } finally {
    await client.close()
  }
  await o.ctx.client.setCustody(o.video, { epoch: o.epoch, threshold: o.threshold, keepers: o.keepers.map(k => k.address) })
  out.note(`epoch ${o.epoch}: key split ${o.threshold}-of-${o.keepers.length} among ${o.keepers.map(k => displayName(k.address, o.ctx)).join(', ')}`)
}

async function keeperPlan (args: Parameters<Command['run']>[0], oracle: ChainKeyOracle, video: VideoId): Promise<{ epoch: number, keepers: KeeperInfo[], threshold: number }> {
  const custody = await oracle.custody(video)
  const available = await oracle.keepers()
  const n = intOpt(args, 'keepers', custody?.keepers.length ?? Math.min(DEFAULT_KEEPERS, available.length), 2, 32)
  const threshold = intOpt(args, 'threshold', Math.min(custody?.threshold ?? DEFAULT_THRESHOLD, n), 2, n)
  return { epoch: custody === undefined ? 0 : custody.epoch + 1, keepers: chooseKeepers(video, available, n), threshold }
}

export const keysRefresh: Command = {
  name: 'keys refresh',
  summary: 'deal new keeper shares of the same key under a newer epoch (now, or --every 24h until stopped); keepers drop the old ones',
  usage: 'keys refresh VIDEO [--every DURATION] [--keepers N] [--threshold T] [--capability CAP] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { every: { type: 'string' }, keepers: { type: 'string' }, threshold: { type: 'string' }, ...VIDEO_KEY_OPTIONS, ...CHAIN_OPTIONS },
  async run (args, out) {
    const video = parseVideoId(requirePositional(args, 0, 'VIDEO', keysRefresh))
    const everyText = stringOpt(args, 'every')
    const everyMs = everyText === undefined ? undefined : Number(parseDuration(everyText)) * 1000
    if (everyMs !== undefined && everyMs < 60_000) throw new P2pdvError('ERR_USAGE', '--every must be at least a minute', { hint: 'e.g. --every 24h' })
    const ctx = await chainContext(args, 'required')
    const oracle = new ChainKeyOracle(ctx.client)
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      do {
        const plan = await keeperPlan(args, oracle, video)
        const { key } = await recoverVideoKey(args, oracle, ctx.identity!, video)
        try {
          await dealShares(out, { ctx, oracle, video, key, ...plan })
        } finally {
          key.fill(0)
        }
        out.result({ video, epoch: plan.epoch, threshold: plan.threshold, keepers: plan.keepers.map(k => k.address) }, () =>
          `refreshed ${video}: epoch ${plan.epoch}, any ${plan.threshold} of ${plan.keepers.length} keepers; shares of earlier epochs are dropped and never combine with these`)
        // A proactive refresh needs the dealer (this client, which can recover K): see docs/architecture.md.
        if (everyMs !== undefined) await new Promise<void>(resolve => { const t = setTimeout(resolve, everyMs); stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true }) })
      } while (everyMs !== undefined && !stop.signal.aborted)
    } finally {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      ctx.identity?.forget()
    }
  }
}

/**
 * After a video was re-sealed under a new key (rekey, captions edit): the registry names the new
 * manifest and fingerprint, keepers get shares of the new key (if the video had keepers), and
 * viewers who still have access get new envelopes. Zeroes `result.key`.
 */
export async function publishRekeyed (out: Output, o: {
  ctx: ChainContext
  oracle: ChainKeyOracle
  client: Client
  video: VideoId
  old: { manifest: string, listing: string }
  result: { manifestCid: string, key: Uint8Array }
  plan: { epoch: number, keepers: KeeperInfo[], threshold: number } | undefined
  /** First line of the human output. */
  headline?: string
  extra?: Record<string, unknown>
}): Promise<void> {
  const { ctx, oracle, client, video, old, result, plan } = o
  const key = result.key
  try {
    // From this transaction on, keepers and viewers check against the new fingerprint.
    await ctx.client.updateVideo(video, { manifestCid: result.manifestCid, listingCid: old.listing, keyFingerprint: toHex(keyFingerprint(key)) })
    if (plan !== undefined) await dealShares(out, { ctx, oracle, video, key, ...plan })
    const regranted: GrantRecord[] = []
    const dropped: Hex[] = []
    for (const g of await readGrants(video)) {
      if (!await oracle.hasAccess(video, g.viewer.address)) { dropped.push(g.viewer.address); continue }
      const env = await grantEnvelope(client, key, video, publicOf(g))
      regranted.push(recordFor(publicOf(g), env.cid.toString()))
    }
    await writeGrants(video, regranted)
    const links = regranted.map(g => ({ viewer: g.viewer.address, link: formatVideoLink({ video, manifest: parseCid(result.manifestCid), envelope: parseCid(g.envelope) }) }))
    out.result({
      video,
      manifestCid: result.manifestCid,
      oldManifestCid: old.manifest,
      keyFingerprint: toHex(keyFingerprint(key)),
      ...(plan === undefined ? {} : { keepers: { epoch: plan.epoch, threshold: plan.threshold, keepers: plan.keepers.map(k => k.address) } }),
      envelopes: links,
      envelopesDropped: dropped,
      ...o.extra
    }, () => [
      o.headline ?? `re-keyed ${video}: new manifest ${result.manifestCid}; the registry now names the new key's fingerprint`,
      plan === undefined ? 'no keepers (the video had none)' : `new shares: epoch ${plan.epoch}, any ${plan.threshold} of ${plan.keepers.length} keepers`,
      ...links.map(l => `new envelope for ${displayName(l.viewer, ctx)}: ${l.link}`),
      ...dropped.map(d => `no new envelope for ${displayName(d, ctx)} (no access on chain any more)`),
      `the old manifest ${old.manifest} and its blocks are no longer referenced (nodes keep them until garbage collection exists)`
    ].join('\n'))
  } finally {
    key.fill(0)
  }
}

/** The keepers a re-sealed video's new key goes to: as many as before (or --keepers), none if it had none. */
export async function rekeyPlan (args: Parameters<Command['run']>[0], oracle: ChainKeyOracle, video: VideoId): Promise<{ epoch: number, keepers: KeeperInfo[], threshold: number } | undefined> {
  const custody = await oracle.custody(video)
  return custody === undefined && args.values.keepers === undefined ? undefined : await keeperPlan(args, oracle, video)
}

export const rekey: Command = {
  name: 'rekey',
  summary: 'give a video a new key: re-seal it, update the registry, deal new keeper shares and new envelopes for viewers who still have access',
  usage: 'rekey VIDEO [--keepers N] [--threshold T] [--capability CAP] [--k 4 --m 2 | --replicas 3] [--node URL …] [--as NAME] [--rpc URL] [--chain FILE] [--json]',
  options: { keepers: { type: 'string' }, threshold: { type: 'string' }, replicas: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, ...AUDITOR_OPTION, ...NODE_OPTION, ...VIDEO_KEY_OPTIONS, ...CHAIN_OPTIONS },
  async run (args, out) {
    const video = parseVideoId(requirePositional(args, 0, 'VIDEO', rekey))
    const ctx = await chainContext(args, 'required')
    const oracle = new ChainKeyOracle(ctx.client)
    const client = await Client.create({ peers: await peersFromArgs(args), ...(await auditorFromArgs(args)) })
    try {
      const plan = await rekeyPlan(args, oracle, video)
      const old = await recoverVideoKey(args, oracle, ctx.identity!, video)
      const seal = out.progress('re-seal')
      let result
      try {
        result = await client.resealVideo(formatCapability({ manifest: parseCid(old.manifest), key: old.key }), {
          ...redundancyFromArgs(args),
          onProgress: p => { seal.update({ done: p.storedBytes / p.expansion, detail: `sealed ${p.sealedBytes} B` }) }
        })
      } finally {
        old.key.fill(0)
        seal.finish()
      }
      await publishRekeyed(out, { ctx, oracle, client, video, old, result, plan })
    } finally {
      ctx.identity?.forget()
      await client.close()
    }
  }
}

export const keysPublic: Command = {
  name: 'keys public',
  summary: 'print (or write) a wallet\'s published identity: address, X25519 key and the signature binding them',
  usage: 'keys public NAME [-o FILE] [--keys DIR] [--json]',
  options: { ...KEYS_OPTION, output: { type: 'string', short: 'o' } },
  async run (args, out) {
    const name = requirePositional(args, 0, 'NAME', keysPublic)
    const store = new IdentityStore(keysDir(args))
    const id = (await store.list()).find(i => i.name === name)
    if (id === undefined) throw new P2pdvError('ERR_IDENTITY_NOT_FOUND', `no wallet named "${name}" in ${store.dir}`, { hint: 'List them with `p2pdv keys ls`.' })
    const doc = { version: 1, name, address: id.address, x25519PublicKey: base64url.encode(id.x25519PublicKey).slice(1), binding: id.binding, did: didPkh(id.address) }
    const output = stringOpt(args, 'output')
    if (output !== undefined) await writeFile(output, JSON.stringify(doc, null, 2) + '\n', { flag: 'wx' })
    out.result(doc, () => output === undefined ? JSON.stringify(doc, null, 2) : `wrote ${name}'s public identity to ${output}; give it to creators who grant you videos`)
  }
}

/**
 * `p2pdv grant VIDEO VIEWER --envelope`: besides the grant on chain, K sealed to the viewer's
 * published X25519 key (HPKE, bound to the video) as a public block. The viewer then needs no
 * keeper at all: the link `p2pdv://video/<id>?m=…&e=<envelope>` opens with their wallet, and the
 * key is still checked against the fingerprint on chain. The viewer's public identity comes from
 * a wallet of that name in the key directory, or from `--identity-file FILE` (`p2pdv keys public`).
 */
import { readFile } from 'node:fs/promises'
import { formatVideoLink, P2pdvError, parseCid } from '@p2pdv/core'
import type { Hex, VideoId } from '@p2pdv/core/keys'
import { IdentityStore, readPublicIdentity, type PublicIdentity } from '@p2pdv/chain/identity'
import { ChainKeyOracle } from '@p2pdv/chain/oracles'
import { stringOpt, type ParsedArgs } from '../command.ts'
import type { ChainContext } from '../chain/context.ts'
import { readGrants, recordFor, writeGrants } from '../chain/grant-records.ts'
import { recoverVideoKey, VIDEO_KEY_OPTIONS } from '../chain/video-key.ts'
import { NODE_OPTION, peersFromArgs } from '../peers-from-args.ts'

export const GRANT_ENVELOPE_OPTIONS = {
  envelope: { type: 'boolean', default: false },
  'identity-file': { type: 'string' },
  ...VIDEO_KEY_OPTIONS,
  ...NODE_OPTION
} as const

async function viewerIdentity (args: ParsedArgs, ctx: ChainContext, viewer: Hex, given: string): Promise<PublicIdentity> {
  const file = stringOpt(args, 'identity-file')
  if (file !== undefined) {
    let json: unknown
    try { json = JSON.parse(await readFile(file, 'utf8')) } catch (cause) {
      throw new P2pdvError('ERR_IDENTITY_MALFORMED', `cannot read a public identity from ${file}`, { hint: 'Ask the viewer for the output of `p2pdv keys public NAME`.', cause })
    }
    const id = readPublicIdentity(json)
    if (id.address.toLowerCase() !== viewer.toLowerCase()) throw new P2pdvError('ERR_IDENTITY_MISMATCH', `${file} is the identity of ${id.address}, not of ${viewer}`)
    return id
  }
  const known = (await new IdentityStore(ctx.keysDir).list()).find(i => i.name === given || i.address.toLowerCase() === viewer.toLowerCase())
  if (known === undefined) {
    throw new P2pdvError('ERR_NO_VIEWER_KEY', `the encryption key of ${given} is not known here`, { hint: 'Pass --identity-file FILE with the viewer\'s `p2pdv keys public NAME` output.' })
  }
  return known
}

export async function grantWithEnvelope (args: ParsedArgs, ctx: ChainContext, video: VideoId, viewer: Hex, given: string): Promise<{ envelope: string, link: string }> {
  const pub = await viewerIdentity(args, ctx, viewer, given)
  const oracle = new ChainKeyOracle(ctx.client)
  const { key, manifest } = await recoverVideoKey(args, oracle, ctx.identity!, video)
  // The sdk (and libp2p with it) loads only here: buy, ls, access and the other commands of
  // chain-videos.ts import this module but never grant, and loading it cost each ~0.5 s.
  const [{ Client }, { grantEnvelope }] = await Promise.all([import('@p2pdv/sdk'), import('@p2pdv/sdk/keys')])
  const client = await Client.create({ peers: await peersFromArgs(args) })
  try {
    // grantEnvelope checks the viewer's binding signature before sealing anything to the key.
    const env = await grantEnvelope(client, key, video, pub)
    const grants = (await readGrants(video)).filter(g => g.viewer.address.toLowerCase() !== viewer.toLowerCase())
    await writeGrants(video, [...grants, recordFor(pub, env.cid.toString())])
    return { envelope: env.cid.toString(), link: formatVideoLink({ video, manifest: parseCid(manifest), envelope: env.cid }) }
  } finally {
    key.fill(0)
    await client.close()
  }
}

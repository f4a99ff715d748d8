/**
 * The creator's own record of direct grants (envelopes), so `p2pdv rekey` can seal the new key
 * to every viewer who still has access: `$P2PDV_HOME/grants/<video id>.json`, public data only
 * (viewers' published identities and envelope CIDs), written atomically with mode 0600.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { base64url } from 'multiformats/bases/base64'
import type { Hex, VideoId } from '@p2pdv/core/keys'
import type { PublicIdentity } from '@p2pdv/chain/identity'
import { p2pdvHome } from '../home.ts'

export interface GrantRecord {
  viewer: { address: Hex, x25519PublicKey: string, binding: Hex }
  envelope: string
  time: number
}

function path (video: VideoId): string {
  return join(p2pdvHome(), 'grants', `${video}.json`)
}

export async function readGrants (video: VideoId): Promise<GrantRecord[]> {
  try {
    const v = JSON.parse(await readFile(path(video), 'utf8')) as { grants?: GrantRecord[] }
    return Array.isArray(v.grants) ? v.grants : []
  } catch {
    return []
  }
}

export async function writeGrants (video: VideoId, grants: GrantRecord[]): Promise<void> {
  const p = path(video)
  await mkdir(join(p2pdvHome(), 'grants'), { recursive: true, mode: 0o700 })
  const tmp = `${p}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ video, grants }, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, p)
}

export function recordFor (viewer: PublicIdentity, envelope: string): GrantRecord {
  return { viewer: { address: viewer.address, x25519PublicKey: base64url.encode(viewer.x25519PublicKey).slice(1), binding: viewer.binding }, envelope, time: Date.now() }
}

export function publicOf (r: GrantRecord): PublicIdentity {
  return { address: r.viewer.address, x25519PublicKey: base64url.decode(`u${r.viewer.x25519PublicKey}`), binding: r.viewer.binding }
}

/**
 * The app's side of boot.ts: takes over the requests the boot script started, once, if they are
 * for this manifest. Bodies come back as bytes or text, still unverified (the callers check them
 * as they would their own fetches).
 */
import type { CID } from '@p2pdv/core'
import type { BootRequests } from './boot.ts'

export interface EarlyRequests {
  peers: Promise<string | undefined>
  block: Promise<Uint8Array | undefined>
  placement: Promise<Uint8Array | undefined>
}

const bytes = async (p: Promise<ArrayBuffer | undefined>): Promise<Uint8Array | undefined> => {
  const b = await p.catch(() => undefined)
  return b === undefined ? undefined : new Uint8Array(b)
}

export function takeBoot (manifest: CID): EarlyRequests | undefined {
  const boot: BootRequests | undefined = window.p2pdvBoot
  if (boot === undefined || boot.manifest !== manifest.toString()) return undefined
  // Once: a later open (another video in the same page) asks afresh.
  delete window.p2pdvBoot
  return { peers: boot.peers.catch(() => undefined), block: bytes(boot.block), placement: bytes(boot.placement) }
}

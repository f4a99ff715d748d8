/**
 * The identity a command signs with (listings today; chain calls later): `--as NAME` from the
 * IdentityStore in `$P2PDV_HOME/keys` (default `~/.p2pdv/keys`), unlocked with `P2PDV_PASSPHRASE`.
 * Without `--as`, the identity named `default` is used, and created on first use (the command
 * says so). Kept in this one module so every command opens identities the same way.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { IdentityErrorCode, IdentityStore, type Identity } from '@p2pdv/sdk'
import { stringOpt, type ParsedArgs } from './command.ts'

export const AS_OPTION = { as: { type: 'string' } } as const
export const DEFAULT_IDENTITY = 'default'

/** The user's p2pdv directory: `$P2PDV_HOME`, default `~/.p2pdv`. */
export function p2pdvHome (): string {
  return resolve(process.env.P2PDV_HOME ?? join(homedir(), '.p2pdv'))
}

export function identityStore (): IdentityStore {
  return new IdentityStore(join(p2pdvHome(), 'keys'))
}

function passphrase (): string {
  const p = process.env.P2PDV_PASSPHRASE
  if (p === undefined || p === '') {
    throw new P2pdvError('ERR_NO_PASSPHRASE', 'no passphrase to unlock your signing identity', {
      hint: 'Identity keys are sealed at rest: set P2PDV_PASSPHRASE (or pass --unlisted to publish without a listing).'
    })
  }
  return p
}

/** Opens the signing identity; `created` is true when a new `default` identity was just made. */
export async function openSigningIdentity (args: ParsedArgs): Promise<{ identity: Identity, created: boolean, dir: string }> {
  const store = identityStore()
  const name = stringOpt(args, 'as')
  const pass = passphrase()
  if (name !== undefined) return { identity: await store.open(name, pass), created: false, dir: store.dir }
  try {
    return { identity: await store.open(DEFAULT_IDENTITY, pass), created: false, dir: store.dir }
  } catch (err) {
    if (!isP2pdvError(err, IdentityErrorCode.NOT_FOUND)) throw err
  }
  try {
    return { identity: await store.create(DEFAULT_IDENTITY, pass), created: true, dir: store.dir }
  } catch (err) {
    // Another command created it at the same moment: use that one.
    if (isP2pdvError(err, IdentityErrorCode.EXISTS)) return { identity: await store.open(DEFAULT_IDENTITY, pass), created: false, dir: store.dir }
    throw err
  }
}

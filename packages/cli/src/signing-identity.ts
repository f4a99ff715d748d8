/**
 * The identity a command signs with when no chain wallet is open (a listing stored without a
 * chain): `--as NAME` from the IdentityStore in `--keys DIR` or `$P2PDV_HOME/keys`, unlocked with
 * the passphrase (`--passphrase-file`, `P2PDV_PASSPHRASE` or a prompt).
 * Without `--as`, the identity named `default` is used, and created on first use (the command
 * says so). Kept in this one module so every command opens identities the same way.
 */
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { IdentityErrorCode, IdentityStore, type Identity } from '@p2pdv/chain/identity'
import { stringOpt, type ParsedArgs } from './command.ts'
import { keysDir } from './home.ts'
import { checkNewPassphrase } from '@p2pdv/chain/passphrase-strength'
import { readPassphrase } from './passphrase.ts'

export const AS_OPTION = { as: { type: 'string' } } as const
export const DEFAULT_IDENTITY = 'default'

/** Opens the signing identity; `created` is true when a new `default` identity was just made. */
export async function openSigningIdentity (args: ParsedArgs): Promise<{ identity: Identity, created: boolean, dir: string }> {
  const store = new IdentityStore(keysDir(args))
  const name = stringOpt(args, 'as')
  const pass = await readPassphrase(args, { purpose: `identity "${name ?? DEFAULT_IDENTITY}"` })
  if (name !== undefined) return { identity: await store.open(name, pass), created: false, dir: store.dir }
  try {
    return { identity: await store.open(DEFAULT_IDENTITY, pass), created: false, dir: store.dir }
  } catch (err) {
    if (!isP2pdvError(err, IdentityErrorCode.NOT_FOUND)) throw err
  }
  // A new wallet: its passphrase must be strong enough (opening an existing one never checks).
  checkNewPassphrase(pass)
  try {
    return { identity: await store.create(DEFAULT_IDENTITY, pass), created: true, dir: store.dir }
  } catch (err) {
    // Another command created it at the same moment: use that one.
    if (isP2pdvError(err, IdentityErrorCode.EXISTS)) return { identity: await store.open(DEFAULT_IDENTITY, pass), created: false, dir: store.dir }
    throw err
  }
}

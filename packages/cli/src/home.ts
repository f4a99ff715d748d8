/** The user's p2pdv directory: `$P2PDV_HOME`, default `~/.p2pdv`; wallets live in its `keys/`. */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringOpt, type ParsedArgs } from './command.ts'

export const KEYS_OPTION = { keys: { type: 'string' } } as const

export function p2pdvHome (): string {
  return resolve(process.env.P2PDV_HOME ?? join(homedir(), '.p2pdv'))
}

/** `--keys DIR`, else `$P2PDV_HOME/keys`. */
export function keysDir (args: ParsedArgs): string {
  return resolve(stringOpt(args, 'keys') ?? join(p2pdvHome(), 'keys'))
}

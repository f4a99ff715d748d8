/**
 * Where a wallet passphrase comes from: `--passphrase-file FILE`, then `P2PDV_PASSPHRASE`, then a
 * prompt with hidden input when stdin and stderr are a terminal. Never from a plain flag (it would
 * land in the shell history and the process list).
 */
import { readFile } from 'node:fs/promises'
import { P2pdvError } from '@p2pdv/core/errors'
import { checkNewPassphrase } from '@p2pdv/chain/passphrase-strength'
import { stringOpt, type ParsedArgs } from './command.ts'

export const PASSPHRASE_OPTION = { 'passphrase-file': { type: 'string' } } as const
export const MAX_PASSPHRASE_LENGTH = 1024

export const PassphraseErrorCode = {
  MISSING: 'ERR_NO_PASSPHRASE',
  MISMATCH: 'ERR_PASSPHRASE_MISMATCH',
  UNREADABLE: 'ERR_PASSPHRASE_FILE'
} as const

/** `newWallet`: the passphrase will seal a new wallet, so a weak one is refused (ERR_WEAK_PASSPHRASE). */
export async function readPassphrase (args: ParsedArgs, options: { purpose: string, confirm?: boolean, newWallet?: boolean }): Promise<string> {
  const pass = await readAny(args, options)
  if (options.newWallet === true) checkNewPassphrase(pass)
  return pass
}

async function readAny (args: ParsedArgs, options: { purpose: string, confirm?: boolean }): Promise<string> {
  const file = stringOpt(args, 'passphrase-file')
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (cause) {
      throw new P2pdvError(PassphraseErrorCode.UNREADABLE, `cannot read --passphrase-file ${file}`, { hint: 'Check the path and its permissions.', cause })
    }
    return check(text.replace(/\r?\n$/, ''))
  }
  const env = process.env.P2PDV_PASSPHRASE
  if (env !== undefined && env !== '') return check(env)
  if (process.stdin.isTTY === true && process.stderr.isTTY === true) {
    const first = await prompt(`passphrase for ${options.purpose}: `)
    if (options.confirm === true && await prompt('again: ') !== first) {
      throw new P2pdvError(PassphraseErrorCode.MISMATCH, 'the two passphrases differ', { hint: 'Type the same passphrase twice.' })
    }
    return check(first)
  }
  throw new P2pdvError(PassphraseErrorCode.MISSING, `no passphrase for ${options.purpose}`, {
    hint: 'Wallet keys are sealed at rest: set P2PDV_PASSPHRASE, pass --passphrase-file FILE, or run on a terminal to be asked.'
  })
}

function check (pass: string): string {
  if (pass === '' || pass.length > MAX_PASSPHRASE_LENGTH) {
    throw new P2pdvError(PassphraseErrorCode.MISSING, `a passphrase must be 1 to ${MAX_PASSPHRASE_LENGTH} characters`)
  }
  return pass
}

/** Reads a line from the terminal without echoing it. Ctrl-C aborts. */
async function prompt (question: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = ''
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') { stdin.off('data', onData); resolve(value); return }
          if (ch === '\u0003') { stdin.off('data', onData); reject(new P2pdvError('ERR_ABORTED', 'aborted')); return }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
          else if (value.length < MAX_PASSPHRASE_LENGTH) value += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}

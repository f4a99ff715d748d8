/** The shape every `p2pdv` sub-command has; main.ts dispatches on `name`. */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Output } from './output.ts'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

export interface Command {
  /** Space-separated words, e.g. "node start". */
  name: string
  summary: string
  usage: string
  options: OptionSpec
  run: (args: ParsedArgs, out: Output) => Promise<number | void>
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

export const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
}

export function parseCommandArgs (cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...cmd.options },
      allowPositionals: true,
      strict: true
    })
    return { values: values as ParsedArgs['values'], positionals }
  } catch (cause) {
    throw new P2pdvError('ERR_USAGE', (cause as Error).message, {
      hint: `usage: p2pdv ${cmd.usage}`
    })
  }
}

export function stringOpt (args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

export function listOpt (args: ParsedArgs, name: string): string[] {
  const v = args.values[name]
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? [v] : []
}

export function intOpt (args: ParsedArgs, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = stringOpt(args, name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new P2pdvError('ERR_USAGE', `--${name} must be a whole number from ${min} to ${max}, got "${v}"`, {
      hint: `pass e.g. --${name} ${fallback}`
    })
  }
  return n
}

export function requirePositional (args: ParsedArgs, index: number, what: string, cmd: Command): string {
  const v = args.positionals[index]
  if (v === undefined || v === '') {
    throw new P2pdvError('ERR_USAGE', `missing ${what}`, { hint: `usage: p2pdv ${cmd.usage}` })
  }
  return v
}

/**
 * Access conditions from the command line: `--require SPEC` (repeatable, AND unless
 * `--require-any`) on upload, and `p2pdv require VIDEO SPEC … [--any] | --clear` for a video
 * already registered. The specs are parsed by @p2pdv/chain (conditions.ts), which refuses a
 * malformed one with an ERR_CONDITION_… code before anything is sent.
 */
import { clauseSpec, describeClause, describeCondition, parseCondition, type Condition, type TokenMetadata } from '@p2pdv/chain'
import { P2pdvError } from '@p2pdv/core/errors'
import { listOpt, requirePositional, type Command, type ParsedArgs } from '../command.ts'
import { CHAIN_OPTIONS, chainContext, parseVideoId } from '../chain/context.ts'

/** The condition the flags ask for, or undefined when `flag` is not given. */
export function conditionFromArgs (args: ParsedArgs, flag: string, anyFlag: string, usage: (message: string) => P2pdvError): Condition | undefined {
  const specs = listOpt(args, flag)
  const any = args.values[anyFlag] === true
  if (specs.length === 0) {
    if (any) throw usage(`--${anyFlag} joins --${flag} clauses with OR; give --${flag} SPEC too`)
    return undefined
  }
  return parseCondition(specs, any)
}

/** What each ERC-20 of a condition says of itself, in --json (by lower-case address). */
type TokensJson = Record<string, { decimals?: number, symbol?: string, problem?: string }>

/** What `access` and `require` print and put in --json: specs in base units, and each token's decimals and symbol. */
export function conditionJson (c: Condition, tokens?: ReadonlyMap<string, TokenMetadata>): { any: boolean, require: string[], clauses: Condition['clauses'], tokens?: TokensJson } | null {
  if (c.clauses.length === 0) return null
  return { any: c.any, require: c.clauses.map(clauseSpec), clauses: c.clauses, ...(tokens === undefined || tokens.size === 0 ? {} : { tokens: Object.fromEntries(tokens) }) }
}

export function conditionLines (c: Condition, tokens?: ReadonlyMap<string, TokenMetadata>): string[] {
  if (c.clauses.length === 0) return ['condition: none']
  if (c.clauses.length === 1) return [`condition: open to a viewer who ${describeClause(c.clauses[0]!, tokens)}`]
  return [`condition: open to a viewer who meets ${c.any ? 'any' : 'all'} of:`, ...c.clauses.map(cl => `  - ${describeClause(cl, tokens)}`)]
}

export const requireCondition: Command = {
  name: 'require',
  summary: 'open your video to holders of a token or within a time window (an on-chain condition, beside price, subscription and grants); --clear removes it',
  usage: 'require VIDEO SPEC [SPEC …] [--any] | require VIDEO --clear  [--as NAME] [--rpc URL] [--chain FILE] [--json]\n' +
    '  SPEC: erc20:0xTOKEN>=AMOUNT (base units, the smallest unit; 100e18 = 100 tokens of 18 decimals; >= left out: 1)\n' +
    '        erc20:0xTOKEN>=100.5tokens | >=100SYMBOL (whole tokens, scaled by the token\'s decimals(); SYMBOL must be its symbol())\n' +
    '        erc721:0xCOLLECTION[>=N]   erc1155:0xCOLLECTION:ID[>=N]   time:FROM..UNTIL (ISO or unix seconds; one side may be empty)\n' +
    '  up to 4 clauses; all must hold, or any with --any',
  options: { any: { type: 'boolean', default: false }, clear: { type: 'boolean', default: false }, ...CHAIN_OPTIONS },
  async run (args, out) {
    const id = parseVideoId(requirePositional(args, 0, 'VIDEO', requireCondition))
    const specs = args.positionals.slice(1)
    const clear = args.values.clear === true
    const usage = (message: string): P2pdvError => new P2pdvError('ERR_USAGE', message, { hint: `usage: p2pdv ${requireCondition.usage.split('\n')[0]!}` })
    if (clear && (specs.length > 0 || args.values.any === true)) throw usage('--clear takes no SPEC and no --any')
    if (!clear && specs.length === 0) throw usage('give at least one SPEC, or --clear')
    // Parsed before the chain is opened: a malformed spec costs nothing.
    const condition = clear ? undefined : parseCondition(specs, args.values.any === true)
    const ctx = await chainContext(args, 'required')
    if (condition === undefined) {
      const receipt = await ctx.client.clearCondition(id)
      out.result({ video: id, condition: null, tx: receipt.transactionHash }, () => `${id.slice(0, 10)}…: condition cleared (price, subscriptions and grants decide alone)`)
      return
    }
    const tokens = await ctx.client.conditionTokens(condition)
    const resolved = await ctx.client.resolveCondition(condition, { tokens })
    const receipt = await ctx.client.setCondition(id, resolved)
    out.result({ video: id, condition: conditionJson(resolved, tokens), tx: receipt.transactionHash }, () =>
      `${id.slice(0, 10)}… is now also open to ${describeCondition(resolved, tokens)}`)
  }
}

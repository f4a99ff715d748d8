// p2pdv: dispatches to a sub-command. Every failure prints a message with a code and a hint.
import { isP2pdvError, P2pdvError } from '@p2pdv/core/errors'
import { commands, type CommandEntry } from './commands/index.ts'
import { GLOBAL_OPTIONS, parseCommandArgs } from './command.ts'
import { Output } from './output.ts'

function findCommand (argv: string[]): { cmd: CommandEntry, rest: string[] } | undefined {
  // Longest match first, so "node start" wins over a hypothetical "node".
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
  for (const cmd of sorted) {
    const words = cmd.name.split(' ')
    if (words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(words.length) }
  }
  return undefined
}

async function help (): Promise<string> {
  const all = await Promise.all(commands.map(async c => await c.load()))
  return [
    'p2pdv — decentralized, end-to-end encrypted video',
    '',
    'Usage:',
    ...all.flatMap(c => [`  p2pdv ${c.usage}`, `      ${c.summary}`]),
    '',
    `Global options: ${Object.keys(GLOBAL_OPTIONS).map(o => `--${o}`).join(' ')}`
  ].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const out = new Output({ json })
  const found = findCommand(argv)
  if (found === undefined) {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(await help() + '\n')
      return argv.length === 0 ? 1 : 0
    }
    out.error(new P2pdvError('ERR_USAGE', `unknown command "${argv.join(' ')}"`, { hint: 'run `p2pdv help` for the list of commands' }))
    return 2
  }
  const { rest } = found
  try {
    const cmd = await found.cmd.load()
    const args = parseCommandArgs(cmd, rest)
    if (args.values.help === true) {
      process.stdout.write(`usage: p2pdv ${cmd.usage}\n\n${cmd.summary}\n`)
      return 0
    }
    return (await cmd.run(args, out)) ?? 0
  } catch (err) {
    out.error(err)
    if (process.env.P2PDV_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
    return isP2pdvError(err, 'ERR_USAGE') ? 2 : 1
  }
}

process.exitCode = await main(process.argv.slice(2))
// Benchmarks read the client's peak memory from here, in KiB. VmHWM is this process image's own
// peak; getrusage's maxRSS would include the parent's peak, which Linux carries across fork+exec.
if (process.env.P2PDV_REPORT_RSS === '1') {
  const status = await import('node:fs/promises').then(async fs => await fs.readFile('/proc/self/status', 'utf8')).catch(() => '')
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  process.stderr.write(`p2pdv-max-rss-kb ${hwm ?? process.resourceUsage().maxRSS}\n`)
}

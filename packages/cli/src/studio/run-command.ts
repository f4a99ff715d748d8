/**
 * The studio's video management (grants, revokes, sales, earnings, key-release audits) runs the
 * very `p2pdv` commands in this process, as upload-job.ts does for uploads: one implementation of
 * each check and each chain call, whichever way a creator reaches it.
 */
import { parseCommandArgs, type Command } from '../command.ts'
import { jsonReplacer, Output } from '../output.ts'

const devNull = { write: () => true } as unknown as NodeJS.WritableStream

class CaptureOutput extends Output {
  value: unknown
  constructor () { super({ json: true, stdout: devNull, stderr: devNull }) }
  override line (): void {}
  override note (): void {}
  override result (value: unknown): void { this.value = value }
  override error (): void {}
}

/**
 * Of the studio's own flags (`--name=value`, `--flag`), the ones `command` takes: `grant` has no
 * --replicas, and passing it would be a usage error.
 */
export function flagsFor (command: Command, flags: string[]): string[] {
  return flags.filter(f => {
    const name = /^--([a-z0-9-]+)/.exec(f)?.[1]
    return name !== undefined && Object.hasOwn(command.options, name)
  })
}

/** Runs `command` with `argv` (and the studio's flags it takes); resolves to its --json result, bigints as strings. */
export async function runForStudio (command: Command, argv: string[], studioFlags: string[]): Promise<unknown> {
  const out = new CaptureOutput()
  await command.run(parseCommandArgs(command, [...argv, ...flagsFor(command, studioFlags), '--json']), out)
  return JSON.parse(JSON.stringify(out.value ?? null, jsonReplacer)) as unknown
}

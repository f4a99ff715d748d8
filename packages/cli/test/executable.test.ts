// `p2pdv` as npm links it: the OS runs bin.js through its `#!/usr/bin/env -S node …` line.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { CLI, CLI_NODE_FLAGS } from './fixtures/cli.ts'

describe('the p2pdv executable', () => {
  it('starts through its shebang with the node flags the test runs use, on this PATH\'s node', async () => {
    assert.ok(CLI_NODE_FLAGS.length > 0, 'bin.js names its node flags on the #! line')
    const probe = `process.stdout.write(JSON.stringify({ argv: process.execArgv, major: Number(process.versions.node.split('.')[0]) }))`
    // The same interpreter line, with an inline script in place of bin.js: what the kernel runs.
    const { stdout } = await promisify(execFile)('/usr/bin/env', ['-S', `node ${CLI_NODE_FLAGS.join(' ')}`, '-e', probe])
    const seen = JSON.parse(stdout) as { argv: string[], major: number }
    assert.deepEqual(seen.argv.filter(a => CLI_NODE_FLAGS.includes(a)), CLI_NODE_FLAGS)
    assert.ok(seen.major >= 22, `the node on PATH is ${seen.major}`)
    const help = await promisify(execFile)(CLI, ['--help'])
    assert.match(help.stdout, /Usage:/)
  })
})

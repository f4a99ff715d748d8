// The command index names each command without loading it; it must name what its module defines.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { commands } from '../src/commands/index.ts'

describe('command index', () => {
  it('loads, for every name, the command of that name, and lists each command once', async () => {
    const names = commands.map(c => c.name)
    assert.equal(new Set(names).size, names.length)
    for (const entry of commands) {
      const cmd = await entry.load()
      assert.equal(cmd.name, entry.name)
      assert.equal(typeof cmd.run, 'function')
      assert.ok(cmd.usage.startsWith(entry.name), `usage of ${entry.name} starts with its name`)
    }
  })
})

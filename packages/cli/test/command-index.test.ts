// The command index names each command without loading it; it must name what its module defines.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { commands } from '../src/commands/index.ts'

const execFileP = promisify(execFile)

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

describe('what the file commands load', () => {
  // `put`, `get` and `download` start in a fraction of the time when they do not load the chain
  // client (viem), key-custody or libp2p modules (@libp2p/peer-id alone brought ~75 modules of
  // @libp2p/crypto): checked in a fresh process, which reports every module it loads.
  it('put, get and download load neither viem nor any libp2p package', async () => {
    const script = `
      import { registerHooks } from 'node:module'
      const loaded = []
      registerHooks({ load (url, ctx, next) { loaded.push(url); return next(url, ctx) } })
      const { commands } = await import(${JSON.stringify(new URL('../src/commands/index.ts', import.meta.url).href)})
      for (const name of ['put', 'get', 'download']) await commands.find(c => c.name === name).load()
      process.stdout.write(JSON.stringify(loaded))`
    const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script])
    const loaded = JSON.parse(stdout) as string[]
    assert.ok(loaded.some(u => u.endsWith('/commands/get.ts')), 'the hook saw the commands load')
    for (const pkg of ['/node_modules/viem/', '/node_modules/libp2p/', '/node_modules/@libp2p/', '/node_modules/@hpke/']) {
      assert.deepEqual(loaded.filter(u => u.includes(pkg)).slice(0, 3), [], `${pkg} stays unloaded`)
    }
  })
})

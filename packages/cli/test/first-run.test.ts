// A new user's first `npm install`: quiet (npm on an older system Node used to print 25
// EBADENGINE lines about dependencies that need Node >= 22), and it says which Node the project runs.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, globSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

describe('first run', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'p2pdv-first-run-'))
  after(() => { rmSync(scratch, { recursive: true, force: true }) })

  it('npm install on a fresh clone prints no engine warnings (resolved from the lockfile, nothing written)', () => {
    // The manifests and npm settings of a fresh clone; --dry-run resolves the whole tree (engine
    // checks included) without downloading or writing node_modules.
    for (const file of ['package.json', 'package-lock.json', '.npmrc', ...globSync('packages/*/package.json', { cwd: ROOT })]) {
      cpSync(join(ROOT, file), join(scratch, file), { recursive: true })
    }
    const npm = spawnSync('npm', ['install', '--dry-run', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: scratch, encoding: 'utf8', timeout: 300_000 })
    assert.equal(npm.status, 0, npm.stderr)
    const output = npm.stdout + npm.stderr
    assert.equal(output.match(/EBADENGINE/g)?.length ?? 0, 0, output)
    assert.equal(output.match(/npm warn/g)?.length ?? 0, 0, output)
  })

  it('the install ends with one line naming the Node the project runs on, and the one npm ran on', () => {
    const note = spawnSync(process.execPath, [join(ROOT, 'scripts/first-run-note.js')], {
      encoding: 'utf8',
      env: { ...process.env, npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false' },
      cwd: dirname(ROOT)
    })
    assert.equal(note.status, 0, note.stderr)
    assert.match(note.stdout, new RegExp(`Node\\.js ${process.version.replaceAll('.', '\\.')} from node_modules \\(npm itself ran on v20\\.20\\.2`))
    assert.equal(note.stdout.trim().split('\n').length, 1)
  })
})

// deploy/prometheus/: the alert rules pass `promtool check rules` and their unit tests
// (`promtool test rules`), and the configs pass `promtool check config`. CI installs prometheus.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { DEPLOY_DIR, findPrometheus, renderConfig } from '../src/monitoring.ts'

const execFileP = promisify(execFile)
const PROM = join(DEPLOY_DIR, 'prometheus')

async function promtool (...args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileP('promtool', args, { cwd: PROM })
  return stdout + stderr
}

describe('deploy/prometheus', () => {
  it('has rules promtool accepts', async () => {
    assert.match(await promtool('check', 'rules', 'rules.yml'), /SUCCESS: \d+ rules found/)
  })

  it('passes the rules unit tests (every alert fires for the bad node only)', async () => {
    assert.match(await promtool('test', 'rules', 'rules.test.yml'), /SUCCESS/)
  })

  it('has a fleet config and a devnet template promtool accepts', async () => {
    assert.match(await promtool('check', 'config', 'compose.yml'), /SUCCESS/)
    const dir = await mkdtemp(join(tmpdir(), 'p2pdv-prom-'))
    try {
      const targets = join(dir, 'targets.json')
      await writeFile(targets, '[]\n')
      const config = join(dir, 'prometheus.yml')
      await writeFile(config, renderConfig(await readFile(join(PROM, 'devnet.yml.tmpl'), 'utf8'), {
        SCRAPE_INTERVAL: '5s', RULES_FILE: JSON.stringify(join(PROM, 'rules.yml')), TARGETS_FILE: JSON.stringify(targets), PROMETHEUS_ADDRESS: '127.0.0.1:9090'
      }))
      assert.match(await promtool('check', 'config', config), /SUCCESS/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('names a missing prometheus with a typed error', () => {
    assert.throws(() => findPrometheus({ PATH: '/nonexistent' }), { code: 'ERR_PROMETHEUS_MISSING' })
    assert.throws(() => findPrometheus({ P2PDV_PROMETHEUS: '/nonexistent/prometheus', PATH: '/usr/bin' }), { code: 'ERR_PROMETHEUS_MISSING' })
  })

  it('refuses a template with a placeholder it has no value for', () => {
    assert.throws(() => renderConfig('x: {{NOPE}}', {}))
  })
})

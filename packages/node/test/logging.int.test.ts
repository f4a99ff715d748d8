// A node started with --log-format ecs writes only ECS JSON lines on stderr, from start to stop.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { spawnNode } from './fixtures/spawn-node.ts'

describe('node logs in ECS', () => {
  it('every stderr line of a node run with --log-format ecs is an ECS document', async () => {
    const node = await spawnNode({ args: ['--log-format', 'ecs'] })
    await node.stop()
    const lines = node.stderr().trim().split('\n').filter(l => l !== '')
    assert.ok(lines.length >= 1, 'the node logged its start')
    for (const line of lines) {
      const doc = JSON.parse(line) as Record<string, unknown>
      assert.equal(doc['ecs.version'], '8.11.0', line)
      assert.equal(typeof doc['log.level'], 'string', line)
      assert.equal(typeof doc.message, 'string', line)
      assert.ok(!Number.isNaN(Date.parse(doc['@timestamp'] as string)), line)
      assert.equal(doc.msg, undefined, line)
    }
  })
})

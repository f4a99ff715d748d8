import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { P2pdvError } from '@p2pdv/core/errors'
import { parseNodeArgs } from '../src/config.ts'
import { createNodeLogger, ECS_VERSION } from '../src/logging.ts'

function capture (): { stream: Writable, lines: () => Array<Record<string, unknown>> } {
  let text = ''
  const stream = new Writable({ write (chunk, _enc, done) { text += String(chunk); done() } })
  return { stream, lines: () => text.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>) }
}

describe('node logs', () => {
  it('ecs: @timestamp, log.level, message, ecs.version, service, process and error fields; the event\'s own fields kept', () => {
    const out = capture()
    const log = createNodeLogger('ecs', 'info', out.stream)
    log.info({ object: 'bafy1', version: 3 }, 'placement record updated after repair')
    log.error({ err: new P2pdvError('ERR_NODE_TIMEOUT', 'slow') }, 'repair pass failed')
    const [info, error] = out.lines()
    assert.equal(info!['log.level'], 'info')
    assert.equal(info!.message, 'placement record updated after repair')
    assert.equal(info!['ecs.version'], ECS_VERSION)
    assert.equal(info!['service.name'], 'p2pdv-node')
    assert.equal(info!['process.pid'], process.pid)
    assert.ok(!Number.isNaN(Date.parse(info!['@timestamp'] as string)))
    assert.deepEqual([info!.object, info!.version], ['bafy1', 3])
    assert.equal(info!.level, undefined, 'no pino level number beside log.level')
    const e = error!.error as Record<string, unknown>
    assert.equal(error!['log.level'], 'error')
    assert.deepEqual([e.type, e.message, e.code], ['P2pdvError', 'slow', 'ERR_NODE_TIMEOUT'])
    assert.match(e.stack_trace as string, /logging\.test\.ts/)
  })

  it('json (default): pino\'s own fields', () => {
    const out = capture()
    createNodeLogger('json', 'info', out.stream).warn({ peer: 'p' }, 'hello')
    const [line] = out.lines()
    assert.deepEqual([line!.level, line!.msg, line!.name, line!.peer], [40, 'hello', 'p2pdv-node', 'p'])
    assert.equal(typeof line!.time, 'number')
  })

  it('--log-format takes json or ecs, and refuses anything else with ERR_CONFIG', () => {
    const env = { P2PDV_PASSPHRASE: 'x'.repeat(20) }
    assert.equal(parseNodeArgs(['--data', '/tmp/x'], env).logFormat, 'json')
    assert.equal(parseNodeArgs(['--data', '/tmp/x', '--log-format', 'ecs'], env).logFormat, 'ecs')
    assert.throws(() => parseNodeArgs(['--data', '/tmp/x', '--log-format', 'logfmt'], env), (err: P2pdvError) => err.code === 'ERR_CONFIG' && /json or ecs/.test(err.message))
  })
})

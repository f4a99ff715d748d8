// Components with a lifecycle (node/src/lifecycle.ts), on real resources in a temp dir: a LevelDB
// datastore (it locks its directory) and a listening socket. A start that fails in the third
// component stops the second and the first, last first, so the directory opens again and the
// port is free; a stop that throws skips no other stop.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LevelDatastore } from 'datastore-level'
import { P2pdvError } from '@p2pdv/core/errors'
import { component, Lifecycle, type Component } from '../src/lifecycle.ts'

let root: string
before(async () => { root = await mkdtemp(join(tmpdir(), 'p2pdv-lifecycle-')) })
after(async () => { await rm(root, { recursive: true, force: true }) })

function datastoreComponent (dir: string, events: string[]): Component {
  const store = new LevelDatastore(dir)
  return component('datastore', async () => { await store.open(); events.push('start datastore') }, async () => { await store.close(); events.push('stop datastore') })
}

function listenerComponent (events: string[]): Component & { port: () => number } {
  const server: Server = createServer()
  let port = 0
  return {
    ...component('listener', async () => {
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen({ host: '127.0.0.1', port: 0 }, resolve) })
      port = (server.address() as { port: number }).port
      events.push('start listener')
    }, async () => {
      await new Promise<void>((resolve, reject) => { server.close(err => { err === undefined ? resolve() : reject(err) }) })
      events.push('stop listener')
    }),
    port: () => port
  }
}

async function canListen (port: number): Promise<boolean> {
  const probe = createServer()
  const ok = await new Promise<boolean>(resolve => {
    probe.once('error', () => { resolve(false) })
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => { resolve(true) })
  })
  if (ok) await new Promise(resolve => probe.close(resolve))
  return ok
}

/** The directory is free once a new store can open it (LevelDB holds a lock while open). */
async function reopens (dir: string): Promise<void> {
  const again = new LevelDatastore(dir)
  await again.open()
  await again.close()
}

describe('lifecycle', () => {
  it('a start that fails in component 3 stops 2 then 1, releases their resources and rethrows the original error', async () => {
    const dir = join(root, 'failed-start')
    const events: string[] = []
    const listener = listenerComponent(events)
    const lifecycle = new Lifecycle()
    const failure = new P2pdvError('ERR_TEST_START', 'component 3 cannot start')
    await assert.rejects(lifecycle.start([
      datastoreComponent(dir, events),
      listener,
      component('third', () => { throw failure }, () => { events.push('stop third') })
    ]), err => err === failure)
    assert.deepEqual(events, ['start datastore', 'start listener', 'stop listener', 'stop datastore'])
    assert.deepEqual(lifecycle.running, [])
    await reopens(dir)
    assert.equal(await canListen(listener.port()), true)
  })

  it('rolls back components started by an earlier start call too, and rethrows the start error even when a rollback stop fails', async () => {
    const dir = join(root, 'batches')
    const events: string[] = []
    const lifecycle = new Lifecycle()
    await lifecycle.start([datastoreComponent(dir, events)])
    await assert.rejects(lifecycle.start([
      component('bad stop', () => {}, () => { throw new P2pdvError('ERR_TEST_STOP', 'cannot stop') }),
      component('bad start', () => { throw new P2pdvError('ERR_TEST_START', 'cannot start') })
    ]), { code: 'ERR_TEST_START' })
    assert.deepEqual(events, ['start datastore', 'stop datastore'])
    await reopens(dir)
  })

  it('stop runs every stop, last first, even past one that throws, and reports the first error', async () => {
    const dir = join(root, 'stop')
    const events: string[] = []
    const listener = listenerComponent(events)
    const lifecycle = new Lifecycle()
    await lifecycle.start([
      datastoreComponent(dir, events),
      component('throws first', () => {}, () => { events.push('stop throws first'); throw new P2pdvError('ERR_TEST_STOP_A', 'a') }),
      listener,
      component('throws last', () => {}, async () => { events.push('stop throws last'); throw new P2pdvError('ERR_TEST_STOP_B', 'b') })
    ])
    assert.deepEqual(lifecycle.running, ['datastore', 'throws first', 'listener', 'throws last'])
    await assert.rejects(lifecycle.stop(), { code: 'ERR_TEST_STOP_B' })
    assert.deepEqual(events, ['start datastore', 'start listener', 'stop throws last', 'stop listener', 'stop throws first', 'stop datastore'])
    await reopens(dir)
    assert.equal(await canListen(listener.port()), true)
    // Stopped components are forgotten: a second stop has nothing to do.
    await lifecycle.stop()
  })
})

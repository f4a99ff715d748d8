// A start that fails after the stores are open leaves nothing behind (node/src/node.ts, the
// components in node/src/lifecycle.ts): startNode rejects with the typed error, and a second
// startNode on the same data dir in the same process opens the LevelDB datastore (locked while
// open), the audit database and the ports again.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { parseNodeArgs } from '../src/config.ts'
import { startNode } from '../src/node.ts'

let root: string
before(async () => { root = await mkdtemp(join(tmpdir(), 'p2pdv-node-lifecycle-')) })
after(async () => { await rm(root, { recursive: true, force: true }) })

const logger = pino({ level: 'silent' })
const configFor = (dataDir: string, args: string[] = []) => ({ ...parseNodeArgs(['--data', dataDir, '--host', '127.0.0.1', '--audit', ...args], { P2PDV_PASSPHRASE: 'lifecycle test' }), logger })

async function occupy (): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen({ host: '127.0.0.1', port: 0 }, resolve) })
  return server
}
const portOf = (server: Server): number => (server.address() as { port: number }).port
const close = async (server: Server): Promise<void> => { await new Promise(resolve => server.close(resolve)) }

async function freePort (): Promise<number> {
  const s = await occupy()
  const port = portOf(s)
  await close(s)
  return port
}

describe('node start and stop', () => {
  it('a start refused for a taken HTTP port releases the stores: the next start on the data dir succeeds', async () => {
    const dataDir = join(root, 'http-taken')
    const squatter = await occupy()
    try {
      await assert.rejects(startNode(configFor(dataDir, ['--http-port', String(portOf(squatter))])), { code: 'ERR_PORT_IN_USE' })
    } finally {
      await close(squatter)
    }
    const node = await startNode(configFor(dataDir))
    try {
      assert.equal((await fetch(`${node.httpUrl}/readyz`)).status, 200)
    } finally {
      await node.stop()
    }
  })

  it('a start refused for a taken libp2p port, after the HTTP plane listened, frees the HTTP port and the stores', async () => {
    const dataDir = join(root, 'p2p-taken')
    const squatter = await occupy()
    const httpPort = await freePort()
    try {
      await assert.rejects(startNode(configFor(dataDir, ['--http-port', String(httpPort), '--p2p-port', String(portOf(squatter))])), { code: 'ERR_PORT_IN_USE' })
    } finally {
      await close(squatter)
    }
    const node = await startNode(configFor(dataDir, ['--http-port', String(httpPort)]))
    try {
      assert.equal(node.httpUrl, `http://127.0.0.1:${httpPort}`)
    } finally {
      await node.stop()
    }
    // A stopped node released everything too: it starts again on the same data dir.
    const again = await startNode(configFor(dataDir))
    await again.stop()
  })
})

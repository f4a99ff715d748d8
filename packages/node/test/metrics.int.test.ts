// The node's /metrics: the metric set a dashboard needs, and label values a client cannot choose.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { blockCid } from '@p2pdv/core'
import { spawnNode, type SpawnedNode } from './fixtures/spawn-node.ts'

/** Sends one request with any method and path; resolves with the status (0 when the node hung up). */
async function raw (base: string, method: string, path: string): Promise<number> {
  const url = new URL(base)
  return await new Promise(resolve => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { 'content-type': 'application/octet-stream' } }, res => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', () => { resolve(0) })
    req.end(method === 'PUT' || method === 'POST' ? randomBytes(16) : undefined)
  })
}

/** The label sets of one metric's series in an exposition text. */
function series (text: string, name: string): string[] {
  return text.split('\n').filter(l => l.startsWith(`${name}{`)).map(l => l.slice(name.length, l.lastIndexOf('}') + 1))
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'MKCOL', 'PURGE', 'SEARCH', 'LOCK']

async function hostileBurst (base: string): Promise<string[]> {
  const tokens: string[] = []
  const cid = (await blockCid(randomBytes(32))).toString()
  for (let i = 0; i < 60; i++) {
    const token = randomBytes(6).toString('hex')
    tokens.push(token)
    const method = METHODS[i % METHODS.length]!
    const paths = [`/${token}`, `/api/v1/${token}`, `/api/v1/objects/${token}/placement`, `/ipfs/${token}`, `/ipfs/${cid}?x=${token}`, `/watch/${token}/${token}`, `/metrics/${token}`]
    await raw(base, method, paths[i % paths.length]!)
  }
  return tokens
}

describe('node metrics', () => {
  let node: SpawnedNode

  before(async () => {
    node = await spawnNode({ args: ['--quota', String(8 * 1024 * 1024)] })
  })
  after(async () => { await node?.stop() })

  it('exports the state a dashboard needs: info, disk, quota, connections, placements, chain errors', async () => {
    const text = await (await fetch(`${node.info.http}/metrics`)).text()
    assert.match(text, new RegExp(`^p2pdv_node_info\\{version="[^"]+",peer_id="${node.info.peerId}"\\} 1$`, 'm'))
    const free = Number(/^p2pdv_disk_free_bytes (\d+)$/m.exec(text)?.[1])
    assert.ok(free > 0)
    assert.ok(Number(/^p2pdv_disk_size_bytes (\d+)$/m.exec(text)?.[1]) >= free)
    assert.match(text, /^p2pdv_store_quota_bytes 8388608$/m)
    assert.match(text, /^p2pdv_libp2p_connections \d+$/m)
    assert.match(text, /^p2pdv_placement_records 0$/m)
    assert.match(text, /^# TYPE p2pdv_chain_rpc_errors_total counter$/m)
    assert.match(text, /^p2pdv_repair_passes \d+$/m)
  })

  it('times block GET and PUT apart, by route template', async () => {
    assert.equal(await raw(node.info.http, 'PUT', `/ipfs/${(await blockCid(randomBytes(8))).toString()}`), 401)
    assert.equal(await raw(node.info.http, 'GET', `/ipfs/${(await blockCid(randomBytes(8))).toString()}`), 404)
    const text = await (await fetch(`${node.info.http}/metrics`)).text()
    const sets = series(text, 'p2pdv_http_request_duration_seconds_count')
    assert.ok(sets.includes('{route="/ipfs/:cid",method="PUT",status="401"}'), sets.join('\n'))
    assert.ok(sets.includes('{route="/ipfs/:cid",method="GET",status="404"}'), sets.join('\n'))
  })

  it('keeps label cardinality bounded under random paths and methods', async () => {
    const first = await hostileBurst(node.info.http)
    const afterFirst = series(await (await fetch(`${node.info.http}/metrics`)).text(), 'p2pdv_http_request_duration_seconds_count')
    const second = await hostileBurst(node.info.http)
    const text = await (await fetch(`${node.info.http}/metrics`)).text()
    const afterSecond = series(text, 'p2pdv_http_request_duration_seconds_count')
    // New random values added no series: only the same kinds of request were sent again.
    assert.deepEqual(afterSecond.filter(s => !s.includes('route="/metrics"')).sort(), afterFirst.filter(s => !s.includes('route="/metrics"')).sort())
    for (const token of [...first, ...second]) assert.ok(!text.includes(token), `label value from a client: ${token}`)
    for (const s of afterSecond) {
      const route = /route="([^"]*)"/.exec(s)?.[1] ?? ''
      const method = /method="([^"]*)"/.exec(s)?.[1] ?? ''
      assert.ok(route === 'unmatched' || route.startsWith('/'), s)
      assert.ok(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'OTHER'].includes(method), s)
    }
    assert.ok(afterSecond.some(s => s.includes('route="unmatched"')))
  })
})

// The HTTP audit plane (audit/transport.ts) against a node that answers a challenge with an
// endless body that is not an audit response: the answer is refused at the audit message limit
// with a code, instead of being read until the audit's deadline.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { createAuditTransport } from '../src/audit/transport.ts'

describe('HTTP audit transport against a hostile node', () => {
  let server: Server
  let url = ''
  before(async () => {
    server = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/html' })
      const chunk = Buffer.alloc(64 * 1024, 0x41)
      const pump = (): void => { while (!res.destroyed && res.write(chunk)); if (!res.destroyed) res.once('drain', pump) }
      pump()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  after(() => { server.closeAllConnections(); server.close() })

  it('refuses an endless answer to a challenge with ERR_FRAME_TOO_LARGE', async () => {
    const transport = createAuditTransport('http', { resolveHttp: async () => url })
    await assert.rejects(transport.challenge('peer', new Uint8Array(8), AbortSignal.timeout(20_000)), { code: 'ERR_FRAME_TOO_LARGE' })
  })
})

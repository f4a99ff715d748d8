/**
 * HTTP endpoints of the keeper role and of sign-in (docs/openapi.yaml):
 *
 *   GET  /api/v1/keeper              who this keeper is (address, X25519 key, chain, signed log head)
 *   POST /api/v1/keeper/release      a signed KeyRequest → a KeyResponse (the share re-sealed to the viewer)
 *   POST /api/v1/keeper/shares       a ShareDeposit signed by the video's owner
 *   GET  /api/v1/keeper/log          a page of the audit log; bodies only for the signed-in viewer/owner
 *   GET  /api/v1/auth/nonce, POST /api/v1/auth/siwe, GET /api/v1/auth/session   (EIP-4361)
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { P2pdvError } from '@p2pdv/core/errors'
import { httpStatusOf } from '@p2pdv/core/error-catalog'
import { MAX_KEEPER_MESSAGE_BYTES, type AccessOracle, type Hex, type VideoId } from '@p2pdv/core/keys'
import { AuthErrorCode, MAX_SIWE_MESSAGE_BYTES, SESSION_COOKIE, sessionToken, type Role, type SiweAuth } from '../auth.ts'
import { MAX_LOG_PAGE, type Keeper } from './keeper.ts'

export interface KeeperRoutesDeps {
  keeper: Keeper | undefined
  auth: SiweAuth | undefined
  oracle: AccessOracle | undefined
  log: Logger
  /** Extra info merged into GET /api/v1/keeper (peer id, addresses). */
  describe: () => Record<string, unknown>
  /** What pages need to read the chain (GET /api/v1/chain): chain id, a public RPC URL, contracts. */
  chain?: () => Record<string, unknown> | undefined
}

/**
 * Key requests may come from a page served by any node (the keeper is often another node than
 * the one that served the page). They carry no cookie and prove themselves by signature, and the
 * answer is sealed to the key inside the request, so any origin may ask.
 */
const KEEPER_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600'
}

export async function rolesOf (oracle: AccessOracle | undefined, address: Hex): Promise<Role[]> {
  const roles: Role[] = ['viewer']
  if (oracle === undefined) return roles
  try {
    const r = await oracle.roles(address)
    if (r.creator) roles.push('creator')
    if (r.nodeHost) roles.push('node-host')
  } catch {}
  return roles
}

function notEnabled (what: string): P2pdvError {
  return new P2pdvError('ERR_NOT_ENABLED', `this node does not run ${what}`, { hint: 'Start it with `p2pdv node start --keeper …`.' })
}

export function keeperRoutes (deps: KeeperRoutesDeps) {
  return (app: FastifyInstance): void => {
    const { keeper, auth, oracle } = deps

    app.get('/api/v1/keeper', async (_req, reply) => {
      if (keeper === undefined) throw notEnabled('the keeper role')
      return reply.send({ ...keeper.info(), ...deps.describe(), head: await keeper.signedHead() })
    })

    app.options('/api/v1/keeper/release', async (_req, reply) => reply.code(204).headers(KEEPER_CORS).send())
    app.post('/api/v1/keeper/release', { bodyLimit: MAX_KEEPER_MESSAGE_BYTES }, async (req, reply) => {
      reply.header('access-control-allow-origin', '*')
      if (keeper === undefined) throw notEnabled('the keeper role')
      const answer = await keeper.release(req.body, `ip:${req.ip}`)
      if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds))
      return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body)
    })

    app.post('/api/v1/keeper/shares', { bodyLimit: MAX_KEEPER_MESSAGE_BYTES }, async (req, reply) => {
      if (keeper === undefined) throw notEnabled('the keeper role')
      const answer = await keeper.deposit(req.body)
      return reply.code(answer.status).send(answer.body)
    })

    app.get<{ Querystring: { from?: string, limit?: string } }>('/api/v1/keeper/log', async (req, reply) => {
      if (keeper === undefined) throw notEnabled('the keeper role')
      const from = Number(req.query.from ?? 0)
      const limit = Number(req.query.limit ?? MAX_LOG_PAGE)
      if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new P2pdvError('ERR_BAD_REQUEST', 'from and limit must be non-negative integers')
      const session = auth?.verify(sessionToken(req.headers))
      const me = session?.address.toLowerCase()
      const owners = new Map<VideoId, string | undefined>()
      const canSee = async (video: VideoId, subject: Hex): Promise<boolean> => {
        if (me === undefined) return false
        if (subject.toLowerCase() === me) return true
        if (!owners.has(video)) owners.set(video, (await oracle?.video(video).catch(() => undefined))?.owner.toLowerCase())
        return owners.get(video) === me
      }
      return reply.header('cache-control', 'no-store').send(await keeper.logPage(from, limit, canSee))
    })

    app.get('/api/v1/chain', async (_req, reply) => {
      const c = deps.chain?.()
      if (c === undefined) {
        throw new P2pdvError('ERR_NOT_ENABLED', 'this node shares no chain with pages', {
          hint: 'Start it with --chain FILE; an RPC URL that is not loopback is shared only when named with --public-rpc URL.'
        })
      }
      return reply.header('cache-control', 'no-cache').send(c)
    })

    app.get('/api/v1/auth/nonce', async (req, reply) => {
      if (auth === undefined) throw notEnabled('sign-in (it needs a chain)')
      return reply.header('cache-control', 'no-store').send(auth.issueNonce(`ip:${req.ip}`))
    })

    app.post<{ Body: { message?: unknown, signature?: unknown } }>('/api/v1/auth/siwe', { bodyLimit: MAX_SIWE_MESSAGE_BYTES + 512 }, async (req, reply) => {
      if (auth === undefined) throw notEnabled('sign-in (it needs a chain)')
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { message?: unknown, signature?: unknown }
      try {
        const s = await auth.signIn(body.message, body.signature)
        const maxAge = Math.max(0, Math.floor((s.expiresAt - Date.now()) / 1000))
        reply.header('set-cookie', `${SESSION_COOKIE}=${s.token}; Path=/api; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`)
        return reply.send({ token: s.token, address: s.address, chainId: s.chainId, expiresAt: s.expiresAt, roles: await rolesOf(oracle, s.address) })
      } catch (err) {
        if (err instanceof P2pdvError) return reply.code(httpStatusOf(err.code)).send(err.toJSON())
        throw err
      }
    })

    app.get('/api/v1/auth/session', async (req, reply) => {
      const session = auth?.verify(sessionToken(req.headers))
      if (session === undefined) return reply.code(401).send(new P2pdvError(AuthErrorCode.NO_SESSION, 'not signed in, or the session expired').toJSON())
      return reply.send({ ...session, roles: await rolesOf(oracle, session.address) })
    })
  }
}

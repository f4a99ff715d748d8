/**
 * Deliberate misbehaviour, for tests only: integration tests need real node processes that cheat
 * (serve garbage, forge proofs) to show that audits catch them. A fault is switched on only by
 * the environment variable P2PDV_TEST_FAULTS (never by a flag, config file or API), and a node
 * refuses to start with one unless both planes listen on a loopback address, so a production node
 * cannot run with one by accident. A faulty node logs a warning at start and lists its faults in
 * `GET /api/v1/node`.
 */
import { P2pdvError } from '@p2pdv/core/errors'

export const TEST_FAULTS_ENV = 'P2PDV_TEST_FAULTS'

/**
 * `serve-garbage`: GET /ipfs/{cid} returns the block with one byte flipped (audits still answered honestly). `forge-proofs`: audit answers carry a made-up leaf and path, validly signed.
 * `fail-repair`: every pass of the first repair worker throws (the supervisor must replace it).
 * `fail-audit`: every round of the first auditor throws (likewise).
 */
export const TEST_FAULTS = ['serve-garbage', 'forge-proofs', 'fail-repair', 'fail-audit'] as const
export type TestFault = typeof TEST_FAULTS[number]

export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Reads the test faults from the environment; refuses unknown names and non-loopback hosts. */
export function parseTestFaults (env: NodeJS.ProcessEnv, host: string): TestFault[] {
  const raw = env[TEST_FAULTS_ENV]
  if (raw === undefined || raw.trim() === '') return []
  const names = raw.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const n of names) {
    if (!(TEST_FAULTS as readonly string[]).includes(n)) {
      throw new P2pdvError('ERR_CONFIG', `unknown test fault "${n.slice(0, 40)}" in ${TEST_FAULTS_ENV}`, { hint: `Known: ${TEST_FAULTS.join(', ')}. Unset ${TEST_FAULTS_ENV} for a normal node.` })
    }
  }
  if (!isLoopbackHost(host)) {
    throw new P2pdvError('ERR_CONFIG', `${TEST_FAULTS_ENV} is set: a node with test faults only listens on loopback, not ${host}`, {
      hint: `Unset ${TEST_FAULTS_ENV}: it makes the node cheat on purpose and exists for tests only.`
    })
  }
  return [...new Set(names)] as TestFault[]
}

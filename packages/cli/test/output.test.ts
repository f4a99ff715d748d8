import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { P2pdvError } from '@p2pdv/core/errors'
import { hintOf } from '@p2pdv/core/error-catalog'
import { Output } from '../src/output.ts'

function render (err: P2pdvError): string {
  const stderr = new PassThrough()
  new Output({ json: false, stderr }).error(err)
  return String(stderr.read())
}

describe('Output.error', () => {
  it('shows the error\'s own hint, else the catalog\'s default hint for its code', () => {
    assert.match(render(new P2pdvError('ERR_NODE_UNREACHABLE', 'x', { hint: 'own hint' })), /\n {2}hint: own hint\n$/)
    assert.ok(render(new P2pdvError('ERR_NODE_UNREACHABLE', 'x')).endsWith(`  hint: ${hintOf('ERR_NODE_UNREACHABLE')}\n`))
    assert.doesNotMatch(render(new P2pdvError('ERR_FROM_A_LATER_VERSION', 'x')), /hint:/)
  })
})

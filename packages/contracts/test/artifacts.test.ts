// The committed typed artifacts (src/generated/*.ts) must be exactly what a fresh solcjs compile of
// the sources produces: CI fails on drift. Also checks every deployable contract fits EIP-170.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compile, driftedArtifacts, renderArtifacts } from '../scripts/compile.ts'

describe('generated artifacts', () => {
  it('match a fresh compile of the Solidity sources', () => {
    const result = compile()
    assert.deepEqual(result.warnings, [], 'our sources compile without warnings')
    const drifted = driftedArtifacts(renderArtifacts(result))
    assert.deepEqual(drifted, [], `stale: ${drifted.join(', ')}; run \`npm run build -w @p2pdv/contracts\` and commit the result`)
    for (const c of result.contracts) assert.ok(c.deployedSize <= 24_576, `${c.name} is ${c.deployedSize} bytes, over the EIP-170 limit`)
  })
})

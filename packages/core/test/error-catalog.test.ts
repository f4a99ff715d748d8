import assert from 'node:assert/strict'
import { globSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { ERROR_AREAS, ERROR_CATALOG, ERROR_FAMILIES, hintOf, httpStatusOf, UNKNOWN_ERROR_STATUS } from '../src/error-catalog/index.ts'
import { errorTableMarkdown } from '../../../scripts/error-table.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Every `ERR_…` literal in the packages' sources; `ERR_X_${…}` templates and `'ERR_X_'` are prefixes. */
function codesInSources (): { codes: Map<string, string>, prefixes: Map<string, string> } {
  const codes = new Map<string, string>()
  const prefixes = new Map<string, string>()
  for (const file of globSync('packages/*/src/**/*.{ts,tsx}', { cwd: ROOT })) {
    const text = readFileSync(ROOT + file, 'utf8')
    for (const m of text.matchAll(/['"](ERR_[A-Z0-9_]+)['"]/g)) {
      const code = m[1]!
      if (code.endsWith('_')) prefixes.set(code, file)
      else codes.set(code, file)
    }
    for (const m of text.matchAll(/`(ERR_[A-Z0-9_]*)\$\{/g)) prefixes.set(m[1]!, file)
  }
  return { codes, prefixes }
}

describe('error catalog', () => {
  it('no code is in two areas', () => {
    const seen = new Map<string, string>()
    for (const [area, table] of Object.entries(ERROR_AREAS)) {
      for (const code of Object.keys(table)) {
        assert.equal(seen.get(code), undefined, `${code} is in ${seen.get(code)} and ${area}`)
        seen.set(code, area)
      }
    }
    assert.equal(seen.size, Object.keys(ERROR_CATALOG).length)
  })

  it('every code has an HTTP error status and a hint', () => {
    for (const [code, spec] of [...Object.entries(ERROR_CATALOG), ...ERROR_FAMILIES.map(f => [f.prefix, f] as const)]) {
      assert.match(code, /^ERR_[A-Z0-9_]+$/)
      assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `${code}: status ${spec.status}`)
      assert.ok(spec.hint.length > 0 && spec.hint.length <= 200, `${code}: hint`)
    }
  })

  it('covers every ERR_ code in packages/*/src (add new codes to src/error-catalog/)', () => {
    const { codes, prefixes } = codesInSources()
    assert.ok(codes.size > 100, 'the scan found the sources')
    const missing = [...codes].filter(([code]) => hintOf(code) === undefined).map(([code, file]) => `${code} (${file})`)
    assert.deepEqual(missing, [])
    const catalogued = [...Object.keys(ERROR_CATALOG), ...ERROR_FAMILIES.map(f => f.prefix)]
    const loosePrefixes = [...prefixes].filter(([p]) => !catalogued.some(c => c.startsWith(p)) && !ERROR_FAMILIES.some(f => p.startsWith(f.prefix)))
    assert.deepEqual(loosePrefixes, [])
  })

  it('statuses written beside a code in the HTTP routes agree with the catalog', () => {
    let checked = 0
    for (const file of globSync('packages/*/src/**/*.ts', { cwd: ROOT })) {
      const text = readFileSync(ROOT + file, 'utf8')
      for (const m of text.matchAll(/(?:sendError\(reply, |fail\(req, res, started, )(\d{3}), new P2pdvError\('(ERR_[A-Z0-9_]+)'/g)) {
        assert.equal(Number(m[1]), httpStatusOf(m[2]!), `${file}: ${m[2]} answered ${m[1]}`)
        checked++
      }
    }
    assert.ok(checked > 0, 'the scan found the routes')
  })

  it('families answer codes built at run time; listed codes win; unknown codes are server faults', () => {
    assert.equal(httpStatusOf('ERR_CHAIN_ALREADY_PAID'), 409)
    assert.equal(httpStatusOf('ERR_CHAIN_UNREACHABLE'), 502)
    assert.equal(httpStatusOf('ERR_HTTP_418'), 502)
    assert.equal(httpStatusOf('ERR_FROM_A_LATER_VERSION'), UNKNOWN_ERROR_STATUS)
    assert.equal(httpStatusOf('toString'), UNKNOWN_ERROR_STATUS)
    assert.equal(hintOf('__proto__'), undefined)
  })

  it('docs/errors.md is generated from the catalog (node scripts/error-table.ts --write)', () => {
    assert.equal(readFileSync(ROOT + 'docs/errors.md', 'utf8'), errorTableMarkdown())
  })
})

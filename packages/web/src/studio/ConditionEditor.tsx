/**
 * An access condition, built clause by clause (up to 4: token holdings or a time window) and
 * joined by AND or OR. The page only assembles the specs `p2pdv require` takes; the studio
 * checks them with the chain package's parser and the page shows what it refuses.
 */
import type { ReactElement } from 'react'
import type { ConditionJson } from './api.ts'

export type ClauseKind = 'erc20' | 'erc721' | 'erc1155' | 'time'
export interface ClauseDraft { kind: ClauseKind, token: string, id: string, min: string, from: string, until: string }
export interface ConditionDraft { any: boolean, clauses: ClauseDraft[] }

/** AccessManager.MAX_CLAUSES. */
export const MAX_CLAUSES = 4

const KINDS: Array<[ClauseKind, string]> = [
  ['erc20', 'Holds an ERC-20 token'],
  ['erc721', 'Holds an NFT (ERC-721)'],
  ['erc1155', 'Holds an ERC-1155 token'],
  ['time', 'Asks within a time window']
]

export const emptyClause = (kind: ClauseKind = 'erc721'): ClauseDraft => ({ kind, token: '', id: '', min: '', from: '', until: '' })

/** The spec of a clause as `--require` takes it. */
export function clauseSpecOf (c: ClauseDraft): string {
  const min = c.min.trim() === '' ? '' : `>=${c.min.trim()}`
  switch (c.kind) {
    case 'erc20': case 'erc721': return `${c.kind}:${c.token.trim()}${min}`
    case 'erc1155': return `erc1155:${c.token.trim()}:${c.id.trim()}${min}`
    case 'time': return `time:${c.from.trim()}..${c.until.trim()}`
  }
}

/** The condition body the studio takes, or undefined when there is no clause. */
export function conditionBody (d: ConditionDraft): ConditionJson | undefined {
  return d.clauses.length === 0 ? undefined : { any: d.any, require: d.clauses.map(clauseSpecOf) }
}

/** A spec the chain package printed back, as fields to edit. */
export function draftOf (c: ConditionJson | null): ConditionDraft {
  if (c === null) return { any: false, clauses: [] }
  return {
    any: c.any,
    clauses: c.require.map(spec => {
      const t = /^time:(.*)\.\.(.*)$/.exec(spec)
      if (t !== null) return { ...emptyClause('time'), from: t[1]!, until: t[2]! }
      const m = /^(erc20|erc721|erc1155):(0x[0-9a-fA-F]{40})(?::(\d+))?(?:>=(\d+))?$/.exec(spec)
      if (m === null) return emptyClause()
      return { ...emptyClause(m[1] as ClauseKind), token: m[2]!, id: m[3] ?? '', min: m[4] ?? '' }
    })
  }
}

export function ConditionEditor ({ value, onChange, disabled, idPrefix }: { value: ConditionDraft, onChange: (d: ConditionDraft) => void, disabled: boolean, idPrefix: string }): ReactElement {
  const set = (i: number, patch: Partial<ClauseDraft>): void => { onChange({ ...value, clauses: value.clauses.map((c, j) => j === i ? { ...c, ...patch } : c) }) }
  return (
    <div className='condition-editor'>
      {value.clauses.length > 1 && (
        <fieldset className='condition-join'>
          <legend className='sr-only'>How the clauses combine</legend>
          <label><input type='radio' name={`${idPrefix}-join`} checked={!value.any} onChange={() => { onChange({ ...value, any: false }) }} disabled={disabled} /> All must hold (AND)</label>
          <label><input type='radio' name={`${idPrefix}-join`} checked={value.any} onChange={() => { onChange({ ...value, any: true }) }} disabled={disabled} /> Any one suffices (OR)</label>
        </fieldset>
      )}
      <ol className='clause-list'>
        {value.clauses.map((c, i) => (
          <li key={i} className='clause' data-clause={i}>
            <div className='clause-head'>
              <label className='clause-kind'><span className='sr-only'>Clause {i + 1} kind</span>
                <select value={c.kind} onChange={e => { set(i, { kind: e.currentTarget.value as ClauseKind }) }} disabled={disabled} aria-label={`Clause ${i + 1} kind`}>
                  {KINDS.map(([k, label]) => <option key={k} value={k}>{label}</option>)}
                </select>
              </label>
              <button type='button' className='clause-remove' onClick={() => { onChange({ ...value, clauses: value.clauses.filter((_, j) => j !== i) }) }} disabled={disabled} aria-label={`Remove clause ${i + 1}`}>Remove</button>
            </div>
            {c.kind === 'time'
              ? (
                <div className='studio-row2'>
                  <label><span>From <span className='muted'>(empty: any time before)</span></span><input value={c.from} onInput={e => { set(i, { from: e.currentTarget.value }) }} placeholder='2027-01-01' maxLength={40} disabled={disabled} /></label>
                  <label><span>Until <span className='muted'>(empty: open)</span></span><input value={c.until} onInput={e => { set(i, { until: e.currentTarget.value }) }} placeholder='2027-02-01T18:00Z' maxLength={40} disabled={disabled} /></label>
                </div>
                )
              : (
                <div className='clause-fields'>
                  <label className='wide'>{c.kind === 'erc20' ? 'Token contract' : 'Collection contract'}<input value={c.token} onInput={e => { set(i, { token: e.currentTarget.value }) }} placeholder='0x…' maxLength={42} spellCheck={false} disabled={disabled} /></label>
                  {c.kind === 'erc1155' && <label>Token id<input value={c.id} onInput={e => { set(i, { id: e.currentTarget.value }) }} placeholder='1' maxLength={78} inputMode='numeric' disabled={disabled} /></label>}
                  <label><span>At least <span className='muted'>{c.kind === 'erc20' ? '(smallest unit; 100e18 = 100 tokens)' : '(empty: 1)'}</span></span><input value={c.min} onInput={e => { set(i, { min: e.currentTarget.value }) }} placeholder='1' maxLength={60} disabled={disabled} /></label>
                </div>
                )}
          </li>
        ))}
      </ol>
      {value.clauses.length < MAX_CLAUSES && (
        <button type='button' onClick={() => { onChange({ ...value, clauses: [...value.clauses, emptyClause()] }) }} disabled={disabled}>+ Add a clause</button>
      )}
    </div>
  )
}

/**
 * `/node`: the serving node at a glance, for its operator and the curious — storage used and free,
 * blocks and placement records, repair, peers, keeper role, stake and reputation on chain, and
 * (on an auditor) the scores it gives and its latest audits. Refreshed every 10 s. Everything
 * shown is public: the same endpoints any client reads.
 */
import { useEffect, useState, type ReactElement } from 'react'
import { userError, type UserError } from '../errors.ts'
import { formatBytes } from '../format.ts'
import { TopBar } from '../TopBar.tsx'
import { loadAudits, loadNode, loadStake, type AuditView, type NodeSnapshot, type StakeView } from './node-api.ts'

const REFRESH_MS = 10_000

type Part<T> = { kind: 'loading' } | { kind: 'ready', value: T } | { kind: 'error', error: UserError }

export function NodePage (): ReactElement {
  const [node, setNode] = useState<Part<NodeSnapshot>>({ kind: 'loading' })
  const [audits, setAudits] = useState<Part<AuditView | undefined>>({ kind: 'loading' })
  const [stake, setStake] = useState<Part<StakeView | undefined>>({ kind: 'loading' })
  const [updated, setUpdated] = useState<number | undefined>()

  useEffect(() => {
    document.title = 'This node — P2PDEVIDEO'
    const ctrl = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const refresh = async (): Promise<void> => {
      try {
        const n = await loadNode(ctrl.signal)
        setNode({ kind: 'ready', value: n })
        setUpdated(Date.now())
        await Promise.all([
          loadAudits(n.peerId, ctrl.signal).then(a => { setAudits({ kind: 'ready', value: a }) }, err => { setAudits({ kind: 'error', error: userError(err) }) }),
          loadStake(n.peerId, ctrl.signal).then(s => { setStake({ kind: 'ready', value: s }) }, err => { setStake({ kind: 'error', error: userError(err) }) })
        ])
      } catch (err) {
        if (!ctrl.signal.aborted) setNode({ kind: 'error', error: userError(err) })
      }
      if (!ctrl.signal.aborted) timer = setTimeout(() => { void refresh() }, REFRESH_MS)
    }
    void refresh()
    return () => { ctrl.abort(); clearTimeout(timer) }
  }, [])

  return (
    <div className='page node-page'>
      <TopBar nodes={node.kind === 'ready' ? node.value.knownNodes.length : undefined} />
      <main>
        <header className='node-head'>
          <h1>This node</h1>
          {node.kind === 'ready' && <p className='muted mono' title='Peer id'>{node.value.peerId}</p>}
          {updated !== undefined && <p className='muted small' aria-live='polite'>Updated {new Date(updated).toLocaleTimeString()} · refreshes every 10 s</p>}
        </header>
        {node.kind === 'loading' && <p className='muted' aria-busy='true'>Reading the node…</p>}
        {node.kind === 'error' && <ErrorNotice error={node.error} />}
        {node.kind === 'ready' && <Dashboard node={node.value} audits={audits} stake={stake} />}
      </main>
      <footer className='footer'>P2PDEVIDEO · every number here comes from this node's public API</footer>
    </div>
  )
}

function Dashboard ({ node, audits, stake }: { node: NodeSnapshot, audits: Part<AuditView | undefined>, stake: Part<StakeView | undefined> }): ReactElement {
  const used = node.quotaBytes > 0 ? Math.min(1, node.usedBytes / node.quotaBytes) : 0
  const problems = problemsOf(node, audits)
  return (
    <div className='node-grid'>
      <section className='card' aria-labelledby='storage-h'>
        <h2 id='storage-h'>Storage</h2>
        <div className='meter' role='meter' aria-label='Storage used' aria-valuemin={0} aria-valuemax={node.quotaBytes} aria-valuenow={node.usedBytes}>
          <span style={{ width: `${(used * 100).toFixed(1)}%` }} className={used > 0.9 ? 'high' : ''} />
        </div>
        <p className='big'><span data-testid='used'>{formatBytes(node.usedBytes)}</span> <span className='muted'>of {formatBytes(node.quotaBytes)} · {formatBytes(node.freeBytes)} free</span></p>
        <dl className='facts'>
          <div><dt>Blocks</dt><dd data-testid='blocks'>{node.blocks.toLocaleString()}</dd></div>
          <div><dt>Placement records</dt><dd data-testid='placements'>{node.placements.toLocaleString()}</dd></div>
          {node.zone !== undefined && <div><dt>Zone</dt><dd>{node.zone}</dd></div>}
        </dl>
      </section>

      <section className='card' aria-labelledby='repair-h'>
        <h2 id='repair-h'>Repair</h2>
        {node.repair.enabled
          ? (
            <dl className='facts'>
              <div><dt>Passes</dt><dd data-testid='repair-passes'>{node.repair.passes}</dd></div>
              <div><dt>Last pass</dt><dd>{node.repair.lastPassAt === 0 ? 'not yet' : ago(node.repair.lastPassAt!)}</dd></div>
              <div><dt>Blocks repaired</dt><dd>{node.repair.blocksRepaired}</dd></div>
              <div><dt>Moved</dt><dd>{formatBytes(node.repair.bytesMoved ?? 0)}</dd></div>
              <div><dt>Backlog</dt><dd>{node.repair.backlog}</dd></div>
              <div><dt>At risk / lost</dt><dd className={(node.repair.unrecoverable ?? 0) > 0 ? 'bad' : ''}>{node.repair.atRisk} / {node.repair.unrecoverable}</dd></div>
            </dl>
            )
          : <p className='muted'>Repair is off on this node (<code>--no-repair</code>).</p>}
      </section>

      <section className='card' aria-labelledby='net-h'>
        <h2 id='net-h'>Network</h2>
        <dl className='facts'>
          <div><dt>Connected (libp2p)</dt><dd data-testid='connected'>{node.connectedPeers}</dd></div>
          <div><dt>Nodes it knows</dt><dd data-testid='known'>{node.knownNodes.length}</dd></div>
          <div><dt>Version</dt><dd>{node.version}</dd></div>
        </dl>
        <details>
          <summary>Addresses and peers</summary>
          <ul className='mono small plain'>{node.multiaddrs.map(a => <li key={a}>{a}</li>)}</ul>
          <ul className='mono small plain'>{node.knownNodes.map(p => <li key={p.peerId}>{short(p.peerId)} · {p.http}</li>)}</ul>
        </details>
      </section>

      <section className='card' aria-labelledby='chain-h'>
        <h2 id='chain-h'>Stake and roles</h2>
        <dl className='facts'>
          <div><dt>Keeper</dt><dd data-testid='keeper'>{node.keeper === undefined ? 'no' : `yes · ${node.keeper.shares} key shares · log of ${node.keeper.logLength}`}</dd></div>
          <div><dt>Auditor</dt><dd>{node.auditor ? 'yes' : 'no'}</dd></div>
        </dl>
        {stake.kind === 'loading' && <p className='muted'>Reading the chain…</p>}
        {stake.kind === 'error' && <p className='muted'>The chain did not answer ({stake.error.code}); stake is not shown.</p>}
        {stake.kind === 'ready' && stake.value === undefined && <p className='muted'>Not registered on a chain this node shares.</p>}
        {stake.kind === 'ready' && stake.value !== undefined && (
          <dl className='facts'>
            <div><dt>Stake</dt><dd data-testid='stake'>{formatTokens(stake.value.stake)}</dd></div>
            <div><dt>State</dt><dd className={stake.value.active ? 'good' : 'bad'}>{stake.value.active ? 'active' : 'inactive'}</dd></div>
            <div><dt>Reputation on chain</dt><dd>{(stake.value.reputation / 100).toFixed(0)} %</dd></div>
            <div><dt>Operator</dt><dd className='mono small'>{short(stake.value.operator)}</dd></div>
          </dl>
        )}
      </section>

      {audits.kind === 'ready' && audits.value !== undefined && (
        <section className='card wide' aria-labelledby='audit-h'>
          <h2 id='audit-h'>Audits this node runs</h2>
          {audits.value.peers.length === 0 && <p className='muted'>No scores yet: the auditor learns what to audit from placement records and scores nodes after its first rounds (one a minute by default).</p>}
          {audits.value.peers.length > 0 && <table className='scores'>
            <caption className='sr-only'>Reputation of the nodes this auditor follows</caption>
            <thead><tr><th scope='col'>Node</th><th scope='col'>Score</th><th scope='col'>Passes</th><th scope='col'>Failures</th><th scope='col'>Gets new blocks</th></tr></thead>
            <tbody>
              {audits.value.peers.map(p => (
                <tr key={p.peerId}>
                  <td className='mono'>{short(p.peerId)}{p.peerId === node.peerId ? ' (this node)' : ''}</td>
                  <td><span className={`score ${p.score < 0.5 ? 'bad' : 'good'}`}>{p.score.toFixed(2)}</span></td>
                  <td>{p.passes}</td>
                  <td>{p.failures}</td>
                  <td>{p.eligible ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>}
        </section>
      )}

      <section className='card wide' aria-labelledby='problems-h'>
        <h2 id='problems-h'>Recent problems</h2>
        {problems.length === 0
          ? <p className='good' data-testid='no-problems'>None seen: no failed audits in the latest results, nothing lost or at risk.</p>
          : <ul className='problems'>{problems.map((p, i) => <li key={i}>{p}</li>)}</ul>}
      </section>
    </div>
  )
}

function problemsOf (node: NodeSnapshot, audits: Part<AuditView | undefined>): string[] {
  const out: string[] = []
  if ((node.repair.unrecoverable ?? 0) > 0) out.push(`${node.repair.unrecoverable} stripes are lost (fewer than k blocks anywhere).`)
  if ((node.repair.atRisk ?? 0) > 0) out.push(`${node.repair.atRisk} stripes are at risk (fewer than k blocks reachable now).`)
  if (node.quotaBytes > 0 && node.freeBytes / node.quotaBytes < 0.1) out.push(`Disk nearly full: ${formatBytes(node.freeBytes)} free.`)
  if (audits.kind === 'ready' && audits.value !== undefined) {
    for (const r of audits.value.recent.filter(x => x.outcome !== 'pass')) out.push(`${new Date(r.issued).toLocaleTimeString()} · ${r.kind} audit of ${short(r.peer)}: ${r.outcome}${r.code === undefined ? '' : ` (${r.code})`}`)
  }
  if (audits.kind === 'error') out.push(`The auditor's results could not be read (${audits.error.code}).`)
  return out
}

function ErrorNotice ({ error }: { error: UserError }): ReactElement {
  return <p className='notice' role='alert'><strong>{error.title}.</strong> {error.hint} <code>{error.code}</code></p>
}

/** 18-decimal token units as "1,000.5 P2PV" (two decimals at most; the chain keeps the exact value). */
function formatTokens (units: bigint): string {
  const one = 10n ** 18n
  const cents = ((units % one) * 100n / one).toString().padStart(2, '0').replace(/0+$/, '')
  return `${(units / one).toLocaleString('en-US')}${cents === '' ? '' : `.${cents}`} P2PV`
}

function short (id: string): string {
  return id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id
}

function ago (t: number): string {
  const s = Math.max(0, Math.round((Date.now() - t) / 1000))
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : new Date(t).toLocaleString()
}

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
import { decimalMark, formatDate, formatNumber, locale, t } from '../i18n/index.ts'

const REFRESH_MS = 10_000

type Part<T> = { kind: 'loading' } | { kind: 'ready', value: T } | { kind: 'error', error: UserError }

export function NodePage (): ReactElement {
  const [node, setNode] = useState<Part<NodeSnapshot>>({ kind: 'loading' })
  const [audits, setAudits] = useState<Part<AuditView | undefined>>({ kind: 'loading' })
  const [stake, setStake] = useState<Part<StakeView | undefined>>({ kind: 'loading' })
  const [updated, setUpdated] = useState<number | undefined>()

  useEffect(() => {
    document.title = t('node.docTitle')
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
          <h1>{t('node.title')}</h1>
          {node.kind === 'ready' && <p className='muted mono' title={t('node.peerId')}>{node.value.peerId}</p>}
          {updated !== undefined && <p className='muted small' aria-live='polite'>{t('node.updated', { time: formatDate(updated, { timeStyle: 'medium' }) })}</p>}
        </header>
        {node.kind === 'loading' && <p className='muted' aria-busy='true'>{t('node.reading')}</p>}
        {node.kind === 'error' && <ErrorNotice error={node.error} />}
        {node.kind === 'ready' && <Dashboard node={node.value} audits={audits} stake={stake} />}
      </main>
      <footer className='footer'>{t('node.footer')}</footer>
    </div>
  )
}

function Dashboard ({ node, audits, stake }: { node: NodeSnapshot, audits: Part<AuditView | undefined>, stake: Part<StakeView | undefined> }): ReactElement {
  const used = node.quotaBytes > 0 ? Math.min(1, node.usedBytes / node.quotaBytes) : 0
  const problems = problemsOf(node, audits)
  return (
    <div className='node-grid'>
      <section className='card' aria-labelledby='storage-h'>
        <h2 id='storage-h'>{t('node.storage')}</h2>
        <div className='meter' role='meter' aria-label={t('node.storageUsed')} aria-valuemin={0} aria-valuemax={node.quotaBytes} aria-valuenow={node.usedBytes}>
          <span style={{ width: `${(used * 100).toFixed(1)}%` }} className={used > 0.9 ? 'high' : ''} />
        </div>
        <p className='big'><span data-testid='used'>{formatBytes(node.usedBytes)}</span> <span className='muted'>{t('node.ofFree', { quota: formatBytes(node.quotaBytes), free: formatBytes(node.freeBytes) })}</span></p>
        <dl className='facts'>
          <div><dt>{t('node.blocks')}</dt><dd data-testid='blocks'>{formatNumber(node.blocks)}</dd></div>
          <div><dt>{t('node.placements')}</dt><dd data-testid='placements'>{formatNumber(node.placements)}</dd></div>
          {node.zone !== undefined && <div><dt>{t('node.zone')}</dt><dd>{node.zone}</dd></div>}
        </dl>
      </section>

      <section className='card' aria-labelledby='repair-h'>
        <h2 id='repair-h'>{t('node.repair')}</h2>
        {node.repair.enabled
          ? (
            <dl className='facts'>
              <div><dt>{t('node.passes')}</dt><dd data-testid='repair-passes'>{node.repair.passes}</dd></div>
              <div><dt>{t('node.lastPass')}</dt><dd>{node.repair.lastPassAt === 0 ? t('node.notYet') : ago(node.repair.lastPassAt!)}</dd></div>
              <div><dt>{t('node.blocksRepaired')}</dt><dd>{node.repair.blocksRepaired}</dd></div>
              <div><dt>{t('node.moved')}</dt><dd>{formatBytes(node.repair.bytesMoved ?? 0)}</dd></div>
              <div><dt>{t('node.backlog')}</dt><dd>{node.repair.backlog}</dd></div>
              <div><dt>{t('node.atRisk')}</dt><dd className={(node.repair.unrecoverable ?? 0) > 0 ? 'bad' : ''}>{node.repair.atRisk} / {node.repair.unrecoverable}</dd></div>
            </dl>
            )
          : <p className='muted'>{t('node.repairOff')} (<code>--no-repair</code>).</p>}
      </section>

      <section className='card' aria-labelledby='net-h'>
        <h2 id='net-h'>{t('node.network')}</h2>
        <dl className='facts'>
          <div><dt>{t('node.connected')}</dt><dd data-testid='connected'>{node.connectedPeers}</dd></div>
          <div><dt>{t('node.known')}</dt><dd data-testid='known'>{node.knownNodes.length}</dd></div>
          <div><dt>{t('node.version')}</dt><dd>{node.version}</dd></div>
        </dl>
        <details>
          <summary>{t('node.addresses')}</summary>
          <ul className='mono small plain'>{node.multiaddrs.map(a => <li key={a}>{a}</li>)}</ul>
          <ul className='mono small plain'>{node.knownNodes.map(p => <li key={p.peerId}>{short(p.peerId)} · {p.http}</li>)}</ul>
        </details>
      </section>

      <section className='card' aria-labelledby='chain-h'>
        <h2 id='chain-h'>{t('node.stakeRoles')}</h2>
        <dl className='facts'>
          <div><dt>{t('node.keeper')}</dt><dd data-testid='keeper'>{node.keeper === undefined ? t('node.no') : t('node.keeperYes', { shares: node.keeper.shares, log: node.keeper.logLength })}</dd></div>
          <div><dt>{t('node.auditor')}</dt><dd>{node.auditor ? t('node.yes') : t('node.no')}</dd></div>
        </dl>
        {stake.kind === 'loading' && <p className='muted'>{t('node.chainReading')}</p>}
        {stake.kind === 'error' && <p className='muted'>{t('node.chainError', { code: stake.error.code })}</p>}
        {stake.kind === 'ready' && stake.value === undefined && <p className='muted'>{t('node.notRegistered')}</p>}
        {stake.kind === 'ready' && stake.value !== undefined && (
          <dl className='facts'>
            <div><dt>{t('node.stake')}</dt><dd data-testid='stake'>{formatTokens(stake.value.stake)}</dd></div>
            <div><dt>{t('node.state')}</dt><dd className={stake.value.active ? 'good' : 'bad'}>{stake.value.active ? t('node.active') : t('node.inactive')}</dd></div>
            <div><dt>{t('node.reputation')}</dt><dd>{t('node.percent', { n: Math.round(stake.value.reputation / 100) })}</dd></div>
            <div><dt>{t('node.operator')}</dt><dd className='mono small'>{short(stake.value.operator)}</dd></div>
          </dl>
        )}
      </section>

      {audits.kind === 'ready' && audits.value !== undefined && (
        <section className='card wide' aria-labelledby='audit-h'>
          <h2 id='audit-h'>{t('node.audits')}</h2>
          {audits.value.peers.length === 0 && <p className='muted'>{t('node.noScores')}</p>}
          {audits.value.peers.length > 0 && <table className='scores'>
            <caption className='sr-only'>{t('node.scoresCaption')}</caption>
            <thead><tr><th scope='col'>{t('node.colNode')}</th><th scope='col'>{t('node.colScore')}</th><th scope='col'>{t('node.colPasses')}</th><th scope='col'>{t('node.colFailures')}</th><th scope='col'>{t('node.colEligible')}</th></tr></thead>
            <tbody>
              {audits.value.peers.map(p => (
                <tr key={p.peerId}>
                  <td className='mono'>{short(p.peerId)}{p.peerId === node.peerId ? t('node.thisNode') : ''}</td>
                  <td><span className={`score ${p.score < 0.5 ? 'bad' : 'good'}`}>{formatNumber(p.score, locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 })}</span></td>
                  <td>{p.passes}</td>
                  <td>{p.failures}</td>
                  <td>{p.eligible ? t('node.yes') : t('node.no')}</td>
                </tr>
              ))}
            </tbody>
          </table>}
        </section>
      )}

      <section className='card wide' aria-labelledby='problems-h'>
        <h2 id='problems-h'>{t('node.problems')}</h2>
        {problems.length === 0
          ? <p className='good' data-testid='no-problems'>{t('node.noProblems')}</p>
          : <ul className='problems'>{problems.map((p, i) => <li key={i}>{p}</li>)}</ul>}
      </section>
    </div>
  )
}

function problemsOf (node: NodeSnapshot, audits: Part<AuditView | undefined>): string[] {
  const out: string[] = []
  if ((node.repair.unrecoverable ?? 0) > 0) out.push(t('node.lost', { count: node.repair.unrecoverable ?? 0 }))
  if ((node.repair.atRisk ?? 0) > 0) out.push(t('node.risk', { count: node.repair.atRisk ?? 0 }))
  if (node.quotaBytes > 0 && node.freeBytes / node.quotaBytes < 0.1) out.push(t('node.diskFull', { free: formatBytes(node.freeBytes) }))
  if (audits.kind === 'ready' && audits.value !== undefined) {
    for (const r of audits.value.recent.filter(x => x.outcome !== 'pass')) out.push(`${t('node.auditFailed', { time: formatDate(r.issued, { timeStyle: 'medium' }), kind: r.kind, peer: short(r.peer), outcome: r.outcome })}${r.code === undefined ? '' : ` (${r.code})`}`)
  }
  if (audits.kind === 'error') out.push(t('node.auditsUnread', { code: audits.error.code }))
  return out
}

function ErrorNotice ({ error }: { error: UserError }): ReactElement {
  return <p className='notice' role='alert'><strong>{error.title}.</strong> {error.hint} <code>{error.code}</code></p>
}

/** 18-decimal token units as "1,000.5 P2PV" (two decimals at most; the chain keeps the exact value). */
function formatTokens (units: bigint): string {
  const one = 10n ** 18n
  const cents = ((units % one) * 100n / one).toString().padStart(2, '0').replace(/0+$/, '')
  return `${formatNumber(units / one)}${cents === '' ? '' : `${decimalMark()}${cents}`} P2PV`
}

function short (id: string): string {
  return id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id
}

function ago (at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000))
  return s < 90 ? t('node.secondsAgo', { n: s }) : s < 5400 ? t('node.minutesAgo', { n: Math.round(s / 60) }) : formatDate(at)
}

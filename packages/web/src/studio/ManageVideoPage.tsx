/**
 * One video on chain, as its creator manages it: its listing (title, description, tags, price),
 * named viewers (grant, revoke), sales and what they paid, and the keepers' logs of key releases,
 * verified on this machine (`keys audit`).
 */
import { useEffect, useState, type ReactElement } from 'react'
import { call, formatWei, send, shortAddress, studioErrorOf, type AudienceJson, type AuditJson, type EditJson, type MineJson, type StudioError } from './api.ts'
import { ConditionEditor, conditionBody, draftOf, type ConditionDraft } from './ConditionEditor.tsx'
import { ErrorNote } from './ErrorNote.tsx'

const POLICY: Record<string, string> = { public: 'Public', paid: 'Paid', subscribers: 'Subscribers only', private: 'Private (named viewers only)' }

/** Seconds as the studio takes them back: "7d", "48h", "90m". */
export function windowText (seconds: string): string {
  const s = BigInt(seconds)
  for (const [unit, n] of [['d', 86_400n], ['h', 3600n], ['m', 60n]] as const) if (s >= n && s % n === 0n) return `${s / n}${unit}`
  return `${s}s`
}

function when (seconds: string): string {
  // FOREVER on chain is 2^64 − 1.
  if (BigInt(seconds) >= 2n ** 63n) return 'for good'
  return `until ${new Date(Number(seconds) * 1000).toLocaleDateString(undefined, { dateStyle: 'medium' })}`
}

type Mine = MineJson['videos'][number]

/** How often the page asks for a listing not indexed yet (2 s apart). */
const MINE_TRIES = 20

/** Wei as the decimal a person types back ("0.01"), for the price field. */
function typedAmount (p: NonNullable<Mine['price']>): string {
  return formatWei(p.amount, p.asset).replace(' ETH', '').replace(' P2PV', 'p2pv')
}

export function ManageVideoPage ({ id, onBack }: { id: string, onBack: () => void }): ReactElement {
  const [title, setTitle] = useState<string | undefined>()
  const [mine, setMine] = useState<Mine | undefined>()
  const [form, setForm] = useState({ title: '', description: '', tags: '', price: '' })
  const [audience, setAudience] = useState<AudienceJson | undefined>()
  const [error, setError] = useState<StudioError | undefined>()
  const [viewer, setViewer] = useState('')
  const [busy, setBusy] = useState<string | undefined>()
  const [notice, setNotice] = useState<string | undefined>()
  const [audit, setAudit] = useState<AuditJson | undefined>()
  const [auditError, setAuditError] = useState<StudioError | undefined>()
  const [condition, setCondition] = useState<ConditionDraft>({ any: false, clauses: [] })
  const [refundWindow, setRefundWindow] = useState('')

  const load = async (): Promise<void> => {
    try {
      const a = await call<AudienceJson>(`/api/chain/videos/${id}`)
      setAudience(a)
      setCondition(draftOf(a.condition))
      setRefundWindow(a.refundWindow === '0' ? '' : windowText(a.refundWindow))
    } catch (e) {
      setError(studioErrorOf(e))
    }
  }
  useEffect(() => {
    void load()
    // The title comes from the nodes' index, which follows the chain every few seconds: a video
    // registered a moment ago is asked for again until its listing is indexed.
    let stop = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const loadListing = (tries: number): void => {
      call<MineJson>('/api/mine').then(m => {
        if (stop) return
        const v = m.videos.find(v => v.id.toLowerCase() === id.toLowerCase())
        setMine(v)
        setTitle(v?.title)
        if (v?.title !== undefined) setForm({ title: v.title, description: v.description ?? '', tags: (v.tags ?? []).join(', '), price: v.price === undefined ? '' : typedAmount(v.price) })
        else if (tries > 1) timer = setTimeout(() => { loadListing(tries - 1) }, 2000)
      }, () => {})
    }
    loadListing(MINE_TRIES)
    return () => { stop = true; clearTimeout(timer) }
  }, [id])

  const act = async (label: string, run: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(label)
    setError(undefined)
    setNotice(undefined)
    try {
      await run()
      await load()
      setNotice(done)
    } catch (e) {
      setError(studioErrorOf(e))
    } finally {
      setBusy(undefined)
    }
  }

  const grant = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    const who = viewer.trim()
    void act('grant', async () => await send(`/api/chain/videos/${id}/grants`, 'POST', { viewer: who }), `${who} may watch now.`).then(() => { setViewer('') })
  }

  const save = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    const tags = form.tags.split(',').map(t => t.trim()).filter(t => t !== '')
    const priced = mine?.policy === 'paid' && form.price.trim() !== '' && (mine.price === undefined || form.price.trim() !== typedAmount(mine.price))
    void act('edit', async () => {
      const r = await send<EditJson>(`/api/chain/videos/${id}/listing`, 'POST', { title: form.title, description: form.description, tags, ...(priced ? { price: form.price.trim() } : {}) })
      if (r.title !== undefined) setTitle(r.title)
    }, 'Saved: the new listing is signed and stored, and the registry points at it. Nodes show it within a few seconds.')
  }

  const saveCondition = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    const body = conditionBody(condition)
    if (body === undefined) return
    void act('condition', async () => await send(`/api/chain/videos/${id}/condition`, 'POST', body), 'Condition set: the keepers release the key to whoever meets it.')
  }

  const clearCondition = (): void => {
    void act('condition-clear', async () => await send(`/api/chain/videos/${id}/condition`, 'DELETE'), 'Condition cleared: price, subscriptions and grants decide alone.')
  }

  const saveRefundWindow = (e: { preventDefault: () => void }): void => {
    e.preventDefault()
    const w = refundWindow.trim() === '' ? '0' : refundWindow.trim()
    void act('refund', async () => await send(`/api/chain/videos/${id}/refund-window`, 'POST', { window: w }), w === '0' ? 'Refunds are off for later sales.' : `Buyers may refund within ${w} of buying; each sale is paid to you when its window closes.`)
  }

  const verify = async (): Promise<void> => {
    setBusy('audit')
    setAuditError(undefined)
    try {
      setAudit(await call<AuditJson>(`/api/chain/videos/${id}/audit`))
    } catch (e) {
      setAuditError(studioErrorOf(e))
    } finally {
      setBusy(undefined)
    }
  }

  const earned = audience === undefined ? [] : (['eth', 'p2pv'] as const).filter(a => BigInt(audience.revenue[a]) > 0n).map(a => formatWei(audience.revenue[a], a))
  return (
    <main className='studio-main manage'>
      <p><a href='/' onClick={e => { e.preventDefault(); onBack() }}>← My videos</a></p>
      <h1>{title ?? 'Video'}</h1>
      <p className='muted'><code title={id}>{id.slice(0, 18)}…</code>{audience !== undefined && <> · {POLICY[audience.policy] ?? audience.policy}</>}</p>
      {notice !== undefined && <p className='studio-notice' role='status'>{notice}</p>}
      {error !== undefined && <ErrorNote error={error} />}

      {mine !== undefined && mine.title !== undefined && (
        <section className='studio-card' aria-labelledby='listing-h'>
          <h2 id='listing-h'>Listing</h2>
          <p className='muted'>What everyone sees before watching. Saving signs a new listing with your wallet; the video itself is not re-uploaded.</p>
          <form className='studio-fields' onSubmit={save}>
            <label>Title<input value={form.title} onInput={e => { setForm({ ...form, title: e.currentTarget.value }) }} maxLength={200} required disabled={busy !== undefined} /></label>
            <label>Description<textarea value={form.description} onInput={e => { setForm({ ...form, description: e.currentTarget.value }) }} maxLength={5000} rows={3} disabled={busy !== undefined} /></label>
            <label><span>Tags <span className='muted'>(comma-separated)</span></span><input value={form.tags} onInput={e => { setForm({ ...form, tags: e.currentTarget.value }) }} maxLength={800} disabled={busy !== undefined} /></label>
            {mine.policy === 'paid' && <label>Price<input value={form.price} onInput={e => { setForm({ ...form, price: e.currentTarget.value }) }} placeholder='0.01 (ETH) or 25p2pv' maxLength={40} disabled={busy !== undefined} /></label>}
            <button type='submit' className='primary publish-button' disabled={busy !== undefined || form.title.trim() === ''}>{busy === 'edit' ? 'Saving…' : 'Save listing'}</button>
          </form>
        </section>
      )}

      {audience !== undefined && (
        <section className='studio-card' aria-labelledby='condition-h'>
          <h2 id='condition-h'>Access condition</h2>
          <p className='muted' data-condition={audience.condition === null ? 'none' : audience.condition.require.join(audience.condition.any ? ' OR ' : ' AND ')}>
            {audience.condition === null ? 'None: price, subscriptions and named viewers decide who watches.' : `Also open to a viewer who meets ${audience.condition.require.length === 1 ? 'this' : audience.condition.any ? 'any of these' : 'all of these'}, checked on chain when the keepers release the key.`}
          </p>
          <form onSubmit={saveCondition}>
            <ConditionEditor value={condition} onChange={setCondition} disabled={busy !== undefined} idPrefix='manage' />
            <div className='studio-actions start'>
              <button type='submit' className='primary' disabled={busy !== undefined || condition.clauses.length === 0}>{busy === 'condition' ? 'Setting…' : 'Set condition'}</button>
              {audience.condition !== null && <button type='button' onClick={clearCondition} disabled={busy !== undefined}>{busy === 'condition-clear' ? 'Clearing…' : 'Clear condition'}</button>}
            </div>
          </form>
        </section>
      )}

      {audience?.policy === 'paid' && (
        <section className='studio-card' aria-labelledby='refund-h'>
          <h2 id='refund-h'>Refund window</h2>
          <p className='muted' data-refund-window={audience.refundWindow}>
            {audience.refundWindow === '0' ? 'No refunds: each sale is paid to you at once.' : `Buyers may refund within ${windowText(audience.refundWindow)} of buying; each sale is held until then.`}
          </p>
          <form className='grant-form' onSubmit={saveRefundWindow}>
            <label className='sr-only' htmlFor='refund-window'>Refund window</label>
            <input id='refund-window' value={refundWindow} onInput={e => { setRefundWindow(e.currentTarget.value) }} placeholder='7d (empty or 0: no refunds; at most 30d)' maxLength={20} disabled={busy !== undefined} />
            <button type='submit' className='primary' disabled={busy !== undefined}>{busy === 'refund' ? 'Saving…' : 'Save window'}</button>
          </form>
        </section>
      )}

      <section className='studio-card' aria-labelledby='viewers-h'>
        <h2 id='viewers-h'>Named viewers</h2>
        <p className='muted'>People you let watch without paying. The keepers release the key to them as long as the grant stands; a revoke stops new keys at once (a viewer who bought keeps access).</p>
        <form className='grant-form' onSubmit={grant}>
          <label className='sr-only' htmlFor='grant-viewer'>Viewer address or wallet name</label>
          <input id='grant-viewer' value={viewer} onInput={e => { setViewer(e.currentTarget.value) }} placeholder='0x… address, or a wallet name' maxLength={64} disabled={busy !== undefined} />
          <button type='submit' className='primary' disabled={busy !== undefined || viewer.trim() === ''}>{busy === 'grant' ? 'Granting…' : 'Grant access'}</button>
        </form>
        {audience !== undefined && audience.granted.length === 0 && <p className='muted'>No named viewers yet.</p>}
        <ul className='studio-list' aria-label='Named viewers'>
          {audience?.granted.map(g => (
            <li key={g.viewer} className='studio-row viewer-row' data-viewer={g.viewer}>
              <div>
                <div className='studio-row-title'>{g.name ?? shortAddress(g.viewer)}</div>
                <code className='muted'>{g.viewer}</code>
              </div>
              <span className='chip done'>Granted</span>
              <button disabled={busy !== undefined} onClick={() => { void act(`revoke ${g.viewer}`, async () => await send(`/api/chain/videos/${id}/grants/${g.viewer}`, 'DELETE'), `${g.name ?? shortAddress(g.viewer)} may no longer watch.`) }}>
                {busy === `revoke ${g.viewer}` ? 'Revoking…' : 'Revoke'}
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section className='studio-card' aria-labelledby='sales-h'>
        <h2 id='sales-h'>Sales</h2>
        {audience !== undefined && (
          <p className='sales-summary' data-sales={audience.salesCount}>
            {audience.salesCount === 0 ? 'No sales yet.' : <><strong>{audience.salesCount} {audience.salesCount === 1 ? 'sale' : 'sales'}</strong> · buyers paid {earned.join(' and ')} · your share is in <a href='/earnings'>Earnings</a></>}
          </p>
        )}
        {audience !== undefined && audience.sales.length > 0 && (
          <table className='studio-table'>
            <thead><tr><th scope='col'>Viewer</th><th scope='col'>Paid</th><th scope='col'>Access</th></tr></thead>
            <tbody>
              {audience.sales.map(s => <tr key={s.tx + s.viewer}><td>{s.name ?? <code title={s.viewer}>{shortAddress(s.viewer)}</code>}</td><td>{formatWei(s.amount, s.asset)}</td><td>{when(s.until)}</td></tr>)}
            </tbody>
          </table>
        )}
      </section>

      <section className='studio-card' aria-labelledby='audit-h'>
        <h2 id='audit-h'>Key releases</h2>
        <p className='muted'>Each keeper logs every key it releases or refuses for this video. The studio checks each log's hash chain against the keeper's signed head and its anchor on chain, here on your machine.</p>
        <button onClick={() => { void verify() }} disabled={busy !== undefined}>{busy === 'audit' ? 'Verifying…' : audit === undefined ? 'Verify the keepers\' logs' : 'Verify again'}</button>
        {auditError !== undefined && <ErrorNote error={auditError} />}
        {audit?.keepers.map(k => (
          <div key={k.keeper} className={`keeper-log ${k.ok ? 'ok' : 'bad'}`} data-keeper={k.keeper} data-ok={k.ok}>
            <div className='keeper-head'>
              <strong>Keeper <code title={k.keeper}>{shortAddress(k.keeper)}</code></strong>
              {k.ok
                ? <span className='chip done'>✓ {k.audit!.length} entries verified{k.audit!.anchor === undefined ? '' : ', anchored on chain'}</span>
                : <span className='chip failed'>{k.error?.message} [{k.error?.code}]</span>}
            </div>
            {k.ok && k.audit!.entries.length > 0 && (
              <table className='studio-table'>
                <thead><tr><th scope='col'>When</th><th scope='col'>Request</th><th scope='col'>Who</th><th scope='col'>Decision</th></tr></thead>
                <tbody>
                  {k.audit!.entries.map(e => (
                    <tr key={e.seq} data-decision={e.body?.decision}>
                      <td>{new Date(e.time).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</td>
                      <td>{e.body?.kind}{(e.body?.epoch ?? 0) > 0 ? ` (epoch ${e.body!.epoch})` : ''}</td>
                      <td><code title={e.body?.subject}>{shortAddress(e.body?.subject ?? '')}</code></td>
                      <td>{e.body?.decision}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ))}
      </section>
    </main>
  )
}

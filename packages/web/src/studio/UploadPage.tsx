/**
 * Upload: drop or choose a file, describe it, publish; then the file goes to the local studio
 * (bytes sent), is transcoded and sealed there (server-sent progress), and the watch link shows.
 */
import { useRef, useState, type ReactElement } from 'react'
import { call, followUpload, sendFile, StudioCallError, type Session, type StudioError, type UploadOutcome } from './api.ts'
import { ConditionEditor, conditionBody, type ConditionDraft } from './ConditionEditor.tsx'
import { ErrorNote } from './ErrorNote.tsx'

type Access = 'public' | 'paid' | 'subscribers' | 'private' | 'unlisted'
const ACCESS: Array<[Access, string, string]> = [
  ['public', 'Public', 'listed and free to watch'],
  ['paid', 'Paid', 'listed; viewers buy it'],
  ['subscribers', 'Subscribers only', 'listed; your subscribers watch it'],
  ['private', 'Private', 'only the people you grant'],
  ['unlisted', 'Unlisted', 'not listed; anyone with the link watches it']
]
const RATINGS = ['All ages', '7+', '13+', '16+', '18+']

interface Stage { name: string, percent?: number | undefined, detail?: string | undefined, done: boolean }

function toError (e: unknown): StudioError {
  if (e instanceof StudioCallError) return { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }
  return { code: 'ERR_UNEXPECTED', message: e instanceof Error ? e.message : String(e) }
}

function mb (bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`
}

export function UploadPage ({ session, onDone }: { session: Session | undefined, onDone: () => void }): ReactElement {
  const [file, setFile] = useState<File | undefined>()
  const [title, setTitle] = useState('')
  const [description, setDescription] = useState('')
  const [tags, setTags] = useState('')
  const [access, setAccess] = useState<Access>('public')
  const [price, setPrice] = useState('')
  const [duration, setDuration] = useState('')
  const [rating, setRating] = useState(0)
  const [refundWindow, setRefundWindow] = useState('')
  const [condition, setCondition] = useState<ConditionDraft>({ any: false, clauses: [] })
  const [keeperMode, setKeeperMode] = useState<'default' | 'custom' | 'none'>('default')
  const [keeperCount, setKeeperCount] = useState(3)
  const [keeperThreshold, setKeeperThreshold] = useState(2)
  const [dragging, setDragging] = useState(false)
  const [stages, setStages] = useState<Stage[]>([])
  const [notes, setNotes] = useState<string[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<StudioError | undefined>()
  const [result, setResult] = useState<UploadOutcome | undefined>()
  const input = useRef<HTMLInputElement>(null)

  const pick = (f: File | undefined): void => {
    if (f === undefined) return
    setFile(f)
    setError(undefined)
    if (title === '') setTitle(f.name.replace(/\.[a-z0-9]{1,5}$/i, '').replace(/[_-]+/g, ' ').slice(0, 200))
  }
  const stage = (name: string, patch: Partial<Stage>): void => {
    setStages(list => {
      const i = list.findIndex(s => s.name === name)
      const next = { ...(i >= 0 ? list[i]! : { name, done: false }), ...patch }
      return i >= 0 ? list.map((s, j) => j === i ? next : { ...s, done: s.done || j < i }) : [...list.map(s => ({ ...s, done: true })), next]
    })
  }

  const publish = async (e: { preventDefault: () => void }, force = false): Promise<void> => {
    e.preventDefault()
    if (file === undefined || busy) return
    if (session !== undefined && file.size > session.maxUploadBytes) {
      setError({ code: 'ERR_BODY_TOO_LARGE', message: `${file.name} is ${mb(file.size)}; this studio takes files up to ${mb(session.maxUploadBytes)}`, hint: 'Start the studio with a larger --max-upload-mb, or trim the video.' })
      return
    }
    setBusy(true)
    setError(undefined)
    setStages([])
    setNotes([])
    try {
      stage('Sending to the studio', { percent: 0 })
      const sent = await sendFile(file, (done, total) => { stage('Sending to the studio', { percent: total > 0 ? Math.round(done / total * 1000) / 10 : undefined, detail: `${mb(done)} of ${mb(total)}` }) })
      stage('Sending to the studio', { percent: 100, done: true })
      const { job } = await call<{ job: string }>('/api/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          file: sent.file,
          title: title.trim(),
          ...(description.trim() === '' ? {} : { description: description.trim() }),
          tags: tags.split(',').map(t => t.trim()).filter(t => t !== ''),
          access,
          ...(access === 'paid' ? { price: price.trim() } : {}),
          ...(access === 'paid' && duration.trim() !== '' ? { duration: duration.trim() } : {}),
          ...(access === 'paid' && refundWindow.trim() !== '' ? { refundWindow: refundWindow.trim() } : {}),
          ...(conditionBody(condition) === undefined ? {} : { condition: conditionBody(condition) }),
          ...(keeperMode === 'none' ? { keepers: 'none' } : keeperMode === 'custom' ? { keepers: { count: keeperCount, threshold: Math.min(keeperThreshold, keeperCount) } } : {}),
          rating,
          force
        })
      })
      let finished = false
      await followUpload(job, ev => {
        if (ev.type === 'progress') stage(ev.stage, { percent: ev.percent, detail: ev.detail, done: ev.percent === 100 })
        else if (ev.type === 'note') setNotes(n => [...n, ev.text].slice(-6))
        else if (ev.type === 'done') { finished = true; setStages(l => l.map(s => ({ ...s, done: true }))); setResult(ev.result) } else { finished = true; setError(ev.error) }
      })
      if (!finished) setError({ code: 'ERR_NODE_UNREACHABLE', message: 'the studio stopped reporting this upload', hint: 'Look at My videos: it shows whether it finished.' })
    } catch (err) {
      setError(toError(err))
    } finally {
      setBusy(false)
    }
  }

  if (result !== undefined) {
    const link = result.videoWatchUrl ?? result.watchUrl
    return (
      <main className='studio-main'>
        <section className='studio-done' aria-live='polite'>
          <div className='studio-done-icon' aria-hidden='true'>✓</div>
          <h1>“{result.title}” is published</h1>
          <p className='muted'>{result.videoWatchUrl !== undefined ? 'This link carries no key: viewers get it from the keepers, as the chain allows. Safe to post.' : 'This link carries the key after #: share it only with people who may watch.'}</p>
          <div className='studio-link'>
            <input readOnly value={link} aria-label='Watch link' onFocus={e => { e.currentTarget.select() }} />
            <button onClick={() => { void navigator.clipboard?.writeText(link) }}>Copy</button>
            <a className='button primary' href={link} target='_blank' rel='noopener noreferrer' id='watch-link'>Watch it</a>
          </div>
          {result.videoLink !== undefined && <p className='muted'>Video link: <code>{result.videoLink}</code></p>}
          <div className='studio-actions'>
            <button onClick={() => { setResult(undefined); setFile(undefined); setTitle(''); setDescription(''); setTags(''); setStages([]); setNotes([]); setRefundWindow(''); setCondition({ any: false, clauses: [] }) }}>Upload another</button>
            <button onClick={() => { onDone() }}>My videos</button>
          </div>
        </section>
      </main>
    )
  }

  return (
    <main className='studio-main'>
      <h1>Upload a video</h1>
      <form className='studio-form' onSubmit={e => { void publish(e) }}>
        <div
          className={`dropzone${dragging ? ' over' : ''}${file !== undefined ? ' has-file' : ''}`}
          onDragOver={e => { e.preventDefault(); setDragging(true) }}
          onDragLeave={() => { setDragging(false) }}
          onDrop={e => { e.preventDefault(); setDragging(false); pick(e.dataTransfer?.files[0]) }}
        >
          <input ref={input} id='studio-file' type='file' accept='video/*,audio/*' className='sr-only' onChange={e => { pick(e.currentTarget.files?.[0]) }} disabled={busy} />
          {file === undefined
            ? (
              <>
                <div className='drop-icon' aria-hidden='true'>⇪</div>
                <p><strong>Drop a video here</strong></p>
                <p className='muted'>or</p>
                <label htmlFor='studio-file' className='button'>Choose a file</label>
              </>
              )
            : (
              <>
                <p className='drop-file'><strong>{file.name}</strong></p>
                <p className='muted'>{mb(file.size)}{session === undefined ? '' : ` · up to ${mb(session.maxUploadBytes)}`}</p>
                {!busy && <label htmlFor='studio-file' className='button'>Choose another</label>}
              </>
              )}
        </div>
        <div className='studio-fields'>
          <label>Title<input value={title} onInput={e => { setTitle(e.currentTarget.value) }} maxLength={200} required disabled={busy} /></label>
          <label>Description<textarea value={description} onInput={e => { setDescription(e.currentTarget.value) }} maxLength={5000} rows={4} disabled={busy} /></label>
          <label><span>Tags <span className='muted'>(comma-separated)</span></span><input value={tags} onInput={e => { setTags(e.currentTarget.value) }} maxLength={800} placeholder='travel, boats' disabled={busy} /></label>
          <div className='studio-row2'>
            <label>Who can watch
              <select value={access} onChange={e => { setAccess(e.currentTarget.value as Access) }} disabled={busy || session?.chain === false}>
                {ACCESS.map(([v, name, note]) => <option key={v} value={v}>{name} — {note}</option>)}
              </select>
            </label>
            <label>Content rating
              <select value={rating} onChange={e => { setRating(Number(e.currentTarget.value)) }} disabled={busy}>
                {RATINGS.map((r, i) => <option key={r} value={i}>{r}</option>)}
              </select>
            </label>
          </div>
          {access === 'paid' && (
            <div className='studio-row2'>
              <label>Price<input value={price} onInput={e => { setPrice(e.currentTarget.value) }} placeholder='0.01 (ETH) or 25p2pv' required maxLength={40} disabled={busy} /></label>
              <label><span>Rental period <span className='muted'>(empty: forever)</span></span><input value={duration} onInput={e => { setDuration(e.currentTarget.value) }} placeholder='48h' maxLength={20} disabled={busy} /></label>
            </div>
          )}
          {access === 'paid' && (
            <label><span>Refund window <span className='muted'>(empty: no refunds; at most 30d)</span></span><input value={refundWindow} onInput={e => { setRefundWindow(e.currentTarget.value) }} placeholder='7d' maxLength={20} disabled={busy} /></label>
          )}
          {session?.chain !== false && (
            <fieldset className='studio-fieldset'>
              <legend>Access condition <span className='muted'>(optional)</span></legend>
              <p className='muted'>Also open the video to holders of a token or NFT, or within a time window, checked on chain.</p>
              <ConditionEditor value={condition} onChange={setCondition} disabled={busy} idPrefix='upload' />
            </fieldset>
          )}
          {session?.chain !== false && (
            <fieldset className='studio-fieldset keeper-choice'>
              <legend>Key keepers</legend>
              <p className='muted'>Keepers hold shares of the video's key and give it to viewers the chain allows, so you need not be online. Fewer than the threshold together learn nothing.</p>
              <label className='radio'><input type='radio' name='keepers' value='default' checked={keeperMode === 'default'} onChange={() => { setKeeperMode('default') }} disabled={busy} /> Up to 3 of the network's keepers, any 2 release the key</label>
              <label className='radio'><input type='radio' name='keepers' value='custom' checked={keeperMode === 'custom'} onChange={() => { setKeeperMode('custom') }} disabled={busy} /> Choose how many</label>
              {keeperMode === 'custom' && (
                <div className='studio-row2'>
                  <label>Keepers<input type='number' min={2} max={32} value={keeperCount} onInput={e => { const n = Math.max(2, Math.min(32, Math.trunc(Number(e.currentTarget.value)) || 2)); setKeeperCount(n); setKeeperThreshold(t => Math.min(t, n)) }} disabled={busy} /></label>
                  <label>Needed to release<input type='number' min={2} max={keeperCount} value={keeperThreshold} onInput={e => { setKeeperThreshold(Math.max(2, Math.min(keeperCount, Math.trunc(Number(e.currentTarget.value)) || 2))) }} disabled={busy} /></label>
                </div>
              )}
              <label className='radio'><input type='radio' name='keepers' value='none' checked={keeperMode === 'none'} onChange={() => { setKeeperMode('none') }} disabled={busy} /> No keepers: I give viewers access myself (grants with envelopes, or the capability)</label>
            </fieldset>
          )}
          <button type='submit' className='primary publish-button' disabled={file === undefined || busy || title.trim() === ''}>{busy ? 'Publishing…' : 'Publish'}</button>
        </div>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      {error?.code === 'ERR_ALREADY_UPLOADED' && !busy && (
        <div className='studio-actions'>
          <button onClick={e => { void publish(e, true) }}>Upload it again as a new video</button>
        </div>
      )}
      {stages.length > 0 && (
        <section className='studio-progress' aria-label='Progress' aria-live='polite'>
          {stages.map(s => (
            <div key={s.name} className={`stage${s.done ? ' done' : ''}`} data-stage={s.name}>
              <div className='stage-head'><span>{s.done ? '✓ ' : ''}{s.name}</span><span className='muted'>{s.detail ?? ''}{s.percent === undefined ? '' : ` · ${Math.round(s.percent)}%`}</span></div>
              <div className={`bar${s.percent === undefined && !s.done ? ' indeterminate' : ''}`} role='progressbar' aria-label={s.name} aria-valuemin={0} aria-valuemax={100} aria-valuenow={s.done ? 100 : s.percent}><span style={{ width: `${s.done ? 100 : s.percent ?? 30}%` }} /></div>
            </div>
          ))}
          {notes.length > 0 && <ul className='studio-notes'>{notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
        </section>
      )}
    </main>
  )
}

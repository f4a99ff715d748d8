/**
 * The creator's channel: the profile viewers see on a node's `/channel/<address>` page (name,
 * bio, links, avatar), edited here and signed with the creator's wallet by `p2pdv channel set`
 * in the studio process. The avatar goes to the studio first (checked there: JPEG or PNG, at
 * most 256 KiB); the preview shows the page as it will look.
 */
import { useEffect, useRef, useState, type ReactElement } from 'react'
import { call, imageUrl, send, sendFile, studioErrorOf, type ChannelJson, type ChannelSetJson, type StudioError } from './api.ts'
import { ErrorNote } from './ErrorNote.tsx'

/** @p2pdv/core's profile limits (the studio checks them again, with core's own constants). */
const MAX_NAME = 64
const MAX_BIO = 2000
const MAX_LINKS = 8
const MAX_AVATAR_BYTES = 256 * 1024

type Step = 'avatar' | 'sign'
const STEP_NAMES: Record<Step, string> = { avatar: 'Sending the image to the studio', sign: 'Signing the profile, storing it on nodes, pointing the registry at it' }

export function ChannelPage (): ReactElement {
  const [channel, setChannel] = useState<ChannelJson | undefined>()
  const [name, setName] = useState('')
  const [bio, setBio] = useState('')
  const [links, setLinks] = useState<string[]>([])
  const [avatar, setAvatar] = useState<File | undefined>()
  const [avatarUrl, setAvatarUrl] = useState<string | undefined>()
  /** The avatar viewers see now (from a node, through the studio), until a new one is picked. */
  const [publishedUrl, setPublishedUrl] = useState<string | undefined>()
  const [dragging, setDragging] = useState(false)
  const [steps, setSteps] = useState<Array<{ step: Step, done: boolean }>>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<StudioError | undefined>()
  const [notice, setNotice] = useState<string | undefined>()
  const input = useRef<HTMLInputElement>(null)

  const fill = (c: ChannelJson): void => {
    setChannel(c)
    setName(c.profile?.name ?? '')
    setBio(c.profile?.bio ?? '')
    setLinks(c.profile?.links ?? [])
  }
  const load = async (): Promise<void> => {
    try {
      fill(await call<ChannelJson>('/api/channel'))
    } catch (e) {
      setError(studioErrorOf(e))
    }
  }
  useEffect(() => { void load() }, [])
  useEffect(() => () => { if (avatarUrl !== undefined) URL.revokeObjectURL(avatarUrl) }, [avatarUrl])
  const publishedCid = channel?.profile?.avatar
  useEffect(() => {
    if (publishedCid === undefined) return
    const ctrl = new AbortController()
    let url: string | undefined
    void imageUrl('/api/channel/avatar', ctrl.signal).then(u => { url = u; if (!ctrl.signal.aborted) setPublishedUrl(u) })
    return () => { ctrl.abort(); if (url !== undefined) URL.revokeObjectURL(url) }
  }, [publishedCid])
  const shownAvatar = avatar !== undefined ? avatarUrl : publishedUrl

  const pick = (f: File | undefined): void => {
    if (f === undefined) return
    setError(undefined)
    if (f.type !== 'image/jpeg' && f.type !== 'image/png') {
      setError({ code: 'ERR_PROFILE_AVATAR', message: `${f.name} is not a JPEG or PNG image`, hint: 'Pick a JPEG or PNG image of at most 256 KiB.' })
      return
    }
    if (f.size > MAX_AVATAR_BYTES) {
      setError({ code: 'ERR_PROFILE_AVATAR', message: `${f.name} is ${Math.ceil(f.size / 1024)} KiB, more than 256 KiB`, hint: 'Use a smaller image (a 256×256 JPEG is plenty).' })
      return
    }
    setAvatar(f)
    setAvatarUrl(URL.createObjectURL(f))
  }

  const save = async (e: { preventDefault: () => void }): Promise<void> => {
    e.preventDefault()
    if (busy) return
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    const plan: Step[] = avatar === undefined ? ['sign'] : ['avatar', 'sign']
    setSteps(plan.map(step => ({ step, done: false })))
    const done = (step: Step): void => { setSteps(list => list.map(s => s.step === step ? { ...s, done: true } : s)) }
    try {
      let avatarId: string | undefined
      if (avatar !== undefined) {
        avatarId = (await sendFile(avatar, () => {}, '/api/channel/avatar')).file
        done('avatar')
      }
      const r = await send<ChannelSetJson>('/api/channel', 'POST', {
        name: name.trim(),
        // An empty bio is sent only to empty one that was set.
        ...(bio.trim() === '' && channel?.profile?.bio === undefined ? {} : { bio }),
        links: links.map(l => l.trim()).filter(l => l !== ''),
        ...(avatarId === undefined ? {} : { avatar: avatarId })
      })
      done('sign')
      setAvatar(undefined)
      setNotice(`Saved: “${r.name}” is signed and stored on ${r.nodes.length} node(s). Nodes show it within a few seconds.`)
      await load()
    } catch (err) {
      // The error says which step failed and why; the steps' bars go.
      setSteps([])
      setError(studioErrorOf(err))
    } finally {
      setBusy(false)
    }
  }

  const shownLinks = links.map(l => l.trim()).filter(l => l !== '')
  const initial = (name.trim()[0] ?? '?').toUpperCase()
  return (
    <main className='studio-main channel'>
      <div className='studio-head'>
        <h1>Your channel</h1>
        {channel !== undefined && <a className='button' href={channel.pageUrl} target='_blank' rel='noopener noreferrer' id='channel-page-link'>View the public page</a>}
      </div>
      {channel !== undefined && <p className='muted'>Viewers see this beside your videos. It is signed by your account <code>{channel.address}</code>; {channel.profile === undefined ? 'you have not set a channel profile yet.' : `${channel.videos.length} listed video${channel.videos.length === 1 ? '' : 's'}.`}</p>}
      {notice !== undefined && <p className='studio-notice' role='status'>{notice}</p>}
      {error !== undefined && <ErrorNote error={error} />}
      <div className='channel-layout'>
        <form className='studio-fields' onSubmit={e => { void save(e) }}>
          <div
            className={`avatar-drop${dragging ? ' over' : ''}`}
            onDragOver={e => { e.preventDefault(); setDragging(true) }}
            onDragLeave={() => { setDragging(false) }}
            onDrop={e => { e.preventDefault(); setDragging(false); pick(e.dataTransfer?.files[0]) }}
          >
            {shownAvatar !== undefined ? <img className='avatar' id='channel-avatar-image' src={shownAvatar} alt={avatar !== undefined ? 'New avatar' : 'Your avatar'} /> : <div className='avatar' aria-hidden='true'>{initial}</div>}
            <div>
              <p><strong>{avatar === undefined ? (channel?.profile?.avatar !== undefined ? 'Your avatar is set' : 'Drop an avatar here') : avatar.name}</strong></p>
              <p className='muted'>JPEG or PNG, up to 256 KiB</p>
              <input ref={input} id='channel-avatar' type='file' accept='image/jpeg,image/png' className='sr-only' onChange={e => { pick(e.currentTarget.files?.[0]) }} disabled={busy} />
              <label htmlFor='channel-avatar' className='button'>{avatar === undefined ? 'Choose an image' : 'Choose another'}</label>
            </div>
          </div>
          <label>Channel name<input value={name} onInput={e => { setName(e.currentTarget.value) }} maxLength={MAX_NAME} required disabled={busy} /></label>
          <label>Bio<textarea value={bio} onInput={e => { setBio(e.currentTarget.value) }} maxLength={MAX_BIO} rows={4} disabled={busy} /><span className='counter'>{bio.length} / {MAX_BIO}</span></label>
          <fieldset className='studio-fieldset'>
            <legend>Links <span className='muted'>(https, up to {MAX_LINKS})</span></legend>
            {links.map((l, i) => (
              <div key={i} className='grant-form'>
                <input value={l} onInput={e => { const v = e.currentTarget.value; setLinks(ls => ls.map((x, j) => j === i ? v : x)) }} aria-label={`Link ${i + 1}`} placeholder='https://…' maxLength={200} disabled={busy} />
                <button type='button' onClick={() => { setLinks(ls => ls.filter((_, j) => j !== i)) }} disabled={busy} aria-label={`Remove link ${i + 1}`}>Remove</button>
              </div>
            ))}
            {links.length < MAX_LINKS && <div><button type='button' onClick={() => { setLinks(ls => [...ls, '']) }} disabled={busy}>+ Add a link</button></div>}
          </fieldset>
          <button type='submit' className='primary publish-button' disabled={busy || name.trim() === ''}>{busy ? 'Saving…' : 'Save channel'}</button>
        </form>
        <aside className='studio-card channel-preview' aria-label='Preview'>
          <p className='preview-label'>Preview</p>
          <div className='preview-head'>
            {shownAvatar !== undefined ? <img className='avatar' src={shownAvatar} alt='' /> : <div className='avatar' aria-hidden='true'>{initial}</div>}
            <div>
              <h2 id='preview-name'>{name.trim() === '' ? 'Your channel' : name.trim()}</h2>
              {channel !== undefined && <code className='muted'>{channel.address.slice(0, 6)}…{channel.address.slice(-4)}</code>}
            </div>
          </div>
          {bio.trim() !== '' && <p className='bio'>{bio}</p>}
          {shownLinks.length > 0 && <ul>{shownLinks.map((l, i) => <li key={i}>{l}</li>)}</ul>}
          {channel !== undefined && <p className='muted'>{channel.videos.length === 0 ? 'No listed videos yet.' : `${channel.videos.length} video${channel.videos.length === 1 ? '' : 's'}`}</p>}
        </aside>
      </div>
      {steps.length > 0 && (
        <section className='studio-progress' aria-label='Progress' aria-live='polite'>
          {steps.map(s => (
            <div key={s.step} className={`stage${s.done ? ' done' : ''}`} data-stage={s.step}>
              <div className='stage-head'><span>{s.done ? '✓ ' : ''}{STEP_NAMES[s.step]}</span></div>
              <div className={`bar${s.done || !busy ? '' : ' indeterminate'}`} role='progressbar' aria-label={STEP_NAMES[s.step]} aria-valuemin={0} aria-valuemax={100} aria-valuenow={s.done ? 100 : undefined}><span style={{ width: s.done ? '100%' : busy ? '30%' : '0%' }} /></div>
            </div>
          ))}
        </section>
      )}
    </main>
  )
}

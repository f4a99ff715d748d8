/** What P2PDEVIDEO is, and a box to paste a capability or watch link into. */
import { useEffect, useState, type FormEvent, type ReactElement } from 'react'
import { fetchPeerDirectory } from '@p2pdv/sdk/player'
import { userError, type UserError } from './errors.ts'
import { LockIcon, PlayIcon } from './icons.tsx'
import { watchPathFor } from './links.ts'
import { TopBar } from './TopBar.tsx'

export function Landing (): ReactElement {
  const [input, setInput] = useState('')
  const [error, setError] = useState<UserError | undefined>()
  const [nodes, setNodes] = useState<number | undefined>()

  useEffect(() => {
    document.title = 'P2PDEVIDEO — encrypted video, served by peers'
    const ctrl = new AbortController()
    fetchPeerDirectory(window.location.origin, ctrl.signal).then(p => { setNodes(p.length) }, () => { setNodes(0) })
    return () => { ctrl.abort() }
  }, [])

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    try {
      // A same-origin navigation: the key stays in the fragment and is never sent.
      window.location.assign(watchPathFor(input))
    } catch (err) {
      setError(userError(err))
    }
  }

  return (
    <div className='page landing'>
      <TopBar nodes={nodes} />
      <main className='hero'>
        <p className='eyebrow'><LockIcon /> End-to-end encrypted · peer to peer</p>
        <h1>Video that only the people you choose can watch.</h1>
        <p className='lede'>
          Videos are encrypted on the creator's computer and stored as unreadable ciphertext on nodes run by
          anyone. Your browser fetches the pieces from those nodes, checks every one, and decrypts them here.
          No node, and no one running this site, ever sees the picture or the key.
        </p>
        <form className='open-form' onSubmit={submit}>
          <label htmlFor='cap' className='sr-only'>Video link</label>
          <input
            id='cap'
            value={input}
            onChange={e => { setInput(e.target.value); setError(undefined) }}
            placeholder='Paste a p2pdv://… link or a watch link'
            autoComplete='off'
            spellCheck={false}
            aria-invalid={error !== undefined}
            aria-describedby={error === undefined ? undefined : 'cap-error'}
          />
          <button type='submit' className='primary' disabled={input.trim() === ''}><PlayIcon size={20} /> Watch</button>
        </form>
        {error !== undefined && (
          <p className='form-error' id='cap-error' role='alert'><strong>{error.title}.</strong> {error.hint} <code>{error.code}</code></p>
        )}
        <p className='fineprint'>The part after <code>#</code> is the key. It stays in your browser: it is never sent to this node or any other.</p>
      </main>

      <section className='how'>
        <article>
          <span className='step'>1</span>
          <h2>Sealed before it leaves</h2>
          <p>The creator's client cuts the video into an adaptive ladder and seals every piece with AES-256-GCM under a key only they hold.</p>
        </article>
        <article>
          <span className='step'>2</span>
          <h2>Stored by strangers</h2>
          <p>Ciphertext blocks are spread over independent nodes, each named by its hash, so any node can prove what it holds without reading it.</p>
        </article>
        <article>
          <span className='step'>3</span>
          <h2>Opened in your browser</h2>
          <p>The player fetches blocks from the healthiest nodes, drops any that fail their hash, decrypts with WebCrypto and plays, at the quality your connection allows.</p>
        </article>
      </section>

      <section className='publish'>
        <h2>Publish a video</h2>
        <p>From a terminal in the project, while the network runs (<code>npm start</code>):</p>
        <pre><code>npx p2pdv upload ./talk.mp4 --title "My talk"</code></pre>
        <p>It prints a watch link for this page. Share it with the people who may watch.</p>
      </section>
      <footer className='footer'>P2PDEVIDEO · open source · your key never leaves this tab</footer>
    </div>
  )
}

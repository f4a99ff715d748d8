/**
 * The chat beside a live player (docs/protocol.md "Live chat"): messages are sealed under a key
 * derived from the stream's epoch key and signed by this page's throw-away chat identity, so nodes
 * relay them without reading. Only messages that verify and open are shown; the creator's newest
 * signed moderation list (hidden messages, muted senders) is applied here too.
 */
import { useEffect, useRef, useState, type FormEvent, type ReactElement } from 'react'
import { chatIdentity, LiveChat, type ChatEntry, type LiveSource } from '@p2pdv/sdk/player'
import { userError, type UserError } from '../errors.ts'
import { t } from '../i18n/index.ts'

/** What a person may type in one message (the wire allows ~2 KB of UTF-8). */
const MAX_MESSAGE_CHARS = 500

declare global {
  interface Window { p2pdvChat?: { self: () => string | undefined, shown: () => number, dropped: () => number } }
}

export function LiveChatPanel ({ source }: { source: LiveSource }): ReactElement {
  const [entries, setEntries] = useState<ChatEntry[]>([])
  const [chat, setChat] = useState<LiveChat | undefined>()
  const [text, setText] = useState('')
  const [sending, setSending] = useState(false)
  const [error, setError] = useState<UserError | undefined>()
  const list = useRef<HTMLOListElement>(null)

  useEffect(() => {
    const stop = new AbortController()
    let c: LiveChat | undefined
    void chatIdentity().then(identity => {
      if (stop.signal.aborted) return
      c = new LiveChat({
        stream: source.stream,
        nodes: () => source.nodes(),
        epochKey: async epoch => await source.keyOfEpoch(epoch),
        currentEpoch: () => source.currentEpoch(),
        identity,
        onChange: e => { setEntries(e) },
        signal: stop.signal
      })
      window.p2pdvChat = { self: () => c?.self, shown: () => c?.stats.shown ?? 0, dropped: () => c?.stats.dropped ?? 0 }
      setChat(c)
      void c.run()
    })
    return () => { stop.abort() }
  }, [source])

  // Newest at the bottom, kept in view by scrolling the list only (never the page under the player).
  useEffect(() => { const l = list.current; if (l !== null) l.scrollTop = l.scrollHeight }, [entries])

  const send = async (ev: FormEvent): Promise<void> => {
    ev.preventDefault()
    const message = text.trim()
    if (chat === undefined || message === '' || sending) return
    setSending(true)
    try {
      await chat.send(message)
      setText('')
      setError(undefined)
    } catch (err) {
      setError(userError(err))
    } finally {
      setSending(false)
    }
  }

  // The creator's signed list names this page's identity: say so instead of letting sends fail.
  const mutedSelf = chat !== undefined && chat.list?.muted.includes(chat.self) === true

  return (
    <section className='live-chat' aria-label={t('chat.label')}>
      <h2>{t('chat.title')} <span className='muted small'>{t('chat.e2e')}</span></h2>
      <ol className='chat-messages' ref={list} aria-live='polite'>
        {entries.length === 0 && <li className='muted small chat-empty'>{t('chat.empty')}</li>}
        {entries.map(e => (
          <li key={e.id} className={`chat-message${e.own ? ' own' : ''}${e.creator ? ' creator' : ''}`} data-chat-id={e.id}>
            <span className='chat-sender' title={e.from}>{e.creator ? t('chat.creator') : e.own ? t('chat.you') : e.short}</span>
            <span className='chat-text'>{e.text}</span>
          </li>
        ))}
      </ol>
      {mutedSelf && <p className='chat-error chat-muted' role='status' data-code='ERR_LIVE_CHAT_MUTED'>{t('chat.muted')} <span className='muted small'>{t('chat.mutedHint')}</span></p>}
      <form className='chat-send' onSubmit={ev => { void send(ev) }}>
        <input aria-label={t('chat.message')} value={text} maxLength={MAX_MESSAGE_CHARS} autoComplete='off' placeholder={mutedSelf ? t('chat.mutedPlaceholder') : t('chat.placeholder')} onChange={ev => { setText(ev.target.value) }} disabled={chat === undefined || mutedSelf} />
        <button type='submit' className='button' disabled={chat === undefined || mutedSelf || sending || text.trim() === ''}>{t('chat.send')}</button>
      </form>
      {error !== undefined && <p className='chat-error' role='alert'><code>{error.code}</code> {error.detail} <span className='muted small'>{error.hint}</span></p>}
    </section>
  )
}

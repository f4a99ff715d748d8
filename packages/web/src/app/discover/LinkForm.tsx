/** A box to paste a capability or watch link into; opens it on this node. */
import { useState, type FormEvent, type ReactElement } from 'react'
import { userError, type UserError } from '../errors.ts'
import { PlayIcon } from '../icons.tsx'
import { watchPathFor } from '../links.ts'
import { t } from '../i18n/index.ts'

export function LinkForm (): ReactElement {
  const [input, setInput] = useState('')
  const [error, setError] = useState<UserError | undefined>()
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
    <>
      <form className='open-form' onSubmit={submit}>
        <label htmlFor='cap' className='sr-only'>{t('link.label')}</label>
        <input
          id='cap'
          value={input}
          onChange={e => { setInput(e.target.value); setError(undefined) }}
          placeholder={t('link.placeholder')}
          autoComplete='off'
          spellCheck={false}
          aria-invalid={error !== undefined}
          aria-describedby={error === undefined ? undefined : 'cap-error'}
        />
        <button type='submit' className='primary' disabled={input.trim() === ''}><PlayIcon size={20} /> {t('link.watch')}</button>
      </form>
      {error !== undefined && (
        <p className='form-error' id='cap-error' role='alert'><strong>{error.title}.</strong> {error.hint} <code>{error.code}</code></p>
      )}
    </>
  )
}

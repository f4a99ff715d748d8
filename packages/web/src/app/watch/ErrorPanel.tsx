import type { ReactElement } from 'react'
import type { UserError } from '../errors.ts'
import { t } from '../i18n/index.ts'

/** A failure as a person reads it: what happened, what to do, and the code to report. */
export function ErrorPanel ({ error }: { error: UserError }): ReactElement {
  return (
    <div className='error-panel' role='alert'>
      <h2>{error.title}</h2>
      <p className='error-hint'>{error.hint}</p>
      <p className='error-detail'><code>{error.code}</code> {error.detail}</p>
      <div className='error-actions'>
        <button type='button' className='primary' onClick={() => { window.location.reload() }}>{t('errorPanel.retry')}</button>
        <a className='button' href='/'>{t('errorPanel.another')}</a>
      </div>
    </div>
  )
}

import type { ReactElement } from 'react'
import type { StudioError } from './api.ts'

/** A failure as the studio shows it: what happened, what to do, the code. */
export function ErrorNote ({ error }: { error: StudioError }): ReactElement {
  return (
    <div className='studio-error' role='alert' data-code={error.code}>
      <strong>{error.message}</strong>
      {error.hint !== undefined && <p>{error.hint}</p>}
      <code>{error.code}</code>
    </div>
  )
}

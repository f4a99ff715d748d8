/** What the catalog knows of one error code: the HTTP status any API answers it with, and what to do. */
export interface ErrorSpec {
  readonly status: number
  readonly hint: string
}

/** An area's codes. Keys are the wire values: never rename one (clients and tests match on them). */
export type ErrorTable = Readonly<Record<`ERR_${string}`, ErrorSpec>>

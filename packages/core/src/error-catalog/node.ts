import type { ErrorTable } from './spec.ts'

/** A node's HTTP API, configuration and start-up. */
export const NODE_ERRORS = {
  ERR_BAD_REQUEST: { status: 400, hint: 'Fix the request as the message says (docs/openapi.yaml describes every route).' },
  ERR_BAD_CONTENT_TYPE: { status: 415, hint: 'Send the Content-Type the route names (docs/openapi.yaml).' },
  ERR_BODY_TOO_LARGE: { status: 413, hint: 'The body is larger than this endpoint takes.' },
  ERR_HEADERS_TOO_LARGE: { status: 431, hint: 'Send fewer or shorter headers.' },
  ERR_REQUEST_TIMEOUT: { status: 408, hint: 'Send the request head within 10 s and the whole request within 60 s.' },
  ERR_NO_ROUTE: { status: 404, hint: 'docs/openapi.yaml lists the routes.' },
  ERR_NOT_ENABLED: { status: 404, hint: 'The node does not run this service; enable it in its config.' },
  ERR_NOT_READY: { status: 503, hint: 'The node is starting; retry in a moment.' },
  ERR_BUSY: { status: 503, hint: 'Retry in a moment, or send the block to another node.' },
  ERR_INTERNAL: { status: 500, hint: 'This is a bug or an environment problem; the node\'s log has the details.' },
  ERR_CONFIG: { status: 400, hint: 'Fix the setting the message names (docs/configuration in the node README).' },
  ERR_BAD_ANNOUNCE: { status: 400, hint: 'Fix the --announce address the message names: TCP multiaddrs (/ip4|ip6|dns4|dns6|dns/HOST/tcp/PORT[/ws|/wss]) and one http(s) URL, comma-separated.' },
  ERR_DATA_DIR: { status: 500, hint: 'The data directory cannot be used; check its path and permissions.' },
  ERR_DATA_VERSION: { status: 500, hint: 'The data directory was written by another version; use a matching node or a new directory.' },
  ERR_PORT_IN_USE: { status: 500, hint: 'Pick another port, or stop what listens there.' },
  ERR_START: { status: 500, hint: 'The node did not start; its log says why.' },
  ERR_NOT_STARTED: { status: 500, hint: 'A part of the node was used before it started: a bug; the node\'s log has the details.' }
} as const satisfies ErrorTable

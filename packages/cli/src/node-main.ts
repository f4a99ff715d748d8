// A storage node that also serves the web app (what `p2pdv devnet` spawns; `p2pdv node start`
// does the same in process). The node package itself knows nothing of the app: it is passed in.
import { enableCompileCache } from 'node:module'

enableCompileCache()
const [{ runDaemon }, { createWebApp }] = await Promise.all([import('@p2pdv/node'), import('@p2pdv/web/app')])
await runDaemon(process.argv.slice(2), { webApp: createWebApp() })

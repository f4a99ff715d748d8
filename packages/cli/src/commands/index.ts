import type { Command } from '../command.ts'
import { access, buy, grant, ls, revoke } from './chain-videos.ts'
import { balance, nodes, plan, subscribe, withdraw } from './chain-wallet.ts'
import { check } from './check.ts'
import { devnet } from './devnet.ts'
import { download } from './download.ts'
import { get } from './get.ts'
import { keysExport, keysImport, keysLs, keysNew } from './keys.ts'
import { keysAudit, keysPublic, keysRefresh, rekey } from './keys-custody.ts'
import { nodeStart } from './node-start.ts'
import { put } from './put.ts'
import { upload } from './upload.ts'
import { watch } from './watch.ts'

export const commands: Command[] = [
  devnet, nodeStart, put, get, check, upload, watch, download,
  ls, buy, grant, revoke, access, subscribe, plan, balance, withdraw, nodes,
  keysNew, keysLs, keysExport, keysImport,
  keysPublic, keysAudit, keysRefresh, rekey
]

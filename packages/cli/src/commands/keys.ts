/**
 * `p2pdv keys`: wallets (an Ethereum account and an X25519 key in one identity file, sealed with
 * scrypt + AES-256-GCM) in `$P2PDV_HOME/keys` or `--keys DIR`. Nothing is ever written or printed
 * in plaintext: `export` writes the sealed file, `import` takes a sealed file or a raw key from a
 * file or stdin and seals it at once.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { text } from 'node:stream/consumers'
import { P2pdvError } from '@p2pdv/core/errors'
import { didPkh, IdentityStore, publicIdentity } from '@p2pdv/chain/identity'
import { requirePositional, stringOpt, type Command } from '../command.ts'
import { KEYS_OPTION, keysDir } from '../home.ts'
import { PASSPHRASE_OPTION, readPassphrase } from '../passphrase.ts'

const MAX_IMPORT_BYTES = 64 * 1024

function describeIdentity (id: { name: string, address: `0x${string}`, x25519PublicKey: Uint8Array }): { name: string, address: string, did: string, x25519PublicKey: string } {
  return { name: id.name, address: id.address, did: didPkh(id.address), x25519PublicKey: Buffer.from(id.x25519PublicKey).toString('base64url') }
}

export const keysNew: Command = {
  name: 'keys new',
  summary: 'create a wallet: an Ethereum account and an X25519 key, sealed with a passphrase',
  usage: 'keys new NAME [--keys DIR] [--passphrase-file FILE] [--json]',
  options: { ...KEYS_OPTION, ...PASSPHRASE_OPTION },
  async run (args, out) {
    const name = requirePositional(args, 0, 'NAME', keysNew)
    const store = new IdentityStore(keysDir(args))
    const passphrase = await readPassphrase(args, { purpose: `the new wallet "${name}"`, confirm: true, newWallet: true })
    const id = await store.create(name, passphrase)
    id.forget()
    const info = { ...describeIdentity(id), keysDir: store.dir }
    out.result(info, () => `created ${name}: ${id.address}\n  ${info.did}\n  sealed in ${store.dir}/${name}.json`)
  }
}

export const keysLs: Command = {
  name: 'keys ls',
  summary: 'list wallets (public parts only; no passphrase needed)',
  usage: 'keys ls [--keys DIR] [--json]',
  options: { ...KEYS_OPTION },
  async run (args, out) {
    const store = new IdentityStore(keysDir(args))
    const list = (await store.list()).map(describeIdentity)
    out.result({ keysDir: store.dir, identities: list }, () => list.length === 0
      ? `no wallets in ${store.dir}; create one with \`p2pdv keys new NAME\``
      : list.map(i => `${i.name.padEnd(12)} ${i.address}`).join('\n'))
  }
}

export const keysExport: Command = {
  name: 'keys export',
  summary: 'write a wallet\'s sealed file (still encrypted) for a backup or another machine',
  usage: 'keys export NAME [-o FILE] [--keys DIR] [--json]',
  options: { ...KEYS_OPTION, output: { type: 'string', short: 'o' } },
  async run (args, out) {
    const name = requirePositional(args, 0, 'NAME', keysExport)
    const store = new IdentityStore(keysDir(args))
    const file = await store.readFile(name)
    const pub = publicIdentity((await store.list()).find(i => i.name === name)!)
    const output = stringOpt(args, 'output')
    if (output === undefined) {
      process.stdout.write(JSON.stringify(file, null, 2) + '\n')
      return
    }
    try {
      await writeFile(output, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new P2pdvError('ERR_FILE_EXISTS', `${output} exists`, { hint: 'Choose another file; export never overwrites.' })
      throw err
    }
    out.result({ name, address: pub.address, path: output }, () => `wrote the sealed wallet ${name} (${pub.address}) to ${output}; it opens only with its passphrase`)
  }
}

export const keysImport: Command = {
  name: 'keys import',
  summary: 'add a wallet from an exported file, or from a raw private key (file or - for stdin), sealing it at once',
  usage: 'keys import NAME FILE|- [--keys DIR] [--passphrase-file FILE] [--json]',
  options: { ...KEYS_OPTION, ...PASSPHRASE_OPTION },
  async run (args, out) {
    const name = requirePositional(args, 0, 'NAME', keysImport)
    const source = requirePositional(args, 1, 'FILE', keysImport)
    const raw = source === '-' ? await text(process.stdin) : await readFile(source, 'utf8').catch(cause => {
      throw new P2pdvError('ERR_FILE_NOT_FOUND', `cannot read ${source}`, { hint: 'Check the path.', cause })
    })
    if (raw.length > MAX_IMPORT_BYTES) throw new P2pdvError('ERR_IMPORT_MALFORMED', `${source} is too large to be a key or a wallet file`)
    const store = new IdentityStore(keysDir(args))
    const trimmed = raw.trim()
    let id
    if (/^(0x)?[0-9a-fA-F]{64}$/.test(trimmed)) {
      const key = (trimmed.startsWith('0x') ? trimmed : `0x${trimmed}`) as `0x${string}`
      id = await store.create(name, await readPassphrase(args, { purpose: `the imported wallet "${name}"`, confirm: true, newWallet: true }), { ethPrivateKey: key })
    } else {
      let file: unknown
      try { file = JSON.parse(trimmed) } catch {
        throw new P2pdvError('ERR_IMPORT_MALFORMED', `${source} is neither a 32-byte hex private key nor an exported wallet file`, { hint: 'Export wallets with `p2pdv keys export NAME -o FILE`.' })
      }
      id = await store.importFile(name, file, await readPassphrase(args, { purpose: `the wallet file ${source}` }))
    }
    id.forget()
    out.result(describeIdentity(id), () => `imported ${name}: ${id.address} (sealed in ${store.dir}/${name}.json)`)
  }
}

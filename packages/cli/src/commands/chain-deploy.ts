/**
 * `p2pdv chain deploy`: deploys the protocol's contracts to any EVM chain with the operator's own
 * wallet and writes the deployment file nodes and clients read (`--chain FILE`). Running it again
 * is safe: it finds the contracts at their CREATE2 addresses, checks their code and only writes the
 * file (a run that failed halfway resumes where it stopped).
 */
import { constants } from 'node:fs'
import { access, rename, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { getAddress, isAddress, parseUnits, type Address } from 'viem'
import { P2pdvError } from '@p2pdv/core/errors'
import { chainConfigToJson } from '@p2pdv/chain'
import { IdentityStore } from '@p2pdv/chain/identity'
import { intOpt, listOpt, stringOpt, type Command, type ParsedArgs } from '../command.ts'
import { KEYS_OPTION, keysDir } from '../home.ts'
import { PASSPHRASE_OPTION, readPassphrase } from '../passphrase.ts'

export const MAX_ALLOCATIONS = 100

function usage (message: string): P2pdvError {
  return new P2pdvError('ERR_USAGE', message, { hint: `usage: p2pdv ${chainDeploy.usage}` })
}

function addressOpt (text: string, option: string): Address {
  if (!isAddress(text, { strict: false })) throw usage(`--${option} takes 0x addresses, got "${text.slice(0, 50)}"`)
  return getAddress(text)
}

/** `--allocate 0xADDR=TOKENS`: genesis P2PV (whole or decimal tokens); the treasury gets the rest. */
function parseAllocations (args: ParsedArgs): Array<{ to: Address, amount: bigint }> {
  const list = listOpt(args, 'allocate')
  if (list.length > MAX_ALLOCATIONS) throw usage(`at most ${MAX_ALLOCATIONS} --allocate`)
  return list.map(text => {
    const m = /^(0x[0-9a-fA-F]{40})=(\d{1,12}(\.\d{1,18})?)$/.exec(text)
    if (m === null) throw usage(`--allocate takes 0xADDRESS=TOKENS (e.g. 0xab…=1000000), got "${text.slice(0, 80)}"`)
    return { to: getAddress(m[1]!), amount: parseUnits(m[2]!, 18) }
  })
}

/** The origin only: an RPC URL's path or query may hold an API key. */
function rpcOrigin (rpc: string): string {
  return new URL(rpc).origin
}

export const chainDeploy: Command = {
  name: 'chain deploy',
  summary: 'deploy the contracts to an EVM chain with your own wallet and write the deployment file nodes and clients use (--chain FILE); safe to run again',
  usage: 'chain deploy --rpc URL --as WALLET [--out FILE] [--chain-id N] [--allocate 0xADDR=TOKENS …] [--auditor 0xADDR …] [--settler 0xADDR …] [--arbiter 0xADDR …] [--keys DIR] [--passphrase-file FILE] [--json]',
  options: {
    rpc: { type: 'string' },
    as: { type: 'string' },
    out: { type: 'string', short: 'o' },
    'chain-id': { type: 'string' },
    allocate: { type: 'string', multiple: true },
    auditor: { type: 'string', multiple: true },
    settler: { type: 'string', multiple: true },
    arbiter: { type: 'string', multiple: true },
    ...KEYS_OPTION,
    ...PASSPHRASE_OPTION
  },
  async run (args, out) {
    const rpc = stringOpt(args, 'rpc')
    if (rpc === undefined || !/^https?:\/\/./.test(rpc) || !URL.canParse(rpc)) throw usage('--rpc must be the chain\'s http(s) JSON-RPC URL')
    const name = stringOpt(args, 'as')
    if (name === undefined) throw usage('which wallet deploys? pass --as NAME (create one with `p2pdv keys new NAME` and fund it)')
    const expectedChainId = stringOpt(args, 'chain-id') === undefined ? undefined : intOpt(args, 'chain-id', 1, 1, Number.MAX_SAFE_INTEGER)
    const allocations = parseAllocations(args)
    const roles = {
      auditors: listOpt(args, 'auditor').map(a => addressOpt(a, 'auditor')),
      settlers: listOpt(args, 'settler').map(a => addressOpt(a, 'settler')),
      arbiters: listOpt(args, 'arbiter').map(a => addressOpt(a, 'arbiter'))
    }
    // Checked before anything is sent: the file is the one thing a deployment leaves behind here.
    const outOption = stringOpt(args, 'out')
    const outDir = outOption === undefined ? process.cwd() : dirname(resolve(outOption))
    await access(outDir, constants.W_OK).catch((cause: unknown) => {
      throw new P2pdvError('ERR_FILE_NOT_FOUND', `cannot write the deployment file in ${outDir}`, { hint: 'Create the directory, or pass --out FILE in a writable one.', cause })
    })
    const store = new IdentityStore(keysDir(args))
    const identity = await store.open(name, await readPassphrase(args, { purpose: `the wallet "${name}"` }))
    identity.forget()

    const { deployProtocol } = await import('@p2pdv/chain/deploy')
    out.note(`deploying with ${name} (${identity.address}) to ${rpcOrigin(rpc)}`)
    const result = await deployProtocol({
      rpc,
      account: identity.account,
      allocations,
      roles,
      ...(expectedChainId === undefined ? {} : { expectedChainId }),
      onChecked: c => { out.note(`chain ${c.chainId}; ${identity.address} can pay for the deployment`) },
      // Role wiring after the contracts; steps a resumed run finds done are not printed.
      onProgress: step => { if (!step.startsWith('deploy ')) out.note(`  ${step}`) },
      onContract: e => {
        out.note(e.status === 'deployed'
          ? `  ${e.name.padEnd(15)} ${e.address}  deployed, code checked (tx ${e.tx ?? ''})`
          : `  ${e.name.padEnd(15)} ${e.address}  already there, code checked`)
      }
    })
    const file = resolve(outOption ?? `deployment-${result.config.chainId}.json`)
    // Written whole or not at all; 0600 because the RPC URL may carry an API key.
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify({ ...chainConfigToJson(result.config), deployer: result.deployer }, null, 2) + '\n', { mode: 0o600 })
    await rename(tmp, file)
    out.result({
      chainId: result.config.chainId,
      deployer: result.deployer,
      contracts: result.config.contracts,
      startBlock: result.config.startBlock,
      deployed: result.deployed.map(e => e.name),
      existing: result.existing.map(e => e.name),
      file
    }, () => [
      result.deployed.length === 0
        ? `all ${result.existing.length} contracts were already deployed on chain ${result.config.chainId}; nothing was sent`
        : `deployed ${result.deployed.length} contract(s) on chain ${result.config.chainId}${result.existing.length === 0 ? '' : ` (${result.existing.length} were already there)`}`,
      `wrote ${file}`,
      `nodes: p2pdv node start … --chain ${file} --wallet NAME; clients: p2pdv ls --chain ${file}`
    ].join('\n'))
  }
}

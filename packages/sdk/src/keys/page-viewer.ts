/**
 * Viewer keys in a web page, for the keeper-backed key source:
 *
 * - with an injected EIP-1193 wallet (window.ethereum), the wallet signs the key request
 *   (`eth_signTypedData_v4`: one prompt per video opened);
 * - without one, on a dev chain only (31337, 1337), a wallet key held by the page (in `localStorage`, so the same
 *   address keeps what it bought across reloads). A devnet convenience only: a key in page
 *   storage is readable by any script the page runs.
 *
 * The X25519 key is fresh for every page: keepers seal shares to the key inside the signed
 * request, so it never needs to be published or kept.
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { createWalletClient, custom, getAddress, type EIP1193Provider } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { isDevChainId } from '@p2pdv/contracts/constants'
import { P2pdvError } from '@p2pdv/core/errors'
import type { Hex, TypedDataSigner } from '@p2pdv/core/keys'
import type { ViewerKeys } from './key-resolver.ts'

export const PAGE_WALLET_STORAGE_KEY = 'p2pdv.devnetWallet'

/** Just enough of `Storage` (localStorage, or a Map in tests). */
export interface KeyValueStorage {
  getItem: (key: string) => string | null
  setItem: (key: string, value: string) => void
}

function ephemeralX25519 (): { x25519PublicKey: Uint8Array, x25519PrivateKey: Uint8Array } {
  const x25519PrivateKey = x25519.utils.randomSecretKey()
  return { x25519PrivateKey, x25519PublicKey: x25519.getPublicKey(x25519PrivateKey) }
}

/**
 * The devnet page wallet: created on first use and kept in `storage`, only on dev chain ids
 * (31337, 1337). On any other chain a key in page storage could come to hold real value, so the
 * page asks for an injected wallet instead (ERR_NO_WALLET) and stores nothing.
 */
export function pageWalletViewer (storage: KeyValueStorage, chainId: number): ViewerKeys & { address: Hex } {
  const account = pageWalletAccount(storage, chainId)
  return { account, address: account.address, ...ephemeralX25519() }
}

/** The devnet page wallet's account (the web app's "dev wallet" pays with it too); see pageWalletViewer. */
export function pageWalletAccount (storage: KeyValueStorage, chainId: number): PrivateKeyAccount {
  if (!isDevChainId(chainId)) {
    throw new P2pdvError('ERR_NO_WALLET', `this video is on chain ${chainId}, where the page keeps no wallet of its own`, {
      hint: 'Install or enable a browser wallet (EIP-1193, e.g. MetaMask) and reload the page.'
    })
  }
  let key = storage.getItem(PAGE_WALLET_STORAGE_KEY)
  if (key === null || !/^0x[0-9a-f]{64}$/.test(key)) {
    key = generatePrivateKey()
    storage.setItem(PAGE_WALLET_STORAGE_KEY, key)
  }
  return privateKeyToAccount(key as Hex)
}

/** Signs with an injected wallet (MetaMask and the like): asks for the account once. */
export async function eip1193Viewer (provider: EIP1193Provider): Promise<ViewerKeys & { address: Hex }> {
  let accounts: readonly Hex[]
  try {
    accounts = await provider.request({ method: 'eth_requestAccounts' }) as readonly Hex[]
  } catch (cause) {
    throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet did not share an account', { hint: 'Allow this page in your wallet, or open it without a wallet on the devnet.', cause })
  }
  const first = accounts[0]
  if (first === undefined) throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet has no account')
  const address = getAddress(first)
  const wallet = createWalletClient({ account: address, transport: custom(provider) })
  const account: TypedDataSigner = {
    address,
    signTypedData: async typedData => {
      try {
        return await wallet.signTypedData({ account: address, ...typedData } as Parameters<typeof wallet.signTypedData>[0])
      } catch (cause) {
        throw new P2pdvError('ERR_WALLET_REFUSED', 'the wallet did not sign the key request', { hint: 'Approve the signature request: it proves to the keepers that you are asking, and costs nothing.', cause })
      }
    }
  }
  return { account, address, ...ephemeralX25519() }
}

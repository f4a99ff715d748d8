/**
 * Where the player gets a video's key: the link's fragment (never sent to any server), or, for a
 * video link without a key, the video's keepers (keeper-key-source.ts, loaded only for such
 * links: it brings the chain client, about two thirds of the app's code).
 */
import { parseCapability, P2pdvError, type CID } from '@p2pdv/core'

export interface KeySource {
  /** Shown to the user while the key is being obtained. */
  readonly label: string
  /** The 32-byte content key of `manifest`, or a P2pdvError with a code and hint. */
  key: (manifest: CID, signal?: AbortSignal) => Promise<Uint8Array>
}

export const KeyErrorCode = { MISSING: 'ERR_KEY_MISSING' } as const

/** The key in `#<key>` of the page address. */
export class FragmentKeySource implements KeySource {
  readonly label = 'Reading the key from the link'
  private readonly fragment: string

  constructor (fragment: string) {
    this.fragment = fragment.replace(/^#/, '')
  }

  async key (manifest: CID): Promise<Uint8Array> {
    if (this.fragment === '') {
      throw new P2pdvError(KeyErrorCode.MISSING, 'this link has no key', {
        hint: 'The part after # is the key to the video. Ask the sender for the complete link.'
      })
    }
    return parseCapability(`p2pdv://${manifest.toString()}#${this.fragment}`).key
  }
}

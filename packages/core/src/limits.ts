/** Size limits shared by every package. Anything larger is refused with a typed error. */

/** Largest plaintext chunk sealed into one block. */
export const MAX_CHUNK_PLAINTEXT = 1024 * 1024
/** AES-256-GCM authentication tag length. */
export const AEAD_TAG_BYTES = 16
/** Largest block any node stores or serves (sealed chunks, sealed manifests, parity, envelopes). */
export const MAX_BLOCK_BYTES = 2 * 1024 * 1024

// The COSE_Sign1 structure of a C2PA claim signature (RFC 9052; C2PA 2.x, "Digital signatures").
// @contentauth/c2pa-wasm hands its signer callback the claim and expects the whole COSE structure
// back ("direct COSE handling": its signer has no way to pass a certificate chain), so it is built
// here: protected header {alg, x5chain}, detached payload, signature over Sig_structure, and a
// "pad" in the unprotected header that makes it exactly as long as the space the manifest reserved.
import { sign as cryptoSign, constants, type KeyObject } from "node:crypto";
import { encode, Tagged } from "cborg";

/** C2PA signing algorithms Lumen can sign with, by the key's type. */
export type C2paAlgorithm = "es256" | "es384" | "es512" | "ps256" | "ed25519";

/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
const COSE_ALG: Record<C2paAlgorithm, number> = {
  es256: -7,
  es384: -35,
  es512: -36,
  ps256: -37,
  ed25519: -8,
};
const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;

// cborg writes plain CBOR (RFC 8949): a Map, integer-keyed or not, is a CBOR map, a Buffer a byte
// string, and lengths take their shortest form, which the padding arithmetic below relies on.

export interface CoseSigningKey {
  algorithm: C2paAlgorithm;
  key: KeyObject;
  /** DER certificates, the signing certificate first. */
  chain: Buffer[];
}

/** Signs `data` as the algorithm requires; ECDSA signatures in COSE are r‖s, not DER. */
function rawSignature({ algorithm, key }: CoseSigningKey, data: Buffer): Buffer {
  switch (algorithm) {
    case "es256":
      return cryptoSign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
    case "es384":
      return cryptoSign("sha384", data, { key, dsaEncoding: "ieee-p1363" });
    case "es512":
      return cryptoSign("sha512", data, { key, dsaEncoding: "ieee-p1363" });
    case "ps256":
      return cryptoSign("sha256", data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    case "ed25519":
      return cryptoSign(null, data, key);
  }
}

function protectedHeader(signer: CoseSigningKey): Uint8Array {
  const x5chain = signer.chain.length === 1 ? signer.chain[0] : signer.chain;
  return encode(
    new Map<number, unknown>([
      [HEADER_ALG, COSE_ALG[signer.algorithm]],
      [HEADER_X5CHAIN, x5chain],
    ])
  );
}

function sign1(protectedBytes: Uint8Array, signature: Buffer, pad: number): Uint8Array {
  return encode(
    new Tagged(COSE_SIGN1_TAG, [
      protectedBytes,
      new Map([["pad", Buffer.alloc(pad)]]),
      null,
      signature,
    ])
  );
}

/**
 * Bytes to reserve for a signature: the structure with no padding, plus 1 kB, which keeps the pad
 * well inside the sizes whose CBOR length prefix is 3 bytes (256–65535), so its length is exact.
 */
export function coseReserveSize(signer: CoseSigningKey): number {
  const signatureBytes = { es256: 64, es384: 96, es512: 132, ps256: 512, ed25519: 64 }[
    signer.algorithm
  ];
  return sign1(protectedHeader(signer), Buffer.alloc(signatureBytes), 0).length + 1024;
}

/** The tagged COSE_Sign1 over `payload` (detached), padded to exactly `size` bytes. */
export function coseSign1(signer: CoseSigningKey, payload: Uint8Array, size: number): Uint8Array {
  const protectedBytes = protectedHeader(signer);
  const toBeSigned = Buffer.from(encode(["Signature1", protectedBytes, Buffer.alloc(0), payload]));
  const signature = rawSignature(signer, toBeSigned);
  // The pad's own length prefix grows with it (1, 2 or 3 bytes), so a guess is corrected once or twice.
  let pad = Math.max(0, size - sign1(protectedBytes, signature, 0).length);
  for (let attempt = 0; attempt < 4; attempt++) {
    const length = sign1(protectedBytes, signature, pad).length;
    if (length === size) return sign1(protectedBytes, signature, pad);
    pad = Math.max(0, pad - (length - size));
  }
  throw new Error(`the COSE signature does not fit the ${size} bytes reserved for it`);
}

// An organisation's C2PA signing chain for tests, made the way its PKI would issue one.
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** A CA and a signing certificate of the C2PA profile, as an organisation's PKI would issue them. */
export async function organisationChain(
  dir: string,
  options: { leafIsCa?: boolean; curve?: "P-256" | "P-384" } = {}
) {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = {
    name: "ECDSA",
    namedCurve: options.curve ?? "P-384",
    hash: options.curve === "P-256" ? "SHA-256" : "SHA-384",
  };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0a01",
    name: "CN=Contoso Media CA, O=Contoso",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "0a02",
    subject: "CN=Contoso Lumen, O=Contoso",
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 20 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(Boolean(options.leafIsCa), undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString(
    "base64"
  );
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "chain.pem");
  writeFileSync(keyPath, `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`);
  writeFileSync(certPath, `${leaf.toString("pem")}\n${ca.toString("pem")}\n`);
  return { keyPath, certPath, caPem: ca.toString("pem") };
}

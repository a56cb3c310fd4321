// npm run validate: the online check (office-addin-manifest against Microsoft's service) runs
// only where the service answers, and never decides a CI run.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:https";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { onlineCheck, serviceReachable } from "../../scripts/validate-manifest";

let server: Server;
let url: string;
let cert: string;

beforeAll(async () => {
  const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  cert = pems.cert;
  // The service answers a HEAD it does not serve with an error status: still an answer.
  server = createServer({ cert: pems.cert, key: pems.private }, (req, res) =>
    res.writeHead(405).end()
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A port on which nothing listens: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("validate-manifest", () => {
  it("counts any HTTP answer over trusted TLS as a reachable service, an error status too", async () => {
    expect(await serviceReachable(url, 2000, cert)).toBe(true);
  });

  it("does not count a server whose certificate is not trusted (office-addin-manifest could not use it)", async () => {
    expect(await serviceReachable(url, 2000)).toBe(false);
  });

  it("finds no service where nothing listens", async () => {
    expect(await serviceReachable(`https://127.0.0.1:${await closedPort()}/`, 2000)).toBe(false);
  });

  it("skips the online check in CI unless asked, and everywhere when switched off", async () => {
    expect(await onlineCheck({ CI: "true" })).toStrictEqual({
      run: false,
      reason: "CI (set LUMEN_VALIDATE_ONLINE=1 to run it)",
    });
    expect(await onlineCheck({ LUMEN_VALIDATE_ONLINE: "0" })).toStrictEqual({
      run: false,
      reason: "LUMEN_VALIDATE_ONLINE=0",
    });
    expect(await onlineCheck({ CI: "true", LUMEN_VALIDATE_ONLINE: "0" })).toMatchObject({
      run: false,
    });
  });
});

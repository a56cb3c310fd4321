/**
 * A loopback stand-in of the Azure AI Content Safety REST API (GA 2024-09-01) for tests: the
 * request and response shapes, status codes and error bodies of Microsoft's REST reference
 * (azure-rest-api-specs …/ContentSafety/stable/2024-09-01/contentsafety.json and the service's
 * documented error codes). Tests decide the severities it answers and inject faults.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { z } from "zod";

export const harm = ["Hate", "SelfHarm", "Sexual", "Violence"] as const;
export type Harm = (typeof harm)[number];
export type Severities = Partial<Record<Harm, number>>;

export interface RecordedRequest {
  path: string;
  apiVersion: string | null;
  headers: IncomingMessage["headers"];
  body: any;
  /** For image:analyze: what the decoded image is. */
  image?: { format: string; width: number; height: number; bytes: number };
  at: number;
}

/**
 * One injected answer for the next request (to `only` that operation, when given): a status with
 * an error body, a delay, or a dropped connection.
 */
export type Fault = (
  | { status: number; code?: string; message?: string; retryAfter?: string }
  | { delayMs: number }
  | { drop: true }
) & { only?: "/text:analyze" | "/image:analyze" };

const analyzeText = z
  .object({
    text: z.string().max(10_000),
    categories: z.array(z.enum(harm)).optional(),
    blocklistNames: z.array(z.string()).optional(),
    haltOnBlocklistHit: z.boolean().optional(),
    outputType: z.enum(["FourSeverityLevels", "EightSeverityLevels"]).optional(),
  })
  .strict();
const analyzeImage = z
  .object({
    image: z
      .object({ content: z.string().optional(), blobUrl: z.string().url().optional() })
      .strict(),
    categories: z.array(z.enum(harm)).optional(),
    outputType: z.enum(["FourSeverityLevels"]).optional(),
  })
  .strict();

export interface StandIn {
  url: string;
  requests: RecordedRequest[];
  /** Severities (0–7) for a text; 0 for categories left out. */
  rateText: (text: string) => Severities;
  /** Severities (0–7, answered in four levels) for an image. */
  rateImage: (image: { width: number; height: number; png: Buffer }) => Severities;
  /** Custom blocklists in the resource: name → items. */
  blocklists: Map<string, { blocklistItemId: string; text: string }[]>;
  /** Answered, one each, before normal service. */
  faults: Fault[];
  close(): Promise<void>;
}

export const DENIED =
  "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";

export async function startContentSafetyStandIn(
  auth: { key?: string; token?: string },
  apiVersion = "2024-09-01"
): Promise<StandIn> {
  const standIn: StandIn = {
    url: "",
    requests: [],
    rateText: () => ({}),
    rateImage: () => ({}),
    blocklists: new Map(),
    faults: [],
    close: async () => {},
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {}
  ) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {}
  ) => send(res, status, { error: { code, message } }, { "x-ms-error-code": code, ...headers });

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://stand-in");
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      path: url.pathname,
      apiVersion: url.searchParams.get("api-version"),
      headers: req.headers,
      body,
      at: Date.now(),
    };
    standIn.requests.push(recorded);

    const operation = url.pathname.replace(/^\/contentsafety/, "");
    const index = standIn.faults.findIndex((f) => !f.only || f.only === operation);
    const fault = index >= 0 ? standIn.faults.splice(index, 1)[0] : undefined;
    if (fault && "drop" in fault) return req.socket.destroy();
    if (fault && "delayMs" in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && "status" in fault) {
      const code =
        fault.code ??
        (fault.status === 429
          ? "TooManyRequests"
          : fault.status >= 500
            ? "InternalError"
            : "InvalidRequestBody");
      return error(
        res,
        fault.status,
        code,
        fault.message ?? code,
        fault.retryAfter ? { "retry-after": fault.retryAfter } : {}
      );
    }

    // Authentication happens before routing, as at the service's gateway.
    const key = req.headers["ocp-apim-subscription-key"];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const authorised =
      (auth.key !== undefined && key === auth.key) ||
      (auth.token !== undefined && bearer === auth.token);
    if (!authorised) return error(res, 401, "401", DENIED);

    if (
      req.method !== "POST" ||
      !["/text:analyze", "/image:analyze"].includes(operation) ||
      recorded.apiVersion !== apiVersion
    ) {
      return error(res, 404, "404", "Resource not found");
    }
    if (!/^application\/json/.test(req.headers["content-type"] ?? "")) {
      return error(res, 415, "UnsupportedMediaType", "Content-Type must be application/json");
    }

    if (operation === "/text:analyze") {
      const parsed = analyzeText.safeParse(body);
      if (!parsed.success)
        return error(
          res,
          400,
          "InvalidRequestBody",
          `The request body is invalid: ${parsed.error.issues[0].message}`
        );
      const options = parsed.data;
      for (const name of options.blocklistNames ?? []) {
        if (!standIn.blocklists.has(name))
          return error(res, 404, "ResourceNotFound", `The blocklist ${name} is not found.`);
      }
      const lower = options.text.toLowerCase();
      const blocklistsMatch = (options.blocklistNames ?? []).flatMap((name) =>
        standIn.blocklists
          .get(name)!
          .filter((item) => lower.includes(item.text.toLowerCase()))
          .map((item) => ({
            blocklistName: name,
            blocklistItemId: item.blocklistItemId,
            blocklistItemText: item.text,
          }))
      );
      if (blocklistsMatch.length && options.haltOnBlocklistHit)
        return send(res, 200, { blocklistsMatch, categoriesAnalysis: [] });
      const eight = options.outputType === "EightSeverityLevels";
      return send(res, 200, {
        blocklistsMatch,
        categoriesAnalysis: analysis(standIn.rateText(options.text), options.categories, eight),
      });
    }

    const parsed = analyzeImage.safeParse(body);
    if (!parsed.success)
      return error(
        res,
        400,
        "InvalidRequestBody",
        `The request body is invalid: ${parsed.error.issues[0].message}`
      );
    const { image } = parsed.data;
    if ((image.content === undefined) === (image.blobUrl === undefined)) {
      return error(
        res,
        400,
        "InvalidRequestBody",
        "Either content or blobUrl must be set, not both."
      );
    }
    if (image.blobUrl)
      return error(res, 400, "InvalidRequestBody", "This stand-in cannot fetch blob URLs.");
    const bytes = Buffer.from(image.content!, "base64");
    let meta;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      return error(res, 400, "InvalidImageFormat", "The image is not a supported format.");
    }
    const { width = 0, height = 0, format = "" } = meta;
    recorded.image = { format, width, height, bytes: bytes.length };
    if (
      bytes.length > 4 * 1024 * 1024 ||
      Math.min(width, height) < 50 ||
      Math.max(width, height) > 2048
    ) {
      return error(
        res,
        400,
        "InvalidImageSize",
        "The image size should be between 50 x 50 and 2048 x 2048 pixels and no larger than 4 MB."
      );
    }
    return send(res, 200, {
      categoriesAnalysis: analysis(
        standIn.rateImage({ width, height, png: bytes }),
        parsed.data.categories,
        false
      ),
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}

/** FourSeverityLevels answers 0, 2, 4 or 6: each severity rounded down to an even level. */
function analysis(severities: Severities, categories: readonly Harm[] = harm, eight: boolean) {
  return categories.map((category) => {
    const severity = Math.min(7, Math.max(0, severities[category] ?? 0));
    return { category, severity: eight ? severity : Math.min(6, severity - (severity % 2)) };
  });
}

// Requires a valid bearer token on the routes it guards and puts the caller's identity on
// res.locals, where rate limits and the audit log read it. Refusals are AuthErrors (401 or 403),
// which the API's error handler answers in its one error shape.
import type { Request, RequestHandler } from "express";
import { AuthError, type Identity, type TokenVerifier } from "./entra";

export function identityOf(req: Request): Identity | undefined {
  return req.res?.locals.identity as Identity | undefined;
}

export function requireAuth(verify: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization");
    const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    res.setHeader("WWW-Authenticate", 'Bearer realm="lumen"');
    if (!match) {
      throw new AuthError(
        401,
        header
          ? "Authorization header must be 'Bearer <token>'"
          : "sign-in required: no bearer token"
      );
    }
    res.locals.identity = await verify(match[1]);
    res.removeHeader("WWW-Authenticate");
    next();
  };
}

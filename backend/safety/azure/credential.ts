/**
 * How Lumen signs in to Azure AI Content Safety: a resource key, or Microsoft Entra ID through
 * @azure/identity — an app registration's client secret where one is configured, otherwise the
 * host's managed identity (user-assigned when a client id is given).
 */
import type { ContentSafetyAuth } from "./content-safety-client";

export interface ContentSafetyCredentials {
  key?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
}

export async function contentSafetyAuth(c: ContentSafetyCredentials): Promise<ContentSafetyAuth> {
  if (c.key) return { key: c.key };
  // Loaded only when Entra ID is used: it brings MSAL with it.
  const identity = await import("@azure/identity");
  if (c.clientSecret) {
    if (!c.tenantId || !c.clientId)
      throw new RangeError("a client secret needs a tenant id and a client id");
    return {
      credential: new identity.ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret),
    };
  }
  return {
    credential: new identity.ManagedIdentityCredential(c.clientId ? { clientId: c.clientId } : {}),
  };
}

// What the task pane assumes when GET /api/policy can't be read (an older or unreachable server):
// the server's own defaults. The server still enforces its real policy on every request.
import { aspects, styles, type Policy } from "../../contract";

export const DEFAULT_POLICY: Policy = {
  safetyLevel: "moderate",
  models: [],
  defaultModel: "",
  maxImagesPerRequest: 4,
  maxSize: 2048,
  aspects,
  styles,
  previews: true,
  rateLimit: { windowSeconds: 60, max: 30 },
  storePrompts: true,
  retentionDays: 30,
  auth: { required: false },
  arena: { enabled: false },
};

// POST /api/feedback — thumbs up/down on an image, stored with the generation it rates.
import { Router, type Request } from "express";
import { NotFoundError, type Owner, type Store } from "../../store";
import { FeedbackRequest } from "../../../contract";
import { ApiError } from "../errors";

/** With sign-in on, only images of the caller's own generations can be rated (others: 404). */
export function feedbackRoutes(
  store: Store,
  clientId: (req: Request) => string,
  ownerOf: (req: Request) => Owner | undefined
): Router {
  const router = Router();
  router.post("/api/feedback", async (req, res) => {
    const input = FeedbackRequest.parse(req.body ?? {});
    try {
      const record = await store.addFeedback({
        ...input,
        clientId: clientId(req),
        owner: ownerOf(req),
      });
      res.status(201).json(record);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ApiError("not_found", `no image with id "${input.imageId}"`, {
          param: "imageId",
        });
      throw e;
    }
  });
  return router;
}

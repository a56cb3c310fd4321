/** An id that names nothing in the store; the API answers it with 404. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly code = "not_found";

  constructor(
    readonly entity: "generation" | "image",
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

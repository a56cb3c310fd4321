/** A model folder or component that cannot be used; the message names the component and the fix. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** A generation request the model cannot serve (bad size, steps, …); the message names the field. */
export class RequestError extends Error {
  override name = "RequestError";
}

/** Thrown between steps when the caller's AbortSignal fires. */
export class CancelledError extends Error {
  override name = "CancelledError";
  constructor() {
    super("generation cancelled");
  }
}

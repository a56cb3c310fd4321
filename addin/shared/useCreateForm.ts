// The form both pages share: options within the organisation's policy, validation shown after the
// first attempt, the starting picture where the model can encode one, and the generation it
// starts (Generate, Retry, More like this, Use as starting point).
import { useCallback, useMemo, useState } from "react";
import { useLumen, useSession } from "./context";
import type { GenerationState, ResultImage } from "./generation";
import {
  choicesFor,
  defaultOptions,
  nearestAspect,
  toRequest,
  validateOptions,
  withinChoices,
  type GenerationOptions,
  type StartPicture,
} from "./options";
import { pictureFromBlob, pictureSize } from "./startPicture";
import { fileNameFor } from "../hosts/browser";
import { useGeneration } from "./useGeneration";
import { usePictureModels } from "./usePictureModels";

export function useCreateForm(
  initial: Partial<GenerationOptions>,
  onFinished?: (state: GenerationState) => void
) {
  const { client } = useLumen();
  const { policy, ready } = useSession();
  const choices = useMemo(() => choicesFor(policy), [policy]);
  const [chosen, setOptions] = useState(() => defaultOptions(initial));
  const withinPolicy = withinChoices(chosen, choices);
  const pictureModels = usePictureModels();
  /** Whether the chosen (or default) model can start from a picture: only then are the controls shown. */
  const fromPicture = pictureModels.has(withinPolicy.model || choices.defaultModel);
  const options = fromPicture ? withinPolicy : { ...withinPolicy, picture: undefined };
  const [pictureError, setPictureError] = useState<string | undefined>();
  const [showErrors, setShowErrors] = useState(false);
  const generation = useGeneration(onFinished);
  const errors = validateOptions(options);
  const visibleErrors = showErrors ? errors : {};

  const update = useCallback(
    (patch: Partial<GenerationOptions>) => setOptions((o) => ({ ...o, ...patch })),
    []
  );

  /** Sets (or with undefined removes) the starting picture; the aspect follows the picture's. */
  const setPicture = useCallback(
    async (picture: StartPicture | undefined) => {
      setPictureError(undefined);
      update({ picture });
      const size = picture && (await pictureSize(picture.dataUrl));
      if (size) update({ aspect: nearestAspect(size.width, size.height, choices) });
    },
    [choices, update]
  );

  /** Submits the form; false when it needs fixing. While sign-in is not done there is nothing to start. */
  const submit = useCallback(() => {
    if (!ready) return true;
    setShowErrors(true);
    if (Object.keys(errors).length > 0) return false;
    void generation.generate(toRequest(options));
    return true;
  }, [errors, generation, options, ready]);

  const retry = useCallback(() => {
    const last = generation.state.request;
    if (last) void generation.generate(last);
  }, [generation]);

  /** Same prompt and options as the image, with new seeds. */
  const moreLikeThis = useCallback(
    (image: ResultImage) => {
      const last = generation.state.request;
      const next = { ...(last ?? toRequest(options)), prompt: image.prompt };
      delete next.seed;
      update({ prompt: image.prompt, seed: "" });
      void generation.generate(next);
    },
    [generation, options, update]
  );

  /** A result becomes the starting picture (the lossless PNG), for the next prompt to change. */
  const startFromResult = useCallback(
    async (image: ResultImage) => {
      try {
        const blob = await client.imageBlob(image.id, { format: "png" });
        await setPicture(await pictureFromBlob(blob, fileNameFor(image.prompt, "image/png")));
      } catch (error) {
        setPictureError(
          `Couldn't use that image as the starting picture: ${(error as Error).message}`
        );
      }
    },
    [client, setPicture]
  );

  return {
    options,
    choices,
    ready,
    previews: policy.previews,
    update,
    errors: visibleErrors,
    submit,
    retry,
    moreLikeThis,
    generation,
    /** The starting picture's controls, present only where the model can encode pictures. */
    picture: fromPicture
      ? {
          value: options.picture,
          strength: options.strength,
          error: pictureError,
          set: setPicture,
          setError: setPictureError,
          startFromResult,
        }
      : undefined,
  };
}

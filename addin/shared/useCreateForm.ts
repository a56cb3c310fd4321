// The form both pages share: options, validation shown after the first attempt, and the
// generation it starts (Generate, Retry, More like this).
import { useCallback, useState } from "react";
import type { GenerationState, ResultImage } from "./generation";
import { defaultOptions, toRequest, validateOptions, type GenerationOptions } from "./options";
import { useGeneration } from "./useGeneration";

export function useCreateForm(initial: Partial<GenerationOptions>, onFinished?: (state: GenerationState) => void) {
  const [options, setOptions] = useState(() => defaultOptions(initial));
  const [showErrors, setShowErrors] = useState(false);
  const generation = useGeneration(onFinished);
  const errors = validateOptions(options);
  const visibleErrors = showErrors ? errors : {};

  const update = useCallback((patch: Partial<GenerationOptions>) => setOptions((o) => ({ ...o, ...patch })), []);

  const submit = useCallback(() => {
    setShowErrors(true);
    if (Object.keys(errors).length > 0) return false;
    void generation.generate(toRequest(options));
    return true;
  }, [errors, generation, options]);

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
    [generation, options, update],
  );

  return { options, update, errors: visibleErrors, submit, retry, moreLikeThis, generation };
}

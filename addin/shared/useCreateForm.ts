// The form both pages share: options within the organisation's policy, validation shown after the
// first attempt, and the generation it starts (Generate, Retry, More like this).
import { useCallback, useMemo, useState } from "react";
import { useSession } from "./context";
import type { GenerationState, ResultImage } from "./generation";
import { choicesFor, defaultOptions, toRequest, validateOptions, withinChoices, type GenerationOptions } from "./options";
import { useGeneration } from "./useGeneration";

export function useCreateForm(initial: Partial<GenerationOptions>, onFinished?: (state: GenerationState) => void) {
  const { policy, ready } = useSession();
  const choices = useMemo(() => choicesFor(policy), [policy]);
  const [chosen, setOptions] = useState(() => defaultOptions(initial));
  const options = withinChoices(chosen, choices);
  const [showErrors, setShowErrors] = useState(false);
  const generation = useGeneration(onFinished);
  const errors = validateOptions(options);
  const visibleErrors = showErrors ? errors : {};

  const update = useCallback((patch: Partial<GenerationOptions>) => setOptions((o) => ({ ...o, ...patch })), []);

  /** False when the form needs fixing; while sign-in is not done there is nothing to start. */
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
    [generation, options, update],
  );

  return { options, choices, ready, previews: policy.previews, update, errors: visibleErrors, submit, retry, moreLikeThis, generation };
}

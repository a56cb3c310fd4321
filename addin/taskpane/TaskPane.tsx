// The task pane in Word and PowerPoint (320–450 px wide): describe, choose, generate, insert.
import { Divider, makeStyles, tokens } from "@fluentui/react-components";
import { useEffect, useRef } from "react";
import { AdvancedOptions } from "../shared/components/AdvancedOptions";
import { AspectPicker } from "../shared/components/AspectPicker";
import { Brand } from "../shared/components/Brand";
import { ExamplePrompts } from "../shared/components/ExamplePrompts";
import { GenerateButton } from "../shared/components/GenerateButton";
import { LiveRegion } from "../shared/components/LiveRegion";
import { ProgressPanel } from "../shared/components/ProgressPanel";
import { PromptField } from "../shared/components/PromptField";
import { PromptNotices } from "../shared/components/PromptNotices";
import { ResultGrid } from "../shared/components/ResultGrid";
import { CountSelect, StyleSelect } from "../shared/components/Selects";
import { SignInBanner } from "../shared/components/SignInBanner";
import { StartPicture } from "../shared/components/StartPicture";
import { StatusBanner } from "../shared/components/StatusBanner";
import { useLumen } from "../shared/context";
import { announcement, isActive } from "../shared/generation";
import { pictureFromBase64 } from "../shared/startPicture";
import { useCreateForm } from "../shared/useCreateForm";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    padding: `${tokens.spacingVerticalL} ${tokens.spacingHorizontalL} ${tokens.spacingVerticalXXXL}`,
    maxWidth: "640px",
    margin: "0 auto",
    boxSizing: "border-box",
  },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  row: { display: "grid", gridTemplateColumns: "3fr 2fr", gap: tokens.spacingHorizontalM },
  generate: { width: "100%" },
  results: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    scrollMarginTop: tokens.spacingVerticalL,
  },
});

const TAGLINES = {
  word: "Images for your document",
  powerpoint: "Images for your slides",
  browser: "Images from a description",
};

export function TaskPane() {
  const styles = useStyles();
  const { host } = useLumen();
  const prompt = useRef<HTMLTextAreaElement>(null);
  const form = useCreateForm({ aspect: host.name === "powerpoint" ? "wide" : "square" });
  const { options, choices, update, errors, generation } = form;
  const { state } = generation;
  const active = isActive(state.phase);
  const resultsRef = useRef<HTMLDivElement>(null);
  // Word's selected inline picture, PowerPoint's selected shape; elsewhere only a file.
  const fromSelection =
    host.capabilities().pictureFromSelection && host.selectedPicture
      ? async () => {
          const base64 = await host.selectedPicture!();
          return base64
            ? pictureFromBase64(
                base64,
                host.name === "word" ? "Picture from the document" : "Picture from the slide"
              )
            : undefined;
        }
      : undefined;
  const progressRef = useRef<HTMLDivElement>(null);

  // The pane is narrow and the form is long: bring progress and then the results into view
  // (focus stays where it is; the live region speaks for screen readers).
  useEffect(() => {
    if (state.phase === "submitting")
      progressRef.current?.scrollIntoView({ behavior: "smooth", block: "nearest" });
    if (state.phase === "done")
      resultsRef.current?.scrollIntoView({ behavior: "smooth", block: "start" });
  }, [state.phase]);

  return (
    <main className={styles.root}>
      <Brand tagline={TAGLINES[host.name]} />
      <SignInBanner />
      <form
        className={styles.form}
        aria-label="Create an image"
        onSubmit={(event) => {
          event.preventDefault();
          if (!form.submit()) prompt.current?.focus();
        }}
      >
        <PromptField
          ref={prompt}
          value={options.prompt}
          onChange={(value) => update({ prompt: value })}
          onSubmit={form.submit}
          error={errors.prompt}
        />
        <ExamplePrompts onPick={(value) => update({ prompt: value })} limit={4} />
        {form.picture && (
          <StartPicture
            value={form.picture.value}
            strength={form.picture.strength}
            error={form.picture.error}
            onChange={(picture) => void form.picture?.set(picture)}
            onStrength={(strength) => update({ strength })}
            onError={form.picture.setError}
            fromSelection={fromSelection}
          />
        )}
        <AspectPicker
          value={options.aspect}
          options={choices.aspects}
          onChange={(aspect) => update({ aspect })}
        />
        <div className={styles.row}>
          <StyleSelect
            value={options.style}
            options={choices.styles}
            onChange={(style) => update({ style })}
          />
          <CountSelect
            value={options.count}
            counts={choices.counts}
            onChange={(count) => update({ count })}
          />
        </div>
        <AdvancedOptions value={options} onChange={update} errors={errors} choices={choices} />
        <GenerateButton
          className={styles.generate}
          active={active}
          ready={form.ready}
          label="Generate"
          activeLabel="Generating…"
        />
      </form>

      <PromptNotices notices={state.notices} />
      <StatusBanner state={state} onRetry={form.retry} />
      {active && (
        <div ref={progressRef}>
          <ProgressPanel state={state} onCancel={generation.cancel} previews={form.previews} />
        </div>
      )}
      {!active && state.images.length > 0 && (
        <div ref={resultsRef} className={styles.results}>
          <Divider />
          <ResultGrid
            images={state.images}
            withheld={state.withheld}
            columns={state.images.length === 1 || state.request?.aspect === "wide" ? 1 : 2}
            onMoreLikeThis={form.moreLikeThis}
            onUseAsStart={form.picture?.startFromResult}
          />
        </div>
      )}
      <LiveRegion message={announcement(state)} />
    </main>
  );
}

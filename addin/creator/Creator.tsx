// The Image Creator page: the task pane's parts in a wide layout, four results at a time, and
// this browser's history below.
import { Link, Subtitle1, makeStyles, tokens } from "@fluentui/react-components";
import { useCallback, useRef, useState } from "react";
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
import { announcement, isActive, type GenerationState } from "../shared/generation";
import { useSession } from "../shared/context";
import { useCreateForm } from "../shared/useCreateForm";
import { addToHistory, clearHistory, loadHistory, type HistoryEntry } from "./history";
import { HistoryGallery } from "./HistoryGallery";

const useStyles = makeStyles({
  page: { minHeight: "100vh", display: "flex", flexDirection: "column" },
  header: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalXXL}`,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  main: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXXL,
    width: "100%",
    maxWidth: "1120px",
    margin: "0 auto",
    padding: `${tokens.spacingVerticalXXL} ${tokens.spacingHorizontalXXL} ${tokens.spacingVerticalXXXL}`,
    boxSizing: "border-box",
  },
  composer: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    padding: tokens.spacingHorizontalXL,
    borderRadius: tokens.borderRadiusXLarge,
    backgroundColor: tokens.colorNeutralBackground1,
    boxShadow: tokens.shadow8,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  promptRow: {
    display: "grid",
    gridTemplateColumns: "1fr auto",
    gap: tokens.spacingHorizontalM,
    alignItems: "end",
  },
  generate: { height: "64px", minWidth: "148px", marginBottom: "22px" },
  options: {
    display: "grid",
    gridTemplateColumns: "minmax(280px, 2fr) minmax(140px, 1fr) minmax(90px, 0.6fr)",
    gap: tokens.spacingHorizontalL,
    alignItems: "start",
  },
  links: { display: "flex", gap: tokens.spacingHorizontalL },
  backdrop: { backgroundColor: tokens.colorNeutralBackground2, flexGrow: 1 },
  resultsTitle: { marginBottom: tokens.spacingVerticalM, display: "block" },
});

export function Creator() {
  const styles = useStyles();
  const prompt = useRef<HTMLTextAreaElement>(null);
  const [history, setHistory] = useState<HistoryEntry[]>(() => loadHistory());
  const [shown, setShown] = useState<HistoryEntry | undefined>();

  const remember = useCallback((state: GenerationState) => {
    if (!state.id || state.images.length === 0) return;
    const entry: HistoryEntry = {
      id: state.id,
      prompt: state.request?.prompt ?? "",
      createdAt: new Date().toISOString(),
      images: state.images,
    };
    setHistory(addToHistory(entry));
    setShown(entry);
  }, []);

  const form = useCreateForm({ count: 4, aspect: "square" }, remember);
  const { options, choices, update, errors, generation } = form;
  const { state } = generation;
  const active = isActive(state.phase);
  const { policy } = useSession();

  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Brand large tagline="Describe a scene; Lumen paints it on your own server." />
        <nav aria-label="Lumen pages" className={styles.links}>
          {policy.arena.enabled && <Link href="arena.html">Arena</Link>}
          <Link href="taskpane.html">Task pane view</Link>
        </nav>
      </header>
      <div className={styles.backdrop}>
        <main className={styles.main}>
          <SignInBanner />
          <form
            className={styles.composer}
            aria-label="Create images"
            onSubmit={(event) => {
              event.preventDefault();
              if (!form.submit()) prompt.current?.focus();
            }}
          >
            <div className={styles.promptRow}>
              <PromptField
                ref={prompt}
                rows={2}
                value={options.prompt}
                onChange={(value) => update({ prompt: value })}
                onSubmit={form.submit}
                error={errors.prompt}
              />
              <GenerateButton
                className={styles.generate}
                active={active}
                ready={form.ready}
                label="Create"
                activeLabel="Creating…"
              />
            </div>
            <ExamplePrompts onPick={(value) => update({ prompt: value })} />
            {form.picture && (
              <StartPicture
                value={form.picture.value}
                strength={form.picture.strength}
                error={form.picture.error}
                onChange={(picture) => void form.picture?.set(picture)}
                onStrength={(strength) => update({ strength })}
                onError={form.picture.setError}
              />
            )}
            <div className={styles.options}>
              <AspectPicker
                value={options.aspect}
                options={choices.aspects}
                onChange={(aspect) => update({ aspect })}
              />
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
          </form>

          <PromptNotices notices={state.notices} />
          <StatusBanner state={state} onRetry={form.retry} />
          {active && (
            <ProgressPanel
              state={state}
              onCancel={generation.cancel}
              columns={4}
              previews={form.previews}
            />
          )}
          {!active && shown && (
            <section aria-labelledby="results-title">
              <Subtitle1 as="h2" id="results-title" className={styles.resultsTitle}>
                {shown.prompt}
              </Subtitle1>
              <ResultGrid
                images={shown.images}
                withheld={shown.id === state.id ? state.withheld : []}
                columns={{ min: "220px" }}
                onMoreLikeThis={form.moreLikeThis}
                onUseAsStart={form.picture?.startFromResult}
                wide
              />
            </section>
          )}
          <HistoryGallery
            entries={history}
            selectedId={shown?.id}
            onSelect={setShown}
            onClear={() => {
              clearHistory();
              setHistory([]);
            }}
          />
        </main>
      </div>
      <LiveRegion message={announcement(state)} />
    </div>
  );
}

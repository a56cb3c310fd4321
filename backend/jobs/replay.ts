// The events a generation's stream carried, rebuilt from the store for clients that come back
// after the event log has forgotten the job (or after a restart), with the ids the live stream
// gave them, so Last-Event-ID keeps working.
import type { GenerationEvent, Notice } from "../../contract";
import { finishedStatuses, type GenerationRecord } from "../store";
import type { SequencedEvent } from "./types";

/**
 * Image and blocked events in index order, then the final event when the generation has finished
 * (a done event with the prompt's notices, which the store does not keep but the caller can recompute).
 */
export function storedEvents(g: GenerationRecord, notices: Notice[] = []): SequencedEvent[] {
  const events: Array<{ seq: number | null; event: GenerationEvent }> = g.images.map((img) => ({
    seq: img.eventSeq,
    event: img.blocked
      ? {
          type: "blocked",
          category: img.category ?? "sexual",
          index: img.index,
          message: "This image was withheld by the content filter.",
        }
      : {
          type: "image",
          id: img.id,
          index: img.index,
          seed: img.seed,
          url: `/api/images/${img.id}.png`,
          width: img.width ?? 0,
          height: img.height ?? 0,
        },
  }));
  if (finishedStatuses.includes(g.status)) {
    events.push({
      seq: g.eventSeq,
      event:
        g.status === "failed"
          ? {
              type: "error",
              code: g.errorCode ?? "internal_error",
              message: g.error ?? "generation failed",
            }
          : { type: "done", status: g.status, ...(notices.length ? { notices } : {}) },
    });
  }
  // Rows written before ids were kept get the next number after the last known one.
  let last = 0;
  return events
    .map(({ seq, event }) => {
      last = seq ?? last + 1;
      return { seq: last, event };
    })
    .sort((a, b) => a.seq - b.seq);
}

// This browser's past creations, kept in localStorage (the images themselves stay on the server).
import type { ResultImage } from "../shared/generation";

export interface HistoryEntry {
  id: string;
  prompt: string;
  createdAt: string;
  images: ResultImage[];
}

const KEY = "lumen.creator.history.v1";
const LIMIT = 48;

export function loadHistory(storage: Storage = localStorage): HistoryEntry[] {
  try {
    const entries = JSON.parse(storage.getItem(KEY) ?? "[]");
    return Array.isArray(entries)
      ? entries.filter((e) => e && typeof e.id === "string" && Array.isArray(e.images))
      : [];
  } catch {
    return [];
  }
}

/** Newest first, at most LIMIT entries; returns the new list. */
export function addToHistory(entry: HistoryEntry, storage: Storage = localStorage): HistoryEntry[] {
  const entries = [entry, ...loadHistory(storage).filter((e) => e.id !== entry.id)].slice(0, LIMIT);
  try {
    storage.setItem(KEY, JSON.stringify(entries));
  } catch {
    // Storage full or disabled (private mode): history is a convenience, not a requirement.
  }
  return entries;
}

export function clearHistory(storage: Storage = localStorage): void {
  storage.removeItem(KEY);
}

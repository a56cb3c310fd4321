// Server-Sent Events: the protocol is three lines per event, so no library is needed.
import type { Response } from "express";
import type { GenerationEvent } from "../../contract";

export function openEventStream(res: Response): void {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  // Tell reverse proxies (nginx) not to buffer the stream.
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.write("retry: 2000\n\n");
}

export function writeEvent(res: Response, event: GenerationEvent, id: number): void {
  const { type, ...data } = event;
  res.write(`id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

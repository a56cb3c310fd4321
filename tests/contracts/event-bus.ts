// The EventBus contract: publish, subscribe (replay, then live), cancel, across two nodes that
// share the bus (for the in-process bus, both are the same object).
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import type { EventBus, SequencedEvent } from "../../backend/jobs/types";
import { waitFor } from "./queue";

export interface EventBusFactory {
  /** Two nodes' views of one fresh bus. */
  create(): Promise<{ a: EventBus; b: EventBus; close(): Promise<void> }>;
}

const image = (index: number) => ({
  type: "image" as const,
  id: `x-${index}`,
  index,
  seed: index,
  url: `/api/images/x-${index}.png`,
  width: 8,
  height: 8,
});

export function eventBusContract(name: string, factory: EventBusFactory): void {
  describe(`event bus contract: ${name}`, () => {
    it("numbers a stream's events from 1 and replays them, keeping only the latest step", async () => {
      const { a, b, close } = await factory.create();
      const id = randomUUID();
      await a.open(id);
      assert.equal(await a.publish(id, { type: "queued", position: 1 }), 1);
      assert.equal(await a.publish(id, { type: "step", step: 1, steps: 2 }), 2);
      assert.equal(await a.publish(id, { type: "step", step: 2, steps: 2 }), 3);
      assert.equal(await a.publish(id, image(0)), 4);
      expect((await b.replay(id))!.map((e) => [e.seq, e.event.type])).toStrictEqual([
        [1, "queued"],
        [3, "step"],
        [4, "image"],
      ]);
      expect((await b.replay(id, 3))!.map((e) => e.seq)).toStrictEqual([4]);
      assert.equal(await b.replay(randomUUID()), undefined);
      assert.equal(await a.publish(randomUUID(), image(0)), 0, "an unknown stream takes no events");
      await close();
    });

    it("replays, then delivers live events to a subscriber on another node, each once and in order, until the end", async () => {
      const { a, b, close } = await factory.create();
      const id = randomUUID();
      await a.open(id);
      for (let i = 0; i < 5; i++) await a.publish(id, image(i));
      const seen: SequencedEvent[] = [];
      // Events published while the subscription is being set up are neither lost nor doubled.
      const publishing = (async () => {
        for (let i = 5; i < 40; i++) await a.publish(id, image(i));
      })();
      const subscription = (await b.subscribe(id, (event, seq) => seen.push({ seq, event }), 2))!;
      await publishing;
      assert.equal(subscription.ended, false);
      await a.publish(id, { type: "done", status: "done" });
      await waitFor(() => seen.at(-1)?.event.type === "done", "the done event");
      expect(seen.map((e) => e.seq)).toStrictEqual(Array.from({ length: 39 }, (_, i) => i + 3));
      assert.equal(await a.publish(id, image(99)), 0, "an ended stream takes no more events");
      const afterEnd = (await b.subscribe(
        id,
        () => assert.fail("nothing after the last event"),
        41
      ))!;
      assert.equal(afterEnd.ended, true);
      const everything: number[] = [];
      assert.equal((await b.subscribe(id, (_e, seq) => everything.push(seq)))!.ended, true);
      assert.equal(everything.length, 41);
      subscription.close();
      await close();
    });

    it("numbers a resumed stream above its seqBase, after the earlier run's events", async () => {
      const { a, b, close } = await factory.create();
      const id = randomUUID();
      await a.open(id, { seqBase: 2_000_000, earlier: [{ seq: 7, event: image(0) }] });
      assert.equal(await a.publish(id, { type: "queued", position: 1 }), 2_000_001);
      expect((await b.replay(id))!.map((e) => e.seq)).toStrictEqual([7, 2_000_001]);
      await close();
    });

    it("gives the running process a publisher that numbers events at once", async () => {
      const { a, b, close } = await factory.create();
      const id = randomUUID();
      await a.open(id);
      await a.publish(id, { type: "queued", position: 1 });
      const publisher = await a.publisher(id);
      assert.equal(publisher.nextSeq(), 2);
      assert.equal(publisher.emit({ type: "started", steps: 1, n: 1 }), 2);
      assert.equal(publisher.emit(image(0)), 3);
      assert.equal(publisher.nextSeq(), 4);
      assert.equal(publisher.emit({ type: "done", status: "done" }), 4);
      await publisher.flushed();
      expect((await b.replay(id))!.map((e) => [e.seq, e.event.type])).toStrictEqual([
        [1, "queued"],
        [2, "started"],
        [3, "image"],
        [4, "done"],
      ]);
      await close();
    });

    it("carries a cancel to the listeners of every node", async () => {
      const { a, b, close } = await factory.create();
      const heard: string[] = [];
      const stop = b.onCancel((id) => heard.push(id));
      const id = randomUUID();
      await a.cancel(id);
      await waitFor(() => heard.includes(id), "the cancel on the other node");
      stop();
      await a.cancel(randomUUID());
      await new Promise((r) => setTimeout(r, 50));
      // a listener that stopped hears nothing more
      expect(heard).toStrictEqual([id]);
      await close();
    });
  });
}

// The engine against the fixture script's PyTorch run of each sampler with diffusers' own
// scheduler code (models/training/diffusers_oracle.py): same weights,
// same initial latents and per-step noise, so the final latents and decoded pixels must agree.
import { strict as assert } from "node:assert";
import { afterAll, describe, expect, it } from "@jest/globals";
import { generate } from "../../backend/engine";
import { decodeLatents } from "../../backend/engine/pipelines/text-to-image";
import { openFixture, referenceCases, relativeError, releaseFixtures } from "../helpers/fixtures";

afterAll(releaseFixtures);

describe("engine matches the reference samplers", () => {
  for (const ref of referenceCases()) {
    it(`${ref.file}: ${ref.model} ${ref.scheduler}, ${ref.steps} steps, guidance ${ref.guidance}, batch ${ref.batch}`, async () => {
      const model = await openFixture(ref.model);
      expect(model.encoders[0].tokenizer.encode(ref.prompt)).toStrictEqual(ref.inputIds[0]);
      if (ref.negativePrompt !== null) {
        expect(model.encoders[0].tokenizer.encode(ref.negativePrompt)).toStrictEqual(
          ref.negativeInputIds![0]
        );
      }
      if (ref.inputIds2)
        expect(model.encoders[1].tokenizer.encode(ref.prompt)).toStrictEqual(ref.inputIds2[0]);

      const noise = [...(ref.stepNoise ?? [])];
      const timesteps: number[] = [];
      const result = await generate(
        model,
        {
          prompt: ref.prompt,
          negativePrompt: ref.negativePrompt ?? undefined,
          steps: ref.steps,
          guidance: ref.guidance,
          scheduler: ref.scheduler,
          width: ref.width,
          height: ref.height,
          n: ref.batch,
          seed: 0,
        },
        {
          initialLatents: Float32Array.from(ref.initLatents),
          stepNoise: (length) => {
            const next = noise.shift();
            assert.ok(next, "the sampler drew more noise than the reference recorded");
            assert.equal(next.length, length);
            return Float32Array.from(next);
          },
          onStep: ({ timestep }) => timesteps.push(timestep),
        }
      );
      expect(timesteps).toStrictEqual(ref.timesteps);
      const latentError = relativeError(result.latents, ref.finalLatents);
      assert.ok(
        latentError <= ref.tolerance,
        `final latents: relative error ${latentError} > ${ref.tolerance}`
      );

      const h = ref.height / 8;
      const w = ref.width / 8;
      const z = Float32Array.from(ref.finalLatents, (v) => v / model.vaeScalingFactor);
      const image = await decodeLatents(model, z, ref.batch, h, w);
      const imageError = relativeError(image, ref.image);
      assert.ok(
        imageError <= ref.tolerance,
        `decoded image: relative error ${imageError} > ${ref.tolerance}`
      );
    });
  }
});

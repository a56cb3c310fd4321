/** diffusers' scheduler_config.json keys that the schedulers read. */
export interface SchedulerConfig {
  _class_name?: string;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: "linear" | "scaled_linear" | "squaredcos_cap_v2";
  trained_betas?: number[] | null;
  prediction_type: "epsilon" | "v_prediction";
  timestep_spacing: "leading" | "trailing" | "linspace";
  steps_offset: number;
  set_alpha_to_one: boolean;
  rescale_betas_zero_snr: boolean;
  original_inference_steps: number;
}

/** Standard-normal noise of the given length; the pipeline's seeded RNG, or recorded noise in tests. */
export type NoiseSource = (length: number) => Float32Array;

/**
 * One sampler. `setTimesteps(n)` fixes the schedule; then for i = 0..n-1 the pipeline calls
 * `scaleModelInput(x, i)`, runs the UNet at `timesteps[i]`, and calls `step(output, i, x, noise)`.
 */
export interface Scheduler {
  readonly name: string;
  readonly timesteps: number[];
  /** Multiplies the initial standard-normal latents. */
  readonly initNoiseSigma: number;
  setTimesteps(steps: number): void;
  /**
   * `x0` noised to the level of step i, where image-to-image starts (diffusers' add_noise with the
   * begin index set): x0 + σ_i·noise for the sigma samplers, √ᾱ·x0 + √(1−ᾱ)·noise for the others.
   */
  addNoise(x0: Float32Array, noise: Float32Array, i: number): Float32Array;
  scaleModelInput(x: Float32Array, i: number): Float32Array;
  step(modelOutput: Float32Array, i: number, x: Float32Array, noise: NoiseSource): Float32Array;
}

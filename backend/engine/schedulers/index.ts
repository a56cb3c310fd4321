import { DdimScheduler } from "./ddim";
import { EulerScheduler } from "./euler";
import { EulerAncestralScheduler } from "./euler-ancestral";
import { LcmScheduler } from "./lcm";
import { defaultSchedulerConfig } from "./noise-schedule";
import type { Scheduler, SchedulerConfig } from "./types";

export type { NoiseSource, Scheduler, SchedulerConfig } from "./types";

export const schedulerNames = ["euler", "euler_a", "ddim", "lcm"] as const;
export type SchedulerName = (typeof schedulerNames)[number];

const byClassName: Record<string, SchedulerName> = {
  EulerDiscreteScheduler: "euler",
  EulerAncestralDiscreteScheduler: "euler_a",
  DDIMScheduler: "ddim",
  LCMScheduler: "lcm",
};

/** The sampler a model's scheduler_config.json names, or Euler for classes we do not implement. */
export function defaultSchedulerName(config: Partial<SchedulerConfig>): SchedulerName {
  return byClassName[config._class_name ?? ""] ?? "euler";
}

export function createScheduler(name: SchedulerName, config: Partial<SchedulerConfig>): Scheduler {
  const full: SchedulerConfig = { ...defaultSchedulerConfig, ...withoutNulls(config) };
  switch (name) {
    case "euler":
      return new EulerScheduler(full);
    case "euler_a":
      return new EulerAncestralScheduler(full);
    case "ddim":
      return new DdimScheduler(full);
    case "lcm":
      return new LcmScheduler(full);
    default:
      throw new RangeError(
        `unknown scheduler "${name}"; choose one of ${schedulerNames.join(", ")}`
      );
  }
}

function withoutNulls<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== null && v !== undefined)
  ) as Partial<T>;
}

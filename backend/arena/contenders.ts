// Who competes in the arena: the named settings the admin declared (config or tenant policy), or,
// when none are declared, every installed model the policy allows, each under its own name.
import type { ArenaContenderSetting } from "../config";
import type { SchedulerName } from "../engine";

export interface Contender {
  name: string;
  model: string;
  steps?: number;
  guidance?: number;
  scheduler?: SchedulerName;
}

export interface ContenderSources {
  declared: readonly ArenaContenderSetting[];
  defaultModel: string;
  installed: readonly string[];
  /** Models the policy allows; empty means all. */
  allowedModels: readonly string[];
}

const allowed = (model: string, s: ContenderSources) =>
  !s.allowedModels.length || s.allowedModels.includes(model);

/** The contenders that can run now: declared ones whose model is installed and allowed, or the models. */
export function resolveContenders(s: ContenderSources): Contender[] {
  if (s.declared.length) {
    return s.declared
      .map((c) => ({ ...c, model: c.model ?? s.defaultModel }))
      .filter((c) => s.installed.includes(c.model) && allowed(c.model, s));
  }
  return s.installed.filter((m) => allowed(m, s)).map((model) => ({ name: model, model }));
}

/** What is wrong with the declared contenders, one line each; checked when the server starts. */
export function contenderProblems(s: ContenderSources): string[] {
  return s.declared.flatMap((c) => {
    const model = c.model ?? s.defaultModel;
    if (!s.installed.includes(model))
      return [`arena contender "${c.name}" runs model "${model}", which is not installed`];
    if (!allowed(model, s))
      return [`arena contender "${c.name}" runs model "${model}", which the policy does not allow`];
    return [];
  });
}

/** The settings a contender changes, as stored with a battle. */
export function settingsOf(c: Contender): Record<string, unknown> {
  const { name: _name, ...settings } = c;
  return settings;
}

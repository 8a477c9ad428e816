// The hops in chain order, as `Step::ALL` in core's `report.rs`. A value, which ts-rs does not generate: the
// check below fails the type check when a hop is added to `Step` but not here.
import type { Step } from "./bindings/Step";

export const STEPS: readonly Step[] = ["entra", "ias", "xsuaa", "api"] as const satisfies readonly Step[];

type Missing = Exclude<Step, (typeof STEPS)[number]>;
const everyStepListed: [Missing] extends [never] ? true : Missing = true;
void everyStepListed;

import { runPlatformProgram } from "./program.ts";

// Pulumi's Node language host calls an ES module's default-exported function and uses its result as the stack
// outputs (pulumi/pulumi sdk/nodejs/cmd/run/run.ts).
export default runPlatformProgram;

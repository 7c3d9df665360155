import { loadPlatformConfig } from "../../stacks/loader.ts";
import type { DeclaredUsage } from "./cost.ts";
import { readStackFile } from "./stack-file.ts";

/** The meeting-hours a stack file declares, read the way the program reads its config. */
export function declaredUsage(stack: string, root: string): DeclaredUsage {
  const file = readStackFile(root, stack);
  const overrides = file.config[`${file.project}:overrides`];
  const config = loadPlatformConfig({
    environment: file.config[`${file.project}:environment`],
    ...(overrides !== undefined ? { overrides: JSON.parse(overrides) as unknown } : {}),
    stack,
  });
  return {
    meetings: config.media.targetMeetings,
    participants: config.media.participantsPerMeeting,
    hoursPerMonth: config.media.meetingHoursPerMonth,
  };
}

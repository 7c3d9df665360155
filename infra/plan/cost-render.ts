import type { PlanCost } from "./cost.ts";

const money = (v: number) =>
  `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const whole = (v: number) => Math.round(v).toLocaleString("en-US");

/** The cost section `npm run plan` prints after the policy report. */
export function renderPlanCost(cost: PlanCost): string {
  const out = [
    "",
    "Monthly cost (DigitalOcean list prices: catalogue/droplet-sizes.json, service-prices.json)",
  ];
  out.push(
    `  ${"resource".padEnd(34)} ${"what".padEnd(34)} ${"at minimum".padStart(14)} ${"at maximum".padStart(14)}`,
  );
  for (const l of cost.lines) {
    out.push(
      `  ${l.resource.padEnd(34)} ${l.detail.padEnd(34)} ${money(l.minUsd).padStart(14)} ${money(l.maxUsd).padStart(14)}`,
    );
  }
  out.push(
    `  ${"fixed total".padEnd(34)} ${"".padEnd(34)} ${money(cost.fixedMinUsd).padStart(14)} ${money(cost.fixedMaxUsd).padStart(14)}`,
  );
  const u = cost.usage;
  out.push(
    `Usage: ${u.meetings} meetings × ${u.participants} participants × ${u.hoursPerMonth} h/month (media.targetMeetings, participantsPerMeeting, meetingHoursPerMonth)`,
  );
  out.push(
    `  outbound: media ${whole(cost.mediaEgressGiB)} GiB + TURN ${whole(cost.turnEgressGiB)} GiB, pooled allowance ${whole(cost.allowanceGiB)} GiB → overage ${whole(cost.overageGiB)} GiB × $0.01 = ${money(cost.overageUsd)}`,
  );
  if (cost.mediaPool) {
    const m = cost.mediaPool;
    out.push(
      `  media nodes above the minimum for the meeting-hours: ${m.maxNodes - m.minNodes} × ${m.size.slug} × ${u.hoursPerMonth} h = ${money(cost.scaledMediaUsd)}`,
    );
  }
  out.push(
    `  expected month (fixed at minimum + added media nodes + overage): ${money(cost.expectedMonthUsd)}; ${whole(cost.participantHours)} participant-hours → $${cost.costPerParticipantHourUsd.toFixed(4)} per participant-hour`,
  );
  return `${out.join("\n")}\n`;
}

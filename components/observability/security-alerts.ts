import { type AlertRule, alertRule, promNumber } from "./alert-rule.ts";
import type { PrometheusRulesSettings } from "./rules.ts";

/**
 * Security signals: bursts of failed logins (credential stuffing), of 401/403 refusals (token probing) and of
 * rate-limit refusals (scraping or a misbehaving client). Thresholds are absolute rates per minute across all
 * replicas, from the stack's config; the metrics come from docs/metrics.md.
 */
export function securityAlerts(settings: PrometheusRulesSettings): AlertRule[] {
  const context = settings;
  const { failedLoginsPerMinute, deniedPerMinute, rateLimitedPerMinute } = settings.security;
  return [
    alertRule(
      context,
      "FailedLoginSpike",
      "warning",
      `sum(rate(gomeet_auth_login_failures_total[5m])) * 60 > ${promNumber(failedLoginsPerMinute)}`,
      "2m",
      {
        summary: `More than ${failedLoginsPerMinute} failed logins per minute`,
        description: `Failed logins have exceeded ${failedLoginsPerMinute} per minute for 2 minutes: possible credential stuffing. Check the auth logs by reason and source address.`,
      },
    ),
    alertRule(
      context,
      "AuthDeniedSpike",
      "warning",
      `sum by (service, status) (rate(gomeet_auth_denied_total[5m])) * 60 > ${promNumber(deniedPerMinute)}`,
      "2m",
      {
        summary: `{{ $labels.service }} refuses more than ${deniedPerMinute} requests per minute with {{ $labels.status }}`,
        description: `The token middleware of {{ $labels.service }} has answered {{ $labels.status }} more than ${deniedPerMinute} times per minute for 2 minutes: token probing, or a client with a broken or expired token.`,
      },
    ),
    alertRule(
      context,
      "RateLimitHitsSpike",
      "info",
      `sum by (service, limiter) (rate(gomeet_rate_limited_total[5m])) * 60 > ${promNumber(rateLimitedPerMinute)}`,
      "5m",
      {
        summary: `{{ $labels.service }} rate-limits more than ${rateLimitedPerMinute} requests per minute ({{ $labels.limiter }})`,
        description: `Limiter {{ $labels.limiter }} of {{ $labels.service }} has refused more than ${rateLimitedPerMinute} requests per minute for 5 minutes.`,
      },
    ),
  ];
}

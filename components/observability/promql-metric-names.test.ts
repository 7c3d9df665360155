import { describe, expect, it } from "vitest";
import { metricNamesInPromQL } from "./promql-metric-names.ts";

describe("metricNamesInPromQL", () => {
  it("finds the histogram series behind a quantile and ignores aggregation labels", () => {
    expect(
      metricNamesInPromQL(
        "histogram_quantile(0.99, sum by (service, le) (rate(gomeet_http_request_duration_seconds_bucket[5m]))) > 0.1",
      ),
    ).toEqual(["gomeet_http_request_duration_seconds_bucket"]);
  });

  it("ignores label names and values inside matchers, even when they look like metric names", () => {
    expect(
      metricNamesInPromQL('sum(rate(gomeet_http_requests_total{status=~"5..", route="up or down"}[5m]))'),
    ).toEqual(["gomeet_http_requests_total"]);
  });

  it("lists both sides of a binary operation once each, skipping on()/group_left() label lists", () => {
    expect(
      metricNamesInPromQL(
        "sum(pg_stat_activity_count) / on() group_left(datname) max(pg_settings_max_connections) > 0.8 or sum(pg_stat_activity_count)",
      ),
    ).toEqual(["pg_stat_activity_count", "pg_settings_max_connections"]);
  });

  it("treats number literals, exponents, durations and offset as non-names", () => {
    expect(
      metricNamesInPromQL("rate(livekit_packet_bytes[5m] offset 1h30m) * 8 > 7e+09 and up == 1"),
    ).toEqual(["livekit_packet_bytes", "up"]);
  });

  it("reads absent() and time() as functions and keeps the selector inside", () => {
    expect(
      metricNamesInPromQL(
        'absent(up{job="livekit"}) or certmanager_certificate_expiration_timestamp_seconds - time()',
      ),
    ).toEqual(["up", "certmanager_certificate_expiration_timestamp_seconds"]);
  });

  it("refuses __name__ selectors, which would hide names from the contract check", () => {
    expect(() => metricNamesInPromQL('{__name__=~"gomeet_.*"}')).toThrow(/__name__/);
  });

  it("reports an unbalanced bracket instead of guessing", () => {
    expect(() => metricNamesInPromQL("sum(rate(x[5m))")).toThrow(/unbalanced/);
  });
});

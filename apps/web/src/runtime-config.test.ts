import { describe, expect, it } from "vitest";
import { parseRuntimeConfig, RuntimeConfigError } from "./runtime-config.ts";

const valid = {
  authUrl: "https://api.gomeet.example",
  meetingsUrl: "https://api.gomeet.example",
  chatUrl: "https://api.gomeet.example",
  livekitUrl: "wss://livekit.gomeet.example",
};

function problemsOf(value: unknown): string[] {
  try {
    parseRuntimeConfig(value);
  } catch (error) {
    if (error instanceof RuntimeConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

describe("runtime config (/config.json)", () => {
  it("accepts the stack's shape and keeps forceRelay only when set", () => {
    expect(parseRuntimeConfig(valid)).toEqual(valid);
    expect(parseRuntimeConfig({ ...valid, forceRelay: true })).toEqual({ ...valid, forceRelay: true });
    expect(parseRuntimeConfig({ ...valid, authUrl: "http://127.0.0.1:8081" }).authUrl).toBe(
      "http://127.0.0.1:8081",
    );
  });

  it("names the field, the rule and the value of every problem", () => {
    expect(
      problemsOf({ ...valid, livekitUrl: "https://livekit.gomeet.example", chatUrl: "api/", extra: 1 }),
    ).toEqual([
      "extra: unknown field, got 1",
      'chatUrl: expected an absolute http: or https: URL without query, fragment or trailing slash, got "api/"',
      'livekitUrl: expected an absolute ws: or wss: URL without query, fragment or trailing slash, got "https://livekit.gomeet.example"',
    ]);
    expect(problemsOf({ ...valid, authUrl: "https://api.gomeet.example/" })[0]).toMatch(
      /^authUrl: .*got "https/,
    );
    expect(problemsOf({ ...valid, meetingsUrl: undefined })).toEqual([
      "meetingsUrl: expected an absolute http: or https: URL without query, fragment or trailing slash, got undefined",
    ]);
    expect(problemsOf({ ...valid, forceRelay: "yes" })).toEqual([
      'forceRelay: expected true or false, got "yes"',
    ]);
    expect(problemsOf([])).toEqual(["(root): expected a JSON object, got []"]);
  });
});

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  findReferenceProblems,
  formatProblems,
  headingSlug,
  markdownAnchors,
  type RepoSnapshot,
  readRepoSnapshot,
  resolveRepoPath,
} from "./references.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Pieces joined at run time, so the planted mistakes below are not mistakes of this file. */
const shared = ["..", "shared", "reference", "livekit.md"].join("/");
const sharedKit = ["..", "..", "shared", "src", "index.ts"].join("/");
const machine = ["", "work", "main", "notes.txt"].join("/");
const scratch = ["", "tmp", "run.log"].join("/");
const section = "\u00a7";

/** A small repository that is correct as given; each test plants one mistake in a copy. */
function cleanRepo(): Map<string, string> {
  return new Map([
    [
      "docs/sources.md",
      "# Sources\n\n## Infrastructure: DigitalOcean\n\n### DOKS pricing\n\nText.\n\n### `lk` load tests\n\n### DOKS pricing\n",
    ],
    [
      "docs/capacity.md",
      "# Capacity\n\nSee [sources](sources.md#doks-pricing) and [the model](#capacity).\n",
    ],
    ["README.md", "# GoMeet\n\n## Stack configuration\n\n[Capacity](docs/capacity.md), [tests](test/)\n"],
    ["docs/user-guide.md", "# Guide\n\n![Sign-in page](images/sign-in.png)\n"],
    ["docs/images/sign-in.png", ""],
    ["apps/shared/src/index.ts", "export const kit = 1;\n"],
    ["apps/auth/src/server.ts", `import { kit } from "${sharedKit}";\n`],
    [
      "components/edge/dns.ts",
      [
        "/** Delegation: README.md#stack-configuration; prices in docs/sources.md#doks-pricing-1. */",
        "import { tmpdir } from 'node:os';",
        `const scratch = "${scratch}"; // a path the code writes, not a citation`,
        "// prometheus-adapter https://github.com/kubernetes-sigs/prometheus-adapter/blob/master/docs/missing.md",
        "export const dir = tmpdir();",
      ].join("\n"),
    ],
    ["test/edge.test.ts", "// Checks components/edge/dns.ts against docs/sources.md#lk-load-tests.\n"],
    [
      "docs/runbook.md",
      "```sh\n# a shell comment: cat docs/nowhere.md, links [x](gone.md) in a fence\n```\n",
    ],
  ]);
}

function plant(path: string, text: string): RepoSnapshot {
  const repo = cleanRepo();
  repo.set(path, `${repo.get(path) ?? ""}\n${text}\n`);
  return repo;
}

describe("reference checker", () => {
  it("finds nothing in a repository whose references all resolve", () => {
    expect(formatProblems(findReferenceProblems(cleanRepo()))).toBe("");
  });

  it("makes GitHub's heading anchors", () => {
    expect(headingSlug("Infrastructure: DigitalOcean")).toBe("infrastructure-digitalocean");
    expect(headingSlug("`lk` load tests")).toBe("lk-load-tests");
    expect(headingSlug("DOKS VPC-native networking")).toBe("doks-vpc-native-networking");
    expect(headingSlug("Delegating the [domain](x.md)")).toBe("delegating-the-domain");
    expect([...markdownAnchors('# A\n## A\n```\n# not a heading\n```\n<a id="kept"></a>\n')]).toEqual([
      "a",
      "a-1",
      "kept",
    ]);
  });

  it("resolves relative paths and refuses ones that leave the repository", () => {
    expect(resolveRepoPath("docs/services", "../capacity.md")).toBe("docs/capacity.md");
    expect(resolveRepoPath("docs", "../../outside.md")).toBeUndefined();
  });

  it("catches a citation of a document outside the repository", () => {
    const fromRoot = findReferenceProblems(
      plant("vitest.config.ts", `// globals (see ${shared} ${section}2.3).`),
    );
    expect(fromRoot).toEqual([
      { file: "vitest.config.ts", line: 2, rule: "missing-citation", text: `${shared} ${section}` },
      { file: "vitest.config.ts", line: 2, rule: "outside-path", text: shared },
    ]);
    // One level down the same text names a folder the repository does not have.
    const nested = findReferenceProblems(
      plant("components/edge/dns.ts", `// LiveKit ports (${shared} ${section}1.2).`),
    );
    expect(nested.map((p) => p.rule)).toEqual(["missing-citation", "missing-repo-path"]);
    expect(nested[0]).toMatchObject({ file: "components/edge/dns.ts", line: 6 });
  });

  it("catches a short `<file>.md §n` citation of a file the repository does not have", () => {
    const problems = findReferenceProblems(
      plant("stacks/rules.ts", `// 21 pools per cluster (digitalocean.md ${section}3.3).`),
    );
    expect(problems).toEqual([
      { file: "stacks/rules.ts", line: 2, rule: "missing-citation", text: `digitalocean.md ${section}` },
    ]);
    expect(findReferenceProblems(plant("stacks/rules.ts", `// (capacity.md ${section}2)`))).toEqual([]);
  });

  it("catches machine paths in comments and docs, not in code", () => {
    const problems = findReferenceProblems(
      plant("docs/capacity.md", `Measured with the notes in ${machine}.`),
    );
    expect(problems.map((p) => p.rule)).toEqual(["outside-path"]);
    expect(findReferenceProblems(plant("scripts/run.sh", `# logs go to ${scratch}`))).toHaveLength(1);
    expect(findReferenceProblems(plant("scripts/run.sh", `echo started > ${scratch}`))).toEqual([]);
  });

  it("catches a dead relative link and a link to a heading that does not exist", () => {
    const dead = findReferenceProblems(plant("docs/capacity.md", "See [operations](operations.md)."));
    expect(dead).toEqual([
      { file: "docs/capacity.md", line: 5, rule: "dead-link", text: "[operations](operations.md)" },
    ]);
    const anchor = findReferenceProblems(plant("README.md", "[costs](docs/sources.md#pg-pricing)"));
    expect(anchor.map((p) => p.rule)).toEqual(["dead-anchor"]);
    const outside = findReferenceProblems(plant("README.md", "[design](../design.md)"));
    expect(outside.map((p) => p.rule)).toEqual(["outside-path"]);
  });

  it("catches a repository path named in a comment that does not exist, or its missing anchor", () => {
    const missing = findReferenceProblems(
      plant("components/edge/dns.ts", "// parent zone (docs/operations.md)."),
    );
    expect(missing).toEqual([
      { file: "components/edge/dns.ts", line: 6, rule: "missing-repo-path", text: "docs/operations.md" },
    ]);
    const anchor = findReferenceProblems(
      plant("components/edge/dns.ts", "// see docs/sources.md#pg-pricing"),
    );
    expect(anchor.map((p) => p.rule)).toEqual(["dead-anchor"]);
  });

  it("checks a heading named in quotes after a Markdown path", () => {
    expect(
      findReferenceProblems(plant("components/edge/dns.ts", '// docs/sources.md "DOKS pricing"')),
    ).toEqual([]);
    const stale = findReferenceProblems(plant("components/edge/dns.ts", '// docs/sources.md "Operations"'));
    expect(stale).toEqual([
      { file: "components/edge/dns.ts", line: 6, rule: "dead-anchor", text: 'docs/sources.md "Operations"' },
    ]);
  });
});

describe("this repository", () => {
  it("has no reference a reader cannot follow", () => {
    const snapshot = new Map(readRepoSnapshot(ROOT));
    expect(snapshot.size).toBeGreaterThan(100);
    // This file's fixtures are planted mistakes; the checker's own module is checked like any other file.
    snapshot.set("test/repo/references.test.ts", "");
    const problems = findReferenceProblems(snapshot);
    expect(formatProblems(problems)).toBe("");
  });
});

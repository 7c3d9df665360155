import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { controlPlaneBinDir } from "../support/control-plane.ts";
import { execFileAsync } from "../support/processes.ts";
import type { HelmReleaseSpec, KubeObject } from "./manifests.ts";

const REPO_ROOT = resolve(import.meta.dirname, "../..");

export interface ChartSource {
  dir: string;
  /** Where the directory came from, for messages: the variable, the directory beside the clone, or the cache. */
  origin: "GOMEET_CHARTS_DIR" | "beside the repository" | "helm pull cache";
}

/**
 * The directory holding the charts as `<chart>-<version>.tgz`: `GOMEET_CHARTS_DIR` when set, else
 * `shared/charts` beside the clone (`<parent>/<clone>` and `<parent>/shared/charts`), else a cache under
 * `.tools/charts` that `ensureChart` fills with `helm pull` from each chart's public repository.
 */
export function chartSource(repoRoot = REPO_ROOT, env = process.env): ChartSource {
  const fromEnv = env.GOMEET_CHARTS_DIR;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`GOMEET_CHARTS_DIR names "${fromEnv}", which does not exist`);
    return { dir: resolve(fromEnv), origin: "GOMEET_CHARTS_DIR" };
  }
  const beside = resolve(repoRoot, "..", "shared", "charts");
  if (existsSync(beside)) return { dir: beside, origin: "beside the repository" };
  return { dir: join(repoRoot, ".tools", "charts"), origin: "helm pull cache" };
}

export function helmBinary(): string {
  return join(controlPlaneBinDir(), "helm");
}

export function chartFile(source: ChartSource, chart: string, version: string): string {
  return join(source.dir, `${chart}-${version}.tgz`);
}

/** The chart archive for a release; pulled from the release's repository only into the cache directory. */
export async function ensureChart(source: ChartSource, release: HelmReleaseSpec): Promise<string> {
  const file = chartFile(source, release.chart, release.version);
  if (existsSync(file)) return file;
  if (source.origin !== "helm pull cache") {
    throw new Error(
      `chart ${release.chart} ${release.version} (release ${release.namespace}/${release.name}) is not in ${source.dir} (from ${source.origin}): expected ${file}`,
    );
  }
  mkdirSync(source.dir, { recursive: true });
  await execFileAsync(helmBinary(), [
    "pull",
    release.chart,
    "--repo",
    release.repo,
    "--version",
    release.version,
    "--destination",
    source.dir,
  ]);
  if (!existsSync(file))
    throw new Error(`helm pull ${release.chart} ${release.version} did not write ${file}`);
  return file;
}

/** `name` and `version` of a chart archive, as helm reads them. */
export async function chartMetadata(file: string): Promise<{ name: string; version: string }> {
  const { stdout } = await execFileAsync(helmBinary(), ["show", "chart", file]);
  const doc = parseAllDocuments(stdout)[0]?.toJS() as { name?: unknown; version?: unknown } | undefined;
  return { name: String(doc?.name), version: String(doc?.version) };
}

export interface RenderedObject {
  object: KubeObject;
  /** Helm hook phases from `helm.sh/hook` (empty for ordinary objects). */
  hooks: string[];
  hookWeight: number;
  /** The template it came from (`# Source:` line), for messages. */
  source: string;
}

/**
 * Renders a release as `helm install` would against this cluster: the stack's values exactly, its release name
 * and namespace, the cluster's version and the API versions the cluster serves right now (helm install reads
 * them from discovery; charts test them, e.g. prometheus-adapter's APIService version), CRDs included, test
 * hooks left out (only `helm test` runs them).
 */
export async function renderRelease(
  file: string,
  release: HelmReleaseSpec,
  kubeVersion: string,
  apiVersions: string[],
): Promise<RenderedObject[]> {
  const work = mkdtempSync(join(tmpdir(), "gomeet-helm-"));
  try {
    const valuesFile = join(work, "values.json");
    // Values can hold secret placeholders; they stay in this private file and are deleted afterwards.
    writeFileSync(valuesFile, JSON.stringify(release.values), { mode: 0o600 });
    const args = [
      "template",
      release.name,
      file,
      "--namespace",
      release.namespace,
      "--values",
      valuesFile,
      "--kube-version",
      kubeVersion,
      "--skip-tests",
      ...(release.skipCrds ? [] : ["--include-crds"]),
      ...apiVersions.flatMap((v) => ["--api-versions", v]),
    ];
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(helmBinary(), args, { maxBuffer: 256 * 1024 * 1024 }));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(
        `helm template ${release.namespace}/${release.name} (${release.chart} ${release.version}): ${stderr.trim()}`,
      );
    }
    return parseRendered(stdout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function parseRendered(text: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const chunk of text.split(/^---\s*$/m)) {
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1] ?? "(unknown template)";
    for (const doc of parseAllDocuments(chunk)) {
      if (doc.errors.length > 0)
        throw new Error(`helm output from ${source} is not YAML: ${doc.errors[0]?.message}`);
      const object = doc.toJS() as KubeObject | null;
      if (object === null || typeof object !== "object" || !object.kind) continue;
      const annotations = object.metadata?.annotations ?? {};
      const hookText = annotations["helm.sh/hook"];
      const hooks = hookText ? hookText.split(",").map((h) => h.trim()) : [];
      out.push({ object, hooks, hookWeight: Number(annotations["helm.sh/hook-weight"] ?? 0), source });
    }
  }
  return out;
}

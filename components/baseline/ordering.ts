import * as pulumi from "@pulumi/pulumi";

export interface PlatformOrdering {
  /** The baseline's namespaces, quotas, LimitRanges, policies and priority classes. */
  baseline: pulumi.Resource[];
  /** The release that installs each API group's CRDs (e.g. `monitoring.coreos.com` → kube-prometheus-stack). */
  crdInstallers: Readonly<Record<string, pulumi.Resource>>;
}

/**
 * A transformation for a component whose Kubernetes objects do not take their namespace from the baseline's
 * outputs: each Kubernetes child waits for the baseline (its Namespace must exist, and its LimitRange and quota
 * must be in place before pods are admitted), and each custom resource also for the release that installs its
 * CRD. On a new cluster, without this, creates race the namespace ("namespaces … not found") and the CRDs ("no
 * matches for kind"); the policy pack's `namespaced-objects-after-namespace` and `custom-resources-after-crds`
 * rules catch a component that misses it.
 */
export function afterPlatform(ordering: PlatformOrdering): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (!type.startsWith("kubernetes:")) return undefined;
    const group = /^kubernetes:([^/:]+)\//.exec(type)?.[1] ?? "";
    const installer = ordering.crdInstallers[group];
    const extra = [...ordering.baseline, ...(installer ? [installer] : [])];
    // mergeOptions concatenates dependsOn (a single resource or a list on either side).
    return { props, opts: pulumi.mergeOptions(opts, { dependsOn: extra }) };
  };
}

/** A Kubernetes LabelSelector (matchLabels and matchExpressions). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * The selector in the query syntax of `?labelSelector=`, so that the API server — not this code — decides
 * which objects match. An empty selector is "" (everything).
 */
export function selectorQuery(selector: LabelSelector | Record<string, string> | undefined): string {
  if (!selector) return "";
  const isLabelSelector = "matchLabels" in selector || "matchExpressions" in selector;
  const labels = isLabelSelector
    ? ((selector as LabelSelector).matchLabels ?? {})
    : (selector as Record<string, string>);
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  for (const e of isLabelSelector ? ((selector as LabelSelector).matchExpressions ?? []) : []) {
    const values = (e.values ?? []).join(",");
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${e.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
      default:
        throw new Error(`label selector: unknown operator "${e.operator}" for key "${e.key}"`);
    }
  }
  return parts.join(",");
}

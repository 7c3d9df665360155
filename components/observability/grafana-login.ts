import type { GrafanaConfig } from "../../stacks/schema.ts";

/** The key of the OAuth client secret in Grafana's OAuth Secret (`grafana-oauth`). */
export const GRAFANA_OAUTH_SECRET_KEY = "client-secret";

/** grafana.ini section of each login provider (Grafana "Configure GitHub OAuth authentication" / "Generic OAuth"). */
const SECTION = { github: "auth.github", generic: "auth.generic_oauth" } as const;

/**
 * Grafana's environment variable for a grafana.ini key: `GF_<SECTION>_<KEY>`, dots and dashes as underscores
 * (Grafana "Configure Grafana" → "Override configuration with environment variables").
 */
function envName(section: string, key: string): string {
  return `GF_${section}_${key}`.replace(/[.-]/g, "_").toUpperCase();
}

export interface GrafanaLoginValues {
  ini: Record<string, Record<string, unknown>>;
  envValueFrom: Record<string, { secretKeyRef: { name: string; key: string } }>;
}

/**
 * Grafana chart values for signing in. With an OAuth client secret, users sign in only through the configured
 * provider: the login form, basic auth and anonymous access are off, so the generated admin password opens
 * nothing from outside the pod. Without one (a stack that does not route Grafana publicly), the login form stays
 * for the admin user over `kubectl port-forward`. The secret reaches Grafana from its Secret through an
 * environment variable and never appears in the chart values.
 */
export function grafanaLoginValues(
  login: GrafanaConfig["login"],
  oauthSecretName: string | undefined,
): GrafanaLoginValues {
  const closed = {
    "auth.anonymous": { enabled: false },
    "auth.basic": { enabled: oauthSecretName === undefined },
    users: { allow_sign_up: false },
  };
  if (oauthSecretName === undefined) {
    return { ini: { ...closed, auth: { disable_login_form: false } }, envValueFrom: {} };
  }
  const section = SECTION[login.provider];
  const provider =
    login.provider === "github"
      ? {
          enabled: true,
          client_id: login.clientId,
          scopes: "user:email,read:org",
          allowed_organizations: login.organizations.join(" "),
          allow_sign_up: true,
        }
      : {
          enabled: true,
          name: login.name,
          client_id: login.clientId,
          scopes: "openid email profile",
          auth_url: login.authUrl,
          token_url: login.tokenUrl,
          api_url: login.apiUrl,
          allowed_domains: login.allowedDomains.join(" "),
          use_pkce: true,
          allow_sign_up: true,
        };
  return {
    ini: { ...closed, auth: { disable_login_form: true, oauth_auto_login: true }, [section]: provider },
    envValueFrom: {
      [envName(section, "client_secret")]: {
        secretKeyRef: { name: oauthSecretName, key: GRAFANA_OAUTH_SECRET_KEY },
      },
    },
  };
}

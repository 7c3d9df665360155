/** Let's Encrypt ACME directories (https://letsencrypt.org/docs/staging-environment/). */
export const ACME_DIRECTORIES = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
export type AcmeEnvironment = keyof typeof ACME_DIRECTORIES;

export const CLUSTER_ISSUER_NAME = "letsencrypt-dns01";
/** The Secret (in the cert-manager namespace) holding the DigitalOcean API token for DNS-01. */
export const DNS_TOKEN_SECRET = { name: "digitalocean-dns", key: "access-token" } as const;

/**
 * A ClusterIssuer answering Let's Encrypt's DNS-01 challenges through DigitalOcean DNS
 * (cert-manager.io/docs/configuration/acme/dns01/digitalocean): no inbound HTTP is needed to issue, so the
 * load balancer's PROXY protocol and the HTTP→HTTPS redirect never interfere with issuance.
 */
export function clusterIssuerSpec(acme: AcmeEnvironment, zone: string): Record<string, unknown> {
  return {
    acme: {
      server: ACME_DIRECTORIES[acme],
      privateKeySecretRef: { name: `${CLUSTER_ISSUER_NAME}-account` },
      solvers: [
        {
          selector: { dnsZones: [zone] },
          dns01: {
            digitalocean: { tokenSecretRef: { name: DNS_TOKEN_SECRET.name, key: DNS_TOKEN_SECRET.key } },
          },
        },
      ],
    },
  };
}

/** One certificate per public host, written into the Secret its IngressRoute names. */
export function certificateSpec(host: string, secretName: string): Record<string, unknown> {
  return {
    secretName,
    dnsNames: [host],
    issuerRef: { kind: "ClusterIssuer", name: CLUSTER_ISSUER_NAME },
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    // Renew with a third of the 90-day lifetime left; CertificateExpiringSoon warns at 14 days.
    renewBefore: "720h",
  };
}

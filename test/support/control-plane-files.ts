import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileAsync } from "./processes.ts";

/** The files a throwaway control plane runs from (test/support/control-plane.ts): PKI, kubeconfigs, its init script. */

// Fixed ports are safe: nothing else listens in a namespace created for this control plane alone.
export const PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  controllerManager: 10257,
  scheduler: 10259,
};

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"];

/** The API server's own Service address: the first host of the Service range. */
export function firstServiceIp(cidr: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`control plane: serviceClusterIpRange must be an IPv4 CIDR, got "${cidr}"`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = prefix === 0 ? 0 : base - (base % 2 ** (32 - prefix));
  const ip = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join(".");
}

export async function writeCertificates(dir: string, serviceIp: string): Promise<void> {
  const pki = join(dir, "pki");
  mkdirSync(pki, { recursive: true });
  const openssl = (args: string[]) => execFileAsync("openssl", args, { cwd: pki });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=gomeet-test-ca",
  ]);
  const leaf = async (name: string, subject: string, extensions: string[]) => {
    await openssl([
      "req",
      "-x509",
      ...ec,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-days",
      "2",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-subj",
      subject,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      ...extensions.flatMap((e) => ["-addext", e]),
    ]);
  };
  const sans = [
    "IP:127.0.0.1",
    `IP:${serviceIp}`,
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ];
  await leaf("apiserver", "/CN=kube-apiserver", [
    "extendedKeyUsage=serverAuth",
    `subjectAltName=${sans.join(",")}`,
  ]);
  await leaf("admin", "/O=system:masters/CN=gomeet-test-admin", ["extendedKeyUsage=clientAuth"]);
  await leaf("controller-manager", "/CN=system:kube-controller-manager", ["extendedKeyUsage=clientAuth"]);
  await leaf("scheduler", "/CN=system:kube-scheduler", ["extendedKeyUsage=clientAuth"]);
  await leaf("front-proxy-client", "/CN=front-proxy-client", ["extendedKeyUsage=clientAuth"]);
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key"]);
  await openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  for (const user of ["admin", "controller-manager", "scheduler"]) {
    writeFileSync(join(dir, `${user}.kubeconfig`), kubeconfig(pki, user));
  }
}

function kubeconfig(pki: string, user: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    `    server: https://127.0.0.1:${PORTS.apiserver}`,
    `    certificate-authority: ${join(pki, "ca.crt")}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    client-certificate: ${join(pki, `${user}.crt`)}`,
    `    client-key: ${join(pki, `${user}.key`)}`,
    "contexts:",
    "- name: test",
    `  context: { cluster: test, user: ${user} }`,
    "current-context: test",
    "",
  ].join("\n");
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The namespace's init: brings loopback up, starts the components (logs in logs/), and stops them all on
 * TERM — or when the test process is gone, so a killed test never leaves a control plane behind.
 */
export function supervisorScript(dir: string, binDir: string, serviceRange: string): string {
  const pki = join(dir, "pki");
  const bin = join(dir, "bin");
  const commands: Record<string, string[]> = {
    etcd: [
      `${bin}/etcd`,
      `--data-dir=${dir}/etcd`,
      "--log-level=warn",
      "--unsafe-no-fsync",
      `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${PORTS.etcdPeer}`,
    ],
    "kube-apiserver": [
      `${bin}/kube-apiserver`,
      `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${PORTS.apiserver}`,
      `--tls-cert-file=${pki}/apiserver.crt`,
      `--tls-private-key-file=${pki}/apiserver.key`,
      `--client-ca-file=${pki}/ca.crt`,
      `--requestheader-client-ca-file=${pki}/ca.crt`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
      `--proxy-client-key-file=${pki}/front-proxy-client.key`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki}/sa.pub`,
      `--service-account-signing-key-file=${pki}/sa.key`,
      `--service-cluster-ip-range=${serviceRange}`,
      "--authorization-mode=RBAC",
      "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,ResourceQuota,PodSecurity,Priority",
      "--allow-privileged=true",
      // Aggregated APIs and webhooks are reached through their endpoints, never a Service IP; with no
      // pod running there are none, so the call fails here instead of dialling anything.
      "--enable-aggregator-routing=true",
      "--profiling=false",
    ],
    "kube-controller-manager": [
      `${bin}/kube-controller-manager`,
      `--kubeconfig=${dir}/controller-manager.kubeconfig`,
      `--authentication-kubeconfig=${dir}/controller-manager.kubeconfig`,
      `--authorization-kubeconfig=${dir}/controller-manager.kubeconfig`,
      "--use-service-account-credentials=true",
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.controllerManager}`,
      `--service-account-private-key-file=${pki}/sa.key`,
      `--root-ca-file=${pki}/ca.crt`,
      `--service-cluster-ip-range=${serviceRange}`,
      "--profiling=false",
    ],
    "kube-scheduler": [
      `${bin}/kube-scheduler`,
      `--kubeconfig=${dir}/scheduler.kubeconfig`,
      `--authentication-kubeconfig=${dir}/scheduler.kubeconfig`,
      `--authorization-kubeconfig=${dir}/scheduler.kubeconfig`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.scheduler}`,
    ],
    "kubectl-proxy": [
      `${bin}/kubectl`,
      `--kubeconfig=${dir}/admin.kubeconfig`,
      "proxy",
      `--unix-socket=${dir}/api.sock`,
    ],
  };
  const start = (name: string) =>
    `${(commands[name] ?? []).map(quote).join(" ")} >${quote(`${dir}/logs/${name}.log`)} 2>&1 &`;
  // The controller-manager exits when it cannot yet read its RBAC-guarded configuration, so the
  // controllers start once the API server is ready (its bootstrap roles exist then).
  const ready = `until ${quote(`${bin}/kubectl`)} --kubeconfig=${quote(`${dir}/admin.kubeconfig`)} get --raw /readyz >/dev/null 2>&1; do kill -0 "$parent" 2>/dev/null || stop; sleep 0.5; done`;
  return [
    "#!/usr/bin/env bash",
    "set -u",
    'parent="$1"',
    "ip link set lo up",
    `mkdir -p ${quote(`${dir}/logs`)} ${quote(bin)}`,
    // The binaries are linked into the temporary directory so `ps` shows which test owns them.
    ...COMPONENTS.map((c) => `ln -sf ${quote(join(binDir, c))} ${quote(join(bin, c))}`),
    "stop() { trap - TERM INT; kill $(jobs -p) 2>/dev/null; wait; exit 0; }",
    "trap stop TERM INT",
    ...["etcd", "kube-apiserver", "kubectl-proxy"].map(start),
    ready,
    ...["kube-controller-manager", "kube-scheduler"].map(start),
    'while kill -0 "$parent" 2>/dev/null; do sleep 1 & wait $!; done',
    "stop",
    "",
  ].join("\n");
}

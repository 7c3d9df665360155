import { join } from "node:path";
import { execFileAsync } from "../../support/processes.ts";

/** A throwaway self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export async function makeSelfSignedCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "fullchain.pem");
  const keyFile = join(dir, "privkey.pem");
  await execFileAsync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { certFile, keyFile };
}

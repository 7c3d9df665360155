"use strict";
// The entry `pulumi preview --policy-pack policies` loads. The CLI's policy runner
// (@pulumi/pulumi/cmd/run-policy-pack) registers its bundled ts-node and require()s this package's `main`,
// ignoring PulumiPolicy.yaml's runtime options. The rules are ES modules in TypeScript with `.ts` import paths,
// which that ts-node refuses (TS5097) and require() cannot load, so the entry is CommonJS and compiles the pack
// with tsx's scoped require, the compiler the program itself runs under (Pulumi.yaml).
const { require: tsxRequire } = require("tsx/cjs/api");

tsxRequire("./pack.ts", __filename);

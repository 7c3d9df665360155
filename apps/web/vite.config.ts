import { defineConfig } from "vite";

// The build is static: one index.html, hashed assets under assets/, and a runtime /config.json that each
// stack (or `npm run dev`) writes beside it, so one build serves every environment.
export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsDir: "assets",
    // The meeting chunk (LiveKit client and components) is large by nature and loads only on joining.
    chunkSizeWarningLimit: 800,
  },
});

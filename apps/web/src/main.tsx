import "@livekit/components-styles";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { MeetingsApi } from "./api/meetings.ts";
import { AuthSession } from "./api/session.ts";
import { parseRuntimeConfig, RUNTIME_CONFIG_PATH, type RuntimeConfig } from "./runtime-config.ts";

async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch(RUNTIME_CONFIG_PATH, { cache: "no-store" });
  if (!response.ok) throw new Error(`${RUNTIME_CONFIG_PATH} answered ${response.status}`);
  return parseRuntimeConfig(await response.json());
}

const root = createRoot(document.getElementById("root")!);

loadConfig().then(
  (config) => {
    const session = new AuthSession(config.authUrl);
    const meetings = new MeetingsApi(session, config.meetingsUrl);
    root.render(<App config={config} session={session} meetings={meetings} />);
  },
  (error: unknown) => {
    // Without its configuration the app cannot reach anything; say so instead of a blank page.
    root.render(
      <main className="page">
        <h1>GoMeet cannot start</h1>
        <p role="alert">The app's configuration could not be loaded. Reload the page, or try again later.</p>
        <pre className="detail">{error instanceof Error ? error.message : String(error)}</pre>
      </main>,
    );
  },
);

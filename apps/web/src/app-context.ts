import { createContext, useContext } from "react";
import type { MeetingsApi } from "./api/meetings.ts";
import type { AuthSession, User } from "./api/session.ts";
import type { RuntimeConfig } from "./runtime-config.ts";

export interface AppServices {
  config: RuntimeConfig;
  session: AuthSession;
  meetings: MeetingsApi;
  user: User | undefined;
}

export const AppContext = createContext<AppServices | undefined>(undefined);

export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error("useApp outside <AppContext.Provider>");
  return services;
}

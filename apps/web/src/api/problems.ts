/** An error answer from a GoMeet API (RFC 9457 problem+json), with a sentence a person understands. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: { field: string; message: string }[] = [],
  ) {
    super(friendlyMessage(status, code, detail, fieldErrors));
    this.name = "ApiError";
  }
}

const MESSAGES: Record<string, string> = {
  invalid_credentials: "That email and password do not match an account.",
  account_disabled: "This account has been disabled. Contact your administrator.",
  invalid_refresh_token: "Your session has ended. Please sign in again.",
  refresh_token_reused: "Your session was ended for your safety. Please sign in again.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
  meeting_not_found: "This meeting does not exist, or you are not invited to it.",
  meeting_full: "This meeting is full. Try again when someone leaves.",
  meeting_not_started: "The host has not started this meeting yet. It opens when the host joins.",
  meeting_over: "This meeting has ended.",
  admission_denied: "The host did not let you into this meeting.",
  participant_removed: "You were removed from this meeting by a host and cannot rejoin.",
  invitation_expired: "This invitation link has expired or was revoked. Ask the host for a new one.",
  invitation_gone:
    "This invitation link has expired, was revoked or was already used. Ask the host for a new one.",
  forbidden: "Only a host or co-host can do that.",
  recording_not_allowed: "Recording is not allowed in this meeting, or not for your role.",
  egress_unavailable: "Recording is unavailable right now: no recorder is running. Try again later.",
  invalid_transition: "That change is not possible in the meeting's current state.",
  network: "Cannot reach GoMeet. Check your internet connection and try again.",
};

function friendlyMessage(
  status: number,
  code: string,
  detail: string,
  fieldErrors: { field: string; message: string }[],
): string {
  const known = MESSAGES[code];
  if (known) return known;
  if (status === 410) return MESSAGES.invitation_gone!;
  if (status === 422 && fieldErrors.length > 0) {
    return fieldErrors.map((e) => `${e.field}: ${e.message}`).join("; ");
  }
  if (status >= 500) return "GoMeet had a problem answering. Try again in a moment.";
  return detail || `The request failed (${status}).`;
}

/** Reads a failed response into an ApiError; bodies that are not problem+json keep the status. */
export async function problemFrom(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON: the status alone speaks
  }
  const code = typeof body.code === "string" ? body.code : `http_${response.status}`;
  const detail =
    typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : "";
  const errors = Array.isArray(body.errors)
    ? body.errors.flatMap((e) =>
        typeof e === "object" && e !== null && typeof (e as { field?: unknown }).field === "string"
          ? [
              {
                field: String((e as { field: string }).field),
                message: String((e as { message?: unknown }).message ?? ""),
              },
            ]
          : [],
      )
    : [];
  return new ApiError(response.status, code, detail, errors);
}

export function networkError(): ApiError {
  return new ApiError(0, "network", "the request did not reach the server");
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

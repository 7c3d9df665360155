import * as pulumi from "@pulumi/pulumi";

/**
 * Runs one step of a component — a renderer or a check of its inputs, often inside an `apply` — and reports a
 * failure as a pulumi.ResourceError of that component, so Pulumi names the resource next to the message. A plain
 * Error thrown inside an apply surfaces without saying which resource it belongs to. The message is kept as it
 * is (input errors already leave secrets out of theirs) and the original error is the cause.
 */
export function failAs<T>(resource: pulumi.Resource, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (pulumi.ResourceError.isInstance(error)) throw error;
    const wrapped = new pulumi.ResourceError(
      error instanceof Error ? error.message : String(error),
      resource,
    );
    wrapped.cause = error;
    throw wrapped;
  }
}

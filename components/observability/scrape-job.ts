import { z } from "zod";

/** Scrape job names end up inside PromQL label matchers, so quotes and backslashes are refused outright. */
export const scrapeJobName = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]+$/, { error: "expected a scrape job name (A-Z a-z 0-9 _ . : / -)" });

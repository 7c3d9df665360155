/**
 * Lists the metric names a PromQL expression selects, so tests can hold every rule and dashboard query to
 * the metric-name contract (docs/metrics.md) and to what the exporters really expose.
 *
 * This is a lexer, not a parser: promtool already proves the expressions are valid PromQL. It only has to
 * tell metric names apart from functions, aggregations, keywords, label names and literals. Token classes
 * follow the PromQL grammar (prometheus/prometheus promql/parser/lex.go @ v2.42).
 */

const AGGREGATIONS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
  "limitk",
  "limit_ratio",
]);

/** Keywords followed by a parenthesised label list that must not be read as metric names. */
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

const OPERATOR_KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"]);

const IDENTIFIER_START = /[a-zA-Z_:]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_:]/;

function skipQuoted(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) {
    if (expr[i] === "\\" && quote !== "`") i += 1;
    i += 1;
  }
  if (i >= expr.length) throw new Error(`unterminated string starting at offset ${start} in: ${expr}`);
  return i + 1;
}

/** Index just past the bracket that closes the one at `start`, skipping quoted strings inside. */
function skipBracketed(expr: string, start: number, open: string, close: string): number {
  let depth = 0;
  let i = start;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === "`") {
      i = skipQuoted(expr, i);
      continue;
    }
    if (c === open) depth += 1;
    if (c === close) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unbalanced "${open}" at offset ${start} in: ${expr}`);
}

function skipSpaces(expr: string, start: number): number {
  let i = start;
  while (i < expr.length && /\s/.test(expr[i] ?? "")) i += 1;
  return i;
}

/** Skips a number or duration literal: 0.99, 1e+09, 5m, 1h30m, 0x1f. */
function skipNumber(expr: string, start: number): number {
  let i = start;
  while (i < expr.length) {
    const c = expr[i] ?? "";
    if (/[0-9a-zA-Z_.]/.test(c)) {
      i += 1;
    } else if (
      (c === "+" || c === "-") &&
      /[eE]/.test(expr[i - 1] ?? "") &&
      /[0-9.]/.test(expr[start] ?? "")
    ) {
      i += 1;
    } else {
      break;
    }
  }
  return i;
}

/** Metric names selected by `expr`, in order of first appearance. */
export function metricNamesInPromQL(expr: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? "";
    if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i += 1;
    } else if (c === '"' || c === "'" || c === "`") {
      i = skipQuoted(expr, i);
    } else if (c === "{") {
      const end = skipBracketed(expr, i, "{", "}");
      if (/__name__/.test(expr.slice(i, end))) {
        throw new Error(`selecting metrics by __name__ hides their names from the contract check: ${expr}`);
      }
      i = end;
    } else if (c === "[") {
      i = skipBracketed(expr, i, "[", "]");
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(expr[i + 1] ?? ""))) {
      i = skipNumber(expr, i);
    } else if (IDENTIFIER_START.test(c)) {
      let end = i + 1;
      while (end < expr.length && IDENTIFIER_PART.test(expr[end] ?? "")) end += 1;
      const word = expr.slice(i, end);
      const next = skipSpaces(expr, end);
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        i = expr[next] === "(" ? skipBracketed(expr, next, "(", ")") : end;
      } else if (AGGREGATIONS.has(lower) || OPERATOR_KEYWORDS.has(lower) || expr[next] === "(") {
        i = end;
      } else {
        if (!names.includes(word)) names.push(word);
        i = end;
      }
    } else {
      i += 1;
    }
  }
  return names;
}

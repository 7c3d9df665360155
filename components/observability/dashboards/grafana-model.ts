/**
 * The subset of Grafana's dashboard JSON model our dashboards use (schemaVersion 39, Grafana 10/11): a
 * Prometheus datasource picked by a template variable, time-series and stat panels laid out on Grafana's
 * 24-column grid. Field names follow https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana substitutes the dashboard variable, not JavaScript.
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const GRID_COLUMNS = 24;

export interface PanelTarget {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
}

export interface Panel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  datasource: typeof DATASOURCE;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: PanelTarget[];
  fieldConfig: { defaults: { unit: string; min?: number; max?: number }; overrides: never[] };
  options: Record<string, unknown>;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: "utc";
  schemaVersion: 39;
  version: 1;
  editable: false;
  graphTooltip: 1;
  refresh: string;
  time: { from: string; to: string };
  templating: { list: Record<string, unknown>[] };
  panels: Panel[];
}

export interface Query {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  type: Panel["type"];
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Grid columns (of 24); time series default to half the width, stats to a quarter. */
  width?: number;
  min?: number;
  max?: number;
}

const PANEL_HEIGHT: Record<Panel["type"], number> = { timeseries: 8, stat: 4 };

function panelOptions(type: Panel["type"]): Record<string, unknown> {
  if (type === "stat") {
    return {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "value",
      graphMode: "area",
      textMode: "auto",
      orientation: "auto",
      justifyMode: "auto",
    };
  }
  return {
    legend: { displayMode: "list", placement: "bottom", showLegend: true },
    tooltip: { mode: "multi", sort: "desc" },
  };
}

/** Places panels left to right, wrapping to a new row when the 24 columns are used up. */
function layOut(specs: PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    const w = spec.width ?? (spec.type === "stat" ? 6 : 12);
    const h = PANEL_HEIGHT[spec.type];
    if (w < 1 || w > GRID_COLUMNS) throw new Error(`panel "${spec.title}": width must be 1..24, got ${w}`);
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return {
      id: index + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      datasource: DATASOURCE,
      gridPos,
      targets: spec.queries.map((query, q) => ({
        refId: String.fromCharCode(65 + q),
        datasource: DATASOURCE,
        expr: query.expr,
        legendFormat: query.legend,
      })),
      fieldConfig: {
        defaults: {
          unit: spec.unit,
          ...(spec.min !== undefined && { min: spec.min }),
          ...(spec.max !== undefined && { max: spec.max }),
        },
        overrides: [],
      },
      options: panelOptions(spec.type),
    };
  });
}

export function grafanaDashboard(
  meta: { uid: string; title: string; description: string; tags: string[] },
  panels: PanelSpec[],
): GrafanaDashboard {
  // Grafana refuses uids longer than 40 characters.
  if (!/^[a-z0-9-]{1,40}$/.test(meta.uid))
    throw new Error(`dashboard uid must match [a-z0-9-]{1,40}, got "${meta.uid}"`);
  return {
    uid: meta.uid,
    title: meta.title,
    description: meta.description,
    tags: ["gomeet", ...meta.tags],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    editable: false,
    graphTooltip: 1,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          hide: 0,
          current: {},
        },
      ],
    },
    panels: layOut(panels),
  };
}

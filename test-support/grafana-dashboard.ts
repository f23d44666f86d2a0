/**
 * The queries of a Grafana dashboard (docs/grafana/livestack.json) as Prometheus would get them:
 * every panel target's PromQL, with Grafana's own variables filled in the way Grafana does before
 * it sends a query.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './repo-root.js';

export const DASHBOARD_FILE = path.join(repoRoot, 'docs/grafana/livestack.json');

export interface PanelQuery {
  /** The panel's title and the target's refId, e.g. `Segment delay (B)`. */
  name: string;
  /** The PromQL as written in the dashboard. */
  expr: string;
  /** The series name template: `{{label}}` names a label every series must have. */
  legendFormat: string;
  /** The data source the target names (`${datasource}`: the dashboard's variable). */
  datasourceUid: string | undefined;
}

interface Panel {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: Array<{ refId?: string; expr?: string; legendFormat?: string; datasource?: { uid?: string } }>;
}

export interface Dashboard {
  /** Every panel that is not a row, with its queries (none: a panel that can only show "No data"). */
  panels: Array<{ title: string; queries: PanelQuery[] }>;
  /** The template variables: name and type (`datasource`, `query`, …). */
  variables: Array<{ name: string; type: string; query: unknown }>;
}

export async function readDashboard(file = DASHBOARD_FILE): Promise<Dashboard> {
  const json = JSON.parse(await readFile(file, 'utf8')) as { panels?: Panel[]; templating?: { list?: Array<{ name: string; type: string; query: unknown }> } };
  const panels: Dashboard['panels'] = [];
  const visit = (list: Panel[]) => {
    for (const panel of list) {
      if (panel.panels) visit(panel.panels);
      if (panel.type === 'row') continue;
      const title = panel.title ?? '(untitled)';
      panels.push({
        title,
        queries: (panel.targets ?? []).map((target) => ({
          name: `${title} (${target.refId ?? '?'})`,
          expr: target.expr ?? '',
          legendFormat: target.legendFormat ?? '',
          datasourceUid: target.datasource?.uid,
        })),
      });
    }
  };
  visit(json.panels ?? []);
  return { panels, variables: json.templating?.list ?? [] };
}

/**
 * Grafana's built-in interval variables, as it would fill them in for a Prometheus that scrapes
 * every `scrapeInterval`: `$__rate_interval` is at least four scrapes, so that a rate always has
 * two samples in its window.
 */
export function grafanaIntervals(scrapeIntervalSeconds: number, intervalSeconds: number): Record<string, string> {
  return {
    __interval: `${intervalSeconds}s`,
    __rate_interval: `${Math.max(intervalSeconds + scrapeIntervalSeconds, 4 * scrapeIntervalSeconds)}s`,
  };
}

/** `expr` with `$name` and `${name}` replaced; throws on a variable `values` does not hold. */
export function fillVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`${expr}: no value for the variable ${whole}`);
    return value;
  });
}

/** The labels a legend template names (`{{kind}} {{status}}`: kind, status). */
export function legendLabels(legendFormat: string): string[] {
  return [...legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((match) => match[1]!);
}

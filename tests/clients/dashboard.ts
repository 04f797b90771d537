// A small dashboard module over the generated types: it compiles under `tsc --strict` only if
// every field the reference query selects has the type the schema promises. `stats` is null, with
// an error, when its arguments cannot be answered; counts (`summary.total`) are integers.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { DashboardDocument, type DashboardQuery, type DashboardQueryVariables } from "./generated/graphql";

const document: TypedDocumentNode<DashboardQuery, DashboardQueryVariables> = DashboardDocument;
export const variables: DashboardQueryVariables = { scope: "ORG", window: "LAST_7D", limit: 5 };

export function chart(data: DashboardQuery): { labels: number[]; requests: number[]; total: number } {
  const series = data.stats?.ai.timeSeries;
  if (!series) return { labels: [], requests: [], total: 0 };
  const labels: number[] = series.columns.ts;
  const requests: number[] = series.columns.requests;
  const total: number = series.summary.total;
  return { labels, requests, total };
}

export function topModels(data: DashboardQuery): Array<{ key: string; name: string | null; tokens: number }> {
  return (data.stats?.ai.byModel?.entities ?? []).map((entity) => ({
    key: entity.entityId,
    name: entity.name ?? null,
    tokens: entity.totals.tokensIn + entity.totals.tokensOut,
  }));
}

export function lastActive(data: DashboardQuery): Array<number | null> {
  return (data.stats?.privateChat.users?.entities ?? []).map((user) => user.totals.lastActiveAt ?? null);
}

export { document };

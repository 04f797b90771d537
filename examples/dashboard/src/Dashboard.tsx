// One panel of AI gateway usage: requests over the window as a bar chart (the series' columns), and
// the models with the most requests (a breakdown), with a window switch; and a live panel, the last
// 24 hours' requests pushed by the gateway as they change. Every number shown is one the gateway
// answered; the test reads them back and compares them with the REST API's.
import { useQuery, useSubscription } from "@apollo/client/react";
import { useState } from "react";
import { graphql } from "./generated";
import type { UsageQueryVariables } from "./generated/graphql";

type Span = UsageQueryVariables["window"];

const USAGE = graphql(`
  query Usage($window: Window!) {
    stats(window: $window) {
      ai {
        timeSeries {
          meta { bucketSize }
          summary { total }
          columns { ts requests }
        }
        byModel: breakdown(by: MODELS, limit: 5) {
          entities { entityId totals { requests } }
        }
      }
    }
  }
`);

const LIVE = graphql(`
  subscription LiveRequests {
    live(refreshSeconds: 10) {
      revision
      asOf
      stats(window: LAST_24H, bucketSize: MIN_5) {
        ai { timeSeries { summary { total } } }
      }
    }
  }
`);

function LivePanel() {
  const { data } = useSubscription(LIVE);
  const live = data?.live;
  if (!live?.stats?.ai.timeSeries) return <p>Connecting…</p>;
  return (
    <aside data-testid="live">
      Live, last 24 hours: <strong data-testid="live-total">{live.stats.ai.timeSeries.summary.total}</strong>{" "}
      requests (update <span data-testid="live-revision">{live.revision}</span>, as of{" "}
      {new Date(live.asOf * 1000).toLocaleTimeString()})
    </aside>
  );
}

const WINDOWS: Array<[Span, string]> = [
  ["LAST_24H", "24 hours"],
  ["LAST_7D", "7 days"],
  ["LAST_30D", "30 days"],
];

function Bars({ values, height = 120 }: { values: number[]; height?: number }) {
  const top = Math.max(1, ...values);
  const width = 600 / Math.max(1, values.length);
  return (
    <svg width={600} height={height} role="img" aria-label="requests per bucket">
      {values.map((value, index) => (
        <rect key={index} x={index * width} y={height - (value / top) * height} width={Math.max(1, width - 1)} height={(value / top) * height} fill="#3b6fd4" />
      ))}
    </svg>
  );
}

export function Dashboard() {
  const [span, setSpan] = useState<Span>("LAST_24H");
  const { data, loading, error } = useQuery(USAGE, { variables: { window: span } });
  const ai = data?.stats?.ai;
  return (
    <main style={{ fontFamily: "system-ui", padding: 16 }}>
      <h1>AI gateway requests</h1>
      <LivePanel />
      <nav>
        {WINDOWS.map(([value, label]) => (
          <button key={value} onClick={() => setSpan(value)} aria-pressed={value === span} data-window={value}>
            {label}
          </button>
        ))}
      </nav>
      {error && <p role="alert">{error.message}</p>}
      {loading && <p>Loading…</p>}
      {ai?.timeSeries && (
        <section data-testid="series" data-window={span}>
          <p>
            Total: <strong data-testid="total">{ai.timeSeries.summary.total}</strong> requests in{" "}
            <span data-testid="buckets">{ai.timeSeries.columns.ts.length}</span> buckets
          </p>
          <Bars values={ai.timeSeries.columns.requests} />
        </section>
      )}
      {ai?.byModel && (
        <table data-testid="models">
          <thead>
            <tr><th>model</th><th>requests</th></tr>
          </thead>
          <tbody>
            {ai.byModel.entities.map((entity) => (
              <tr key={entity.entityId}>
                <td>{entity.entityId}</td>
                <td>{entity.totals.requests}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

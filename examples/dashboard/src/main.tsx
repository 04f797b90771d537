// The Apollo Client of the dashboard: automatic persisted queries sent by GET (the browser may keep
// and revalidate the answers), over the gateway's HTTP endpoint; subscriptions over its WebSocket
// (graphql-ws, at the same URL). The gateway's URL and the token come from the page's address
// (?gateway=...&token=...), with the local defaults.
import { ApolloClient, HttpLink, InMemoryCache, split } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { ApolloProvider } from "@apollo/client/react";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Dashboard } from "./Dashboard";

const params = new URLSearchParams(window.location.search);
const gateway = params.get("gateway") ?? "http://127.0.0.1:8000/graphql";
const token = params.get("token") ?? "demo";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const http = new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
  new HttpLink({ uri: gateway, headers: { Authorization: `Bearer ${token}` } }),
);
const live = new GraphQLWsLink(
  createClient({ url: gateway.replace(/^http/, "ws"), connectionParams: { Authorization: `Bearer ${token}` } }),
);
const link = split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === "OperationDefinition" && definition.operation === "subscription";
  },
  live,
  http,
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <Dashboard />
    </ApolloProvider>
  </StrictMode>,
);

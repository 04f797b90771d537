// The Apollo Client of the dashboard: automatic persisted queries sent by GET (the browser may keep
// and revalidate the answers), over the gateway's HTTP endpoint. The gateway's URL and the token
// come from the page's address (?gateway=...&token=...), with the local defaults.
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { ApolloProvider } from "@apollo/client/react";
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

const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
  new HttpLink({ uri: gateway, headers: { Authorization: `Bearer ${token}` } }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <Dashboard />
    </ApolloProvider>
  </StrictMode>,
);

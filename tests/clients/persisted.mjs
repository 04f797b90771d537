// Apollo Client's persisted-query link against the gateway: a cold miss and the resend, then a
// warm hash-only request, hashed queries sent with GET. With a manifest id (trusted documents),
// only the id is ever sent. Prints every HTTP request made and every result.
//
// usage: node persisted.mjs <gateway URL> [<document id from a manifest> <its query text file>]
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, manifestId, queryFile] = process.argv.slice(2);
const requests = [];
async function recordingFetch(input, init) {
  const target = new URL(String(input));
  const body = init?.body ? JSON.parse(init.body) : null;
  const extensions = body?.extensions ?? JSON.parse(target.searchParams.get("extensions") ?? "null");
  requests.push({
    method: init?.method ?? "GET",
    query: Boolean(body?.query ?? target.searchParams.get("query")),
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
  });
  const response = await fetch(input, init);
  requests.at(-1).status = response.status;
  return response;
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const text = queryFile ? readFileSync(queryFile, "utf8") : "query Small { stats(window: LAST_24H) { ai { timeSeries { summary { total } } } } }";
const link = new PersistedQueryLink({
  ...(manifestId ? { generateHash: () => manifestId } : { sha256 }),
  useGETForHashedQueries: true,
}).concat(new HttpLink({ uri: url, fetch: recordingFetch }));

const results = [];
for (let attempt = 0; attempt < 2; attempt++) {
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  try {
    const { data } = await client.query({ query: gql(text), fetchPolicy: "network-only" });
    results.push({ data, error: null });
  } catch (error) {
    results.push({ data: null, error: String(error) });
  }
}
process.stdout.write(JSON.stringify({ requests, results }) + "\n");

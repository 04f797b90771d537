// Four real clients subscribe to the same live document: the graphql-ws client, Apollo Client's
// GraphQLWsLink, urql's subscriptionExchange over graphql-ws, and the graphql-sse client.
// Prints one JSON line per round: every client's latest answer, once each has `want` answers.
// Usage: node live.mjs GATEWAY_URL QUERY ROUNDS
import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { Client as UrqlClient, subscriptionExchange } from "@urql/core";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const [url, query, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const headers = { Authorization: "Bearer demo" };
const wsUrl = url.replace("http", "ws") + "/graphql";
const ws = () => createWsClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: headers, lazy: true });

const answers = { graphqlWs: [], apollo: [], urql: [], graphqlSse: [] };
const failures = [];
let round = 0;
function received(name, payload) {
  answers[name].push(payload);
  while (Object.values(answers).every((list) => list.length > round)) {
    console.log(JSON.stringify(Object.fromEntries(Object.entries(answers).map(([k, list]) => [k, list[round]]))));
    round += 1;
    if (round === rounds) process.exit(0);
  }
}
const fail = (name) => (error) => {
  failures.push(`${name}: ${JSON.stringify(error?.message ?? error)}`);
  console.log(JSON.stringify({ failures }));
  process.exit(1);
};

const raw = ws();
raw.subscribe({ query }, { next: (r) => received("graphqlWs", r), error: fail("graphql-ws"), complete: () => {} });

const apollo = new ApolloClient({ link: new GraphQLWsLink(ws()), cache: new InMemoryCache() });
apollo.subscribe({ query: gql(query), fetchPolicy: "no-cache" }).subscribe({
  next: (r) => received("apollo", { data: r.data }),
  error: fail("apollo"),
});

const urqlWs = ws();
const urql = new UrqlClient({
  url: url + "/graphql",
  exchanges: [
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || "" };
        return { subscribe: (sink) => ({ unsubscribe: urqlWs.subscribe(input, sink) }) };
      },
    }),
  ],
});
urql.subscription(query, {}).subscribe((r) => (r.error ? fail("urql")(r.error) : received("urql", { data: r.data })));

const sse = createSseClient({ url: url + "/graphql", headers });
sse.subscribe({ query }, { next: (r) => received("graphqlSse", r), error: fail("graphql-sse"), complete: () => {} });

setTimeout(() => fail("timeout")(`${round} of ${rounds} rounds`), 60_000);

// One query holding two windows and two scopes of the same breakdowns, through the normalized
// caches of Apollo Client (InMemoryCache) and urql (Graphcache). Prints what each cache then holds
// and every warning either printed.
//
// usage: node caches.mjs <gateway URL> <schema.graphql> <workspace id>
import { readFileSync } from "node:fs";
import { buildSchema, introspectionFromSchema, isObjectType } from "graphql";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";

const [url, schemaFile, workspace] = process.argv.slice(2);
const warnings = [];
for (const level of ["warn", "error", "log", "info", "debug"]) {
  console[level] = (...args) => warnings.push(`${level}: ${args.map(String).join(" ")}`);
}

const QUERY = `
query TwoWindowsTwoScopes($workspace: ID!) {
  week: stats(window: LAST_7D) { ...Dashboard }
  day: stats(window: LAST_24H) { ...Dashboard }
  workspaceWeek: stats(scope: WORKSPACE, id: $workspace, window: LAST_7D) { ...Dashboard }
  workspaceDay: stats(scope: WORKSPACE, id: $workspace, window: LAST_24H) { ...Dashboard }
}
fragment Dashboard on Stats {
  ai {
    timeSeries { summary { total } }
    byModel: breakdown(by: MODELS, limit: 3) {
      total
      entities { entityId name model { id } totals { requests tokensIn } columns { requests } }
    }
  }
  privateChat { users(limit: 3) { entities { entityId user { id } totals { requests conversationsCount } } } }
}`;
const variables = { workspace };

// Graphcache: every object type without an id is a value embedded in its parent (see README).
const schema = buildSchema(readFileSync(schemaFile, "utf8"), { assumeValidSDL: true });
const keys = {};
for (const type of Object.values(schema.getTypeMap())) {
  if (isObjectType(type) && !type.name.startsWith("__") && !("id" in type.getFields())) {
    keys[type.name] = () => null;
  }
}

const apollo = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
await apollo.query({ query: gql(QUERY), variables });
const apolloCached = apollo.readQuery({ query: gql(QUERY), variables });

const urql = new Client({
  url,
  exchanges: [cacheExchange({ schema: introspectionFromSchema(schema), keys }), fetchExchange],
});
const fetched = await urql.query(QUERY, variables).toPromise();
const urqlCached = await urql.query(QUERY, variables, { requestPolicy: "cache-only" }).toPromise();

process.stdout.write(
  JSON.stringify({
    apollo: apolloCached,
    urql: urqlCached.data,
    urqlErrors: [fetched.error?.message, urqlCached.error?.message].filter(Boolean),
    warnings,
  }) + "\n",
);

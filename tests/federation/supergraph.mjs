// Composes our subgraph with a small catalog subgraph that owns Workspace and Repo, serves the
// supergraph through Apollo Gateway, runs one federated query and prints its answer as JSON.
//
// usage: node supergraph.mjs <stats subgraph URL> <stats SDL file> <catalog JSON file> <query file>
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import gql from "graphql-tag";
import { composeServices } from "@apollo/composition";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";

const [statsUrl, sdlFile, catalogFile, queryFile] = process.argv.slice(2);
const catalog = JSON.parse(readFileSync(catalogFile, "utf8"));

const catalogTypeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])
  type Query {
    repos: [Repo!]!
    workspaces: [Workspace!]!
  }
  type Workspace @key(fields: "id") {
    id: ID!
    name: String!
  }
  type Repo @key(fields: "id") {
    id: ID!
    name: String!
    workspace: Workspace!
  }
`;
const workspaces = new Map(catalog.workspaces.map((w) => [w.id, w]));
const repos = new Map(catalog.repos.map((r) => [r.id, r]));
const catalogResolvers = {
  Query: { repos: () => catalog.repos, workspaces: () => catalog.workspaces },
  Repo: {
    __resolveReference: (ref) => repos.get(ref.id),
    workspace: (repo) => workspaces.get(repo.workspaceId),
  },
  Workspace: { __resolveReference: (ref) => workspaces.get(ref.id) },
};

const listen = { host: "127.0.0.1", port: 0 };
const catalogServer = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs: catalogTypeDefs, resolvers: catalogResolvers }]),
});
const { url: catalogUrl } = await startStandaloneServer(catalogServer, { listen });

const composed = composeServices([
  { name: "stats", typeDefs: parse(readFileSync(sdlFile, "utf8")), url: `${statsUrl}/graphql` },
  { name: "catalog", typeDefs: catalogTypeDefs, url: catalogUrl },
]);
if (composed.errors) {
  console.log(JSON.stringify({ compositionErrors: composed.errors.map((e) => e.message) }));
  await catalogServer.stop();
  process.exit(1);
}

const gatewayServer = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl }) });
const { url: gatewayUrl } = await startStandaloneServer(gatewayServer, { listen });
try {
  const response = await fetch(gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: readFileSync(queryFile, "utf8") }),
  });
  const answer = await response.json();
  console.log(JSON.stringify({ answer, hints: composed.hints.length }));
} finally {
  await gatewayServer.stop();
  await catalogServer.stop();
}

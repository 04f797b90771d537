// Composes our subgraph with a small catalog subgraph that owns Workspace and Repo, with Apollo's
// composer and with The Guild's, serves the supergraphs through Apollo Gateway and Hive Gateway,
// runs one federated query through each and prints both answers, with their HTTP statuses, as JSON.
//
// usage: node supergraph.mjs <stats subgraph URL> <stats SDL file> <catalog JSON file> <query file>
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import gql from "graphql-tag";
import { createServer } from "node:http";
import { composeServices } from "@apollo/composition";
import { composeServices as composeWithGuild } from "@theguild/federation-composition";
import { createGatewayRuntime } from "@graphql-hive/gateway";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";

const [statsUrl, sdlFile, catalogFile, queryFile] = process.argv.slice(2);
const catalog = JSON.parse(readFileSync(catalogFile, "utf8"));

const catalogTypeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
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

const services = [
  { name: "stats", typeDefs: parse(readFileSync(sdlFile, "utf8")), url: `${statsUrl}/graphql` },
  { name: "catalog", typeDefs: catalogTypeDefs, url: catalogUrl },
];
const composed = composeServices(services);
const guild = composeWithGuild(services);
if (composed.errors || guild.errors) {
  console.log(
    JSON.stringify({
      compositionErrors: {
        apollo: (composed.errors ?? []).map((e) => e.message),
        guild: (guild.errors ?? []).map((e) => e.message),
      },
    }),
  );
  await catalogServer.stop();
  process.exit(1);
}

const statuses = {};
async function ask(name, url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: readFileSync(queryFile, "utf8") }),
  });
  statuses[name] = response.status;
  return await response.json();
}

const apolloServer = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: composed.supergraphSdl }) });
const { url: apolloUrl } = await startStandaloneServer(apolloServer, { listen });
const hive = createGatewayRuntime({ supergraph: guild.supergraphSdl, logging: false });
const hiveServer = createServer(hive);
await new Promise((resolve) => hiveServer.listen(0, "127.0.0.1", resolve));
try {
  const apollo = await ask("answer", apolloUrl);
  const hiveAnswer = await ask("hive", `http://127.0.0.1:${hiveServer.address().port}/graphql`);
  console.log(JSON.stringify({ answer: apollo, hive: hiveAnswer, statuses, hints: composed.hints.length }));
} finally {
  await apolloServer.stop();
  await new Promise((resolve) => hiveServer.close(resolve));
  await hive.dispose();
  await catalogServer.stop();
}

// A live subscription through Hive Gateway: our subgraph composed alone with The Guild's composer,
// served by Hive Gateway, which carries the subscription to the subgraph; the client subscribes to
// Hive Gateway over Server-Sent Events. Prints each answer as one JSON line, `rounds` of them.
//
// usage: node live.mjs <stats subgraph URL> <stats SDL file> <subscription> <rounds>
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";
import { createGatewayRuntime } from "@graphql-hive/gateway";

const [statsUrl, sdlFile, subscription, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const composed = composeServices([
  { name: "stats", typeDefs: parse(readFileSync(sdlFile, "utf8")), url: `${statsUrl}/graphql` },
]);
if (composed.errors) {
  console.log(JSON.stringify({ compositionErrors: composed.errors.map((e) => e.message) }));
  process.exit(1);
}
const hive = createGatewayRuntime({
  supergraph: composed.supergraphSdl,
  logging: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") ?? "" }),
  },
});
const server = createServer(hive);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/graphql`;

const timer = setTimeout(() => {
  console.log(JSON.stringify({ failure: "timeout" }));
  process.exit(1);
}, 60_000);
const response = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json", accept: "text/event-stream", authorization: "Bearer demo" },
  body: JSON.stringify({ query: subscription }),
});
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
let buffer = "";
let seen = 0;
while (seen < rounds) {
  const { value, done } = await reader.read();
  if (done) break;
  buffer += value;
  let end;
  while ((end = buffer.indexOf("\n\n")) >= 0 && seen < rounds) {
    const event = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const data = event
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim());
    if (data.length && data.join("")) {
      console.log(data.join(""));
      seen += 1;
    }
  }
}
clearTimeout(timer);
await reader.cancel();
server.close();
await hive.dispose();
process.exit(seen === rounds ? 0 : 1);

// graphql-js's standard introspection query, every option on (what GraphiQL and codegen send),
// posted to the URL given; prints the errors and the root fields it found.
import { getIntrospectionQuery, buildClientSchema } from "graphql";

const url = process.argv[2];
const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const response = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
  body: JSON.stringify({ query, operationName: "IntrospectionQuery" }),
});
const body = await response.json();
const fields = body.data ? Object.keys(buildClientSchema(body.data).getQueryType().getFields()) : [];
console.log(JSON.stringify({ status: response.status, errors: body.errors ?? [], queryFields: fields }));

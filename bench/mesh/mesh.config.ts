// GraphQL Mesh over the local backend's own OpenAPI document: the upstream's address and the
// caller's token are read at request time, so one composed file serves any run of bench.speed.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('Flashback', {
        source: './openapi.json',
        endpoint: '{env.FLASHBACK_API_URL}',
        operationHeaders: { Authorization: '{context.headers.authorization}' },
      }),
    },
  ],
});

// Hive Gateway serving the composed supergraph; aliased duplicates of one REST call are made once.
import { defineConfig } from '@graphql-hive/gateway';
import { useDeduplicateRequest } from '@graphql-hive/plugin-deduplicate-request';

export const gatewayConfig = defineConfig({
  plugins: () => [useDeduplicateRequest()],
});

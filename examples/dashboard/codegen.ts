// Typed documents from the gateway's committed schema, every scalar mapped (strictScalars fails the
// build on any scalar left out): the map README's "Typed clients" shows.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  // The committed SDL; FLASHBACK_SCHEMA names another copy (a build outside this checkout).
  schema: process.env.FLASHBACK_SCHEMA ?? "../../schema.graphql",
  documents: ["src/**/*.tsx"],
  generates: {
    "src/generated/": {
      preset: "client",
      config: {
        strictScalars: true,
        useTypeImports: true,
        scalars: {
          Long: { input: "number | string", output: "number" },
          EpochSeconds: { input: "number | string", output: "number" },
          LongList: "number[]",
          FloatList: "number[]",
          DateTime: "string",
          JSON: "unknown",
          _Any: "{ __typename: string; [field: string]: unknown }",
          _FieldSet: "string",
          link__Import: "string",
        },
      },
    },
  },
};
export default config;

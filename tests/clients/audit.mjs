// GraphQL over HTTP conformance: graphql-http's own server audits against the gateway at argv[2].
import { auditServer } from 'graphql-http';

const results = await auditServer({ url: process.argv[2] });
const report = results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null }));
process.stdout.write(JSON.stringify(report));

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../../shared/http/api/openapi-document.js';

export const API_TYPES_PATH = fileURLToPath(new URL('./src/api/schema.d.ts', import.meta.url));

const HEADER = `// Generated from the REST API's OpenAPI document by functions/console/api-types.ts
// (npm run console:api-types). Do not edit: change the routes, then regenerate.
`;

/** The console's API types, from the same route definitions that serve `/api/v1/discovery`. */
export async function consoleApiTypes(): Promise<string> {
  const ast = await openapiTS(openApiDocument() as unknown as OpenAPI3);
  return HEADER + astToString(ast);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(API_TYPES_PATH, await consoleApiTypes());
  console.log(`wrote ${API_TYPES_PATH}`);
}

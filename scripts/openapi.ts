import { writeFileSync } from 'node:fs';
import { renderOpenApiYaml } from '../src/api/spec.js';

writeFileSync(new URL('../openapi.yaml', import.meta.url), renderOpenApiYaml());
process.stdout.write('wrote openapi.yaml\n');

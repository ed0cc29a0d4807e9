import { type LanguageService, type ServiceEnvironment } from './languageService';
import { createDatasetService } from './datasets/datasetService';
import { createJobFileService } from './jobs/jobFileService';
import { createPromptyService } from './prompts/promptyService';

/** The language services the server runs, by VS Code language id. */
export function createLanguageServices(environment: ServiceEnvironment): Record<string, LanguageService> {
  const jobFiles = createJobFileService(environment);
  return {
    jsonl: createDatasetService(environment),
    prompty: createPromptyService(environment),
    // Job files are YAML or JSON documents; the service answers only for `*.job.*` files (see jobFileDocumentFilters).
    yaml: jobFiles,
    json: jobFiles,
  };
}

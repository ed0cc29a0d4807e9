import { type LanguageService, type ServiceEnvironment } from './languageService';
import { createDatasetService } from './datasets/datasetService';
import { createPromptyService } from './prompts/promptyService';

/** The language services the server runs, by VS Code language id. */
export function createLanguageServices(environment: ServiceEnvironment): Record<string, LanguageService> {
  return {
    jsonl: createDatasetService(environment),
    prompty: createPromptyService(environment),
  };
}

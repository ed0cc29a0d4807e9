import { isComparisonFilePath } from '../core/eval/comparisonFile';
import { isJobFilePath } from '../core/jobs/jobFileFeatures';
import { type LanguageService, type ServiceEnvironment } from './languageService';
import { createDatasetService } from './datasets/datasetService';
import { createComparisonFileService } from './eval/comparisonFileService';
import { createJobFileService } from './jobs/jobFileService';
import { createPromptyService } from './prompts/promptyService';
import { routeByFileName } from './routeByFileName';

/** The language services the server runs, by VS Code language id. */
export function createLanguageServices(environment: ServiceEnvironment): Record<string, LanguageService> {
  // Job and comparison files are YAML or JSON documents, told apart by name (see serverDocumentFilters).
  const yamlAndJson = routeByFileName([
    [isJobFilePath, createJobFileService(environment)],
    [isComparisonFilePath, createComparisonFileService(environment)],
  ]);
  return {
    jsonl: createDatasetService(environment),
    prompty: createPromptyService(environment),
    yaml: yamlAndJson,
    json: yamlAndJson,
  };
}

import { type LanguageService, type ServiceEnvironment } from '../languageService';
import { datasetDiagnostics } from './datasetDiagnostics';

/** The `jsonl` language: fine-tuning datasets. */
export function createDatasetService(environment: ServiceEnvironment): LanguageService {
  return {
    diagnose(document) {
      return environment.settings().datasets.diagnostics ? datasetDiagnostics(document.getText()) : [];
    },
  };
}

import { fileURLToPath } from 'node:url';
import { type LanguageService } from './languageService';

/**
 * One language service made of several, each for the files whose names it matches: job files and comparison files
 * are both VS Code's `yaml` and `json` languages. A document no route matches gets nothing; per-document state and
 * shutdown go to every route.
 */
export function routeByFileName(routes: readonly (readonly [matches: (path: string) => boolean, service: LanguageService])[]): LanguageService {
  const serviceFor = (uri: string): LanguageService | undefined => {
    if (!uri.startsWith('file:')) return undefined;
    const path = fileURLToPath(uri);
    return routes.find(([matches]) => matches(path))?.[1];
  };
  return {
    diagnose: (document) => serviceFor(document.uri)?.diagnose?.(document) ?? [],
    didChange: (uri, fromVersion, toVersion, changes) => serviceFor(uri)?.didChange?.(uri, fromVersion, toVersion, changes),
    complete: (document, params) => serviceFor(document.uri)?.complete?.(document, params) ?? [],
    hover: (document, params) => serviceFor(document.uri)?.hover?.(document, params) ?? null,
    forget: (uri) => {
      for (const [, service] of routes) service.forget?.(uri);
    },
    dispose: async () => {
      for (const [, service] of routes) await service.dispose?.();
    },
  };
}

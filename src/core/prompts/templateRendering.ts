import { GuardedJinjaTemplate, renderGuardedMustache, type TemplateBudgets } from '../templates/guardedTemplates';
import { type TemplateFormat } from './promptyDocument';

/**
 * Renders a Prompty body with Jinja2's defaults (no trim_blocks/lstrip_blocks, unlike chat templates, and Jinja2's
 * lenient undefined) or Mustache (no HTML escaping), within the render budgets. Values are plain JSON-like data.
 */
export function renderTemplateBody(body: string, format: TemplateFormat, values: Record<string, unknown>, budgets?: Partial<TemplateBudgets>): string {
  if (format === 'mustache') return renderGuardedMustache(body, values, budgets);
  return new GuardedJinjaTemplate(body, { lenientUndefined: true }).render(values, budgets);
}
